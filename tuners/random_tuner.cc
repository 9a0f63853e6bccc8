#include "tuners/random_tuner.h"

#include "tuners/tuner_args.h"

namespace hone {

StatusOr<std::unique_ptr<Tuner>> RandomTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("random: no search space");
  uint64_t seed = static_cast<uint64_t>(ArgOr<long long>(ctx.class_args, "seed", static_cast<long long>(ctx.seed)));
  return std::unique_ptr<Tuner>(new RandomTuner(*ctx.space, seed));
}

StatusOr<std::vector<nlohmann::json>> RandomTuner::Suggest(int count) {
  return DrawEach(count, [this](const std::vector<nlohmann::json>&) {
    std::mt19937_64 rng = RngFor(handed_out_);
    return seen_.DrawUnseen(space_, rng);
  });
}

void RandomTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  See(completed);
  See(active);
  CatchUp();
}

}  // namespace hone
