#include "assessors/builtin_assessors.h"

#include <optional>
#include <string>

#include "assessors/asha_assessor.h"
#include "assessors/curvefitting/curvefitting_assessor.h"
#include "assessors/median_stop_assessor.h"
#include "assessors/none_assessor.h"
#include "assessors/patience_assessor.h"
#include "assessors/percentile_assessor.h"
#include "assessors/threshold_assessor.h"

namespace hone {
void RegisterBuiltinAssessors(Registry& registry) {
  AssessorInfo none;
  none.name = "none";
  none.summary = "never stops a trial";
  none.create = &NoneAssessor::Create;
  registry.AddAssessor(std::move(none));

  AssessorInfo median;
  median.name = "medianstop";
  median.aliases = {"Medianstop"};
  median.summary = "stops a trial whose best value is worse than the median running average of succeeded trials";
  ArgSpec mode;
  mode.key = "optimize_mode";
  mode.kind = ArgSpec::Kind::kEnum;
  mode.choices = {"maximize", "minimize"};
  ArgSpec start;
  start.key = "start_step";
  start.kind = ArgSpec::Kind::kInt;
  start.min = 0;
  median.args = {mode, start};
  median.create = &MedianStopAssessor::Create;
  registry.AddAssessor(std::move(median));

  AssessorInfo curve;
  curve.name = "curvefitting";
  curve.aliases = {"Curvefitting"};
  curve.summary = "extrapolates the learning curve (ensemble of twelve families) and stops a trial that cannot reach the best";
  curve.args = {OptimizeModeArg(), MakeArg("epoch_num", ArgSpec::Kind::kInt, 1), MakeArg("start_step", ArgSpec::Kind::kInt, 1),
                MakeArg("threshold", ArgSpec::Kind::kNumber, 0, 1), MakeArg("gap", ArgSpec::Kind::kInt, 1)};
  curve.create = &CurvefittingAssessor::Create;
  registry.AddAssessor(std::move(curve));

  AssessorInfo percentile;
  percentile.name = "percentile";
  percentile.summary = "stops a trial whose best value is in the bottom percentile of succeeded trials at the same step";
  percentile.args = {OptimizeModeArg(), MakeArg("percentile", ArgSpec::Kind::kNumber, 0, 100),
                     MakeArg("start_step", ArgSpec::Kind::kInt, 0), MakeArg("min_trials", ArgSpec::Kind::kInt, 1)};
  percentile.create = &PercentileAssessor::Create;
  registry.AddAssessor(std::move(percentile));

  AssessorInfo threshold;
  threshold.name = "threshold";
  threshold.summary = "stops a trial whose latest value is worse than a fixed threshold";
  threshold.args = {OptimizeModeArg(), Required(MakeArg("threshold", ArgSpec::Kind::kNumber)), MakeArg("start_step", ArgSpec::Kind::kInt, 0)};
  threshold.create = &ThresholdAssessor::Create;
  registry.AddAssessor(std::move(threshold));

  AssessorInfo patience;
  patience.name = "patience";
  patience.summary = "stops a trial that stopped improving, when the wrapped assessor (if any) agrees";
  patience.args = {OptimizeModeArg(), MakeArg("patience", ArgSpec::Kind::kInt, 0), MakeArg("min_delta", ArgSpec::Kind::kNumber, 0),
                   MakeArg("wrapped", ArgSpec::Kind::kAny)};
  // The wrapped assessor comes from the registry this one is registered in.
  patience.create = [&registry](const AssessorContext& ctx) { return PatienceAssessor::Create(ctx, registry); };
  registry.AddAssessor(std::move(patience));

  AssessorInfo asha;
  asha.name = "asha";
  asha.summary = "asynchronous successive halving: at each rung keeps the top 1/reduction_factor";
  asha.args = {OptimizeModeArg(), MakeArg("max_resource", ArgSpec::Kind::kInt, 1), MakeArg("reduction_factor", ArgSpec::Kind::kNumber, 1.0001),
               MakeArg("grace_period", ArgSpec::Kind::kInt, 1)};
  asha.create = &AshaAssessor::Create;
  registry.AddAssessor(std::move(asha));
}

}  // namespace hone
