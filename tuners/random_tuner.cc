#include "tuners/random_tuner.h"

#include <cmath>

namespace hone {
namespace {

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
}  // namespace

StatusOr<std::unique_ptr<Tuner>> RandomTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("random: no search space");
  uint64_t seed = ctx.seed;
  if (ctx.class_args.is_object() && ctx.class_args.contains("seed")) {
    const auto& s = ctx.class_args["seed"];
    if (s.is_number_integer()) {
      seed = static_cast<uint64_t>(s.get<long long>());
    } else if (s.is_number_float() && std::trunc(s.get<double>()) == s.get<double>()) {
      seed = static_cast<uint64_t>(static_cast<long long>(s.get<double>()));
    } else {
      return InvalidArgument("random: classArgs.seed: expected an integer, but got " + s.dump());
    }
  }
  return std::unique_ptr<Tuner>(new RandomTuner(*ctx.space, seed));
}

RandomTuner::RandomTuner(const SearchSpace& space, uint64_t seed)
    : space_(space), seed_(seed), seen_(space) {}

std::mt19937_64 RandomTuner::RngFor(uint64_t k) const {
  std::seed_seq seq{Low(seed_), High(seed_), Low(k), High(k)};
  return std::mt19937_64(seq);
}

std::optional<nlohmann::json> RandomTuner::Next() {
  std::mt19937_64 rng = RngFor(handed_out_);
  return seen_.DrawUnseen(space_, rng);
}

StatusOr<std::vector<nlohmann::json>> RandomTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < count && !IsExhausted(); ++i) {
    auto config = Next();
    if (!config) break;
    ++handed_out_;
    out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted()) {
    return Exhausted("random: the search space has " + std::to_string(seen_.enumerator()->size()) +
                     " configurations and all have been suggested");
  }
  return out;
}

void RandomTuner::Update(std::span<const TrialRecord> completed,
                         std::span<const TrialRecord> active) {
  for (auto records : {completed, active})
    for (const auto& r : records)
      if (r.params.is_object()) seen_.Insert(r.params);
  handed_out_ = std::max<uint64_t>(handed_out_, seen_.size());
}

}  // namespace hone
