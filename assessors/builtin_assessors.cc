#include "assessors/builtin_assessors.h"

#include "assessors/asha_assessor.h"
#include "assessors/curvefitting/curvefitting_assessor.h"
#include "assessors/median_stop_assessor.h"
#include "assessors/none_assessor.h"
#include "assessors/patience_assessor.h"
#include "assessors/percentile_assessor.h"
#include "assessors/threshold_assessor.h"

namespace hone {

void RegisterBuiltinAssessors(Registry& registry) {
  using K = ArgSpec::Kind;
  // The order is the one `hone algo list` and "known: ..." messages show.
  AssessorInfo table[] = {
      {.name = "none", .aliases = {}, .summary = "never stops a trial", .args = {}, .create = &NoneAssessor::Create},
      {.name = "medianstop", .aliases = {"Medianstop"},
       .summary = "stops a trial whose best value is worse than the median running average of succeeded trials",
       .args = {OptimizeModeArg(), MakeArg("start_step", K::kInt, 0)}, .create = &MedianStopAssessor::Create},
      {.name = "curvefitting", .aliases = {"Curvefitting"},
       .summary = "extrapolates the learning curve (ensemble of twelve families) and stops a trial that cannot reach the best",
       .args = {OptimizeModeArg(), MakeArg("epoch_num", K::kInt, 1), MakeArg("start_step", K::kInt, 1),
                MakeArg("threshold", K::kNumber, 0, 1), MakeArg("gap", K::kInt, 1)},
       .create = &CurvefittingAssessor::Create},
      {.name = "percentile", .aliases = {},
       .summary = "stops a trial whose best value is in the bottom percentile of succeeded trials at the same step",
       .args = {OptimizeModeArg(), MakeArg("percentile", K::kNumber, 0, 100), MakeArg("start_step", K::kInt, 0),
                MakeArg("min_trials", K::kInt, 1)},
       .create = &PercentileAssessor::Create},
      {.name = "threshold", .aliases = {}, .summary = "stops a trial whose latest value is worse than a fixed threshold",
       .args = {OptimizeModeArg(), Required(MakeArg("threshold", K::kNumber)), MakeArg("start_step", K::kInt, 0)},
       .create = &ThresholdAssessor::Create},
      {.name = "patience", .aliases = {},
       .summary = "stops a trial that stopped improving, when the wrapped assessor (if any) agrees",
       .args = {OptimizeModeArg(), MakeArg("patience", K::kInt, 0), MakeArg("min_delta", K::kNumber, 0),
                MakeArg("wrapped", K::kAny)},
       // The wrapped assessor comes from the registry this one is registered in.
       .create = [&registry](const AssessorContext& ctx) { return PatienceAssessor::Create(ctx, registry); }},
      {.name = "asha", .aliases = {}, .summary = "asynchronous successive halving: at each rung keeps the top 1/reduction_factor",
       .args = {OptimizeModeArg(), MakeArg("max_resource", K::kInt, 1), MakeArg("reduction_factor", K::kNumber, 1.0001),
                MakeArg("grace_period", K::kInt, 1)},
       .create = &AshaAssessor::Create},
  };
  for (AssessorInfo& info : table) registry.AddAssessor(std::move(info));
}

}  // namespace hone
