#include "tuners/hyperband/hyperband_tuner.h"

#include "tuners/draw_tuner.h"
#include "tuners/hyperband/scheduler_args.h"

namespace hone {

StatusOr<BracketOptions> ParseBracketOptions(const TunerContext& ctx, const std::string& tuner) {
  BracketOptions o;
  auto mode = SchedulerModeArg(ctx, tuner);
  if (!mode.ok()) return mode.status();
  o.mode = *mode;
  bool bohb = tuner == "bohb";
  auto max_budget = SchedulerNumberArg(ctx.class_args, tuner, {bohb ? "max_budget" : "R", bohb ? "R" : "max_budget"},
                                       bohb ? 3.0 : 60.0, 1e-9, 1e12);
  if (!max_budget.ok()) return max_budget.status();
  auto min_budget = SchedulerNumberArg(ctx.class_args, tuner, {"min_budget"}, 1.0, 1e-9, 1e12);
  if (!min_budget.ok()) return min_budget.status();
  auto eta = SchedulerNumberArg(ctx.class_args, tuner, {"eta"}, 3.0, 1.0001, 1e6);
  if (!eta.ok()) return eta.status();
  auto exec = SchedulerEnumArg(ctx.class_args, tuner, "exec_mode", {"parallelism", "serial"}, "parallelism");
  if (!exec.ok()) return exec.status();
  o.max_budget = *max_budget;
  o.min_budget = *min_budget;
  o.eta = *eta;
  o.parallel = *exec == "parallelism";
  HONE_RETURN_IF_ERROR(ValidateBracketOptions(o, tuner));
  return o;
}

StatusOr<std::unique_ptr<Tuner>> HyperbandTuner::Create(const TunerContext& ctx) {
  auto options = ParseBracketOptions(ctx, "hyperband");
  if (!options.ok()) return options.status();
  return std::unique_ptr<Tuner>(new HyperbandTuner(*ctx.space, *options, ctx.seed));
}

HyperbandTuner::HyperbandTuner(const SearchSpace& space, const BracketOptions& options, uint64_t seed)
    : space_(space), seed_(seed), seen_(space),
      plan_(options,
            [this](uint64_t slot, double) -> std::optional<nlohmann::json> {
              std::mt19937_64 rng = SeededRng(seed_, slot, 0x4862u);
              return seen_.DrawUnseen(space_, rng);
            },
            [this](const nlohmann::json& config) { seen_.Insert(config); }) {}

StatusOr<std::vector<nlohmann::json>> HyperbandTuner::Suggest(int count) {
  return plan_.Suggest(count, "hyperband", &exhausted_);
}

void HyperbandTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  plan_.RecordAll(completed, active);
}

}  // namespace hone
