#include "tuners/draw_tuner.h"

#include <algorithm>

namespace hone {

std::mt19937_64 SeededRng(uint64_t seed, uint64_t k, std::optional<uint32_t> salt) {
  std::vector<uint32_t> words = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                                 static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)};
  if (salt) words.push_back(*salt);
  std::seed_seq seq(words.begin(), words.end());
  return std::mt19937_64(seq);
}

StatusOr<std::vector<nlohmann::json>> DrawTuner::DrawEach(int count, const NextFn& next) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < count && !IsExhausted(); ++i) {
    auto config = next(out);
    if (!config) break;
    ++handed_out_;
    out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted()) return seen_.AllSuggested(Name());
  return out;
}

void DrawTuner::See(std::span<const TrialRecord> records) {
  for (const auto& r : records)
    if (r.params.is_object()) seen_.Insert(r.params);
}

}  // namespace hone
