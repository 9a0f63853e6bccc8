#include "assessors/builtin_assessors.h"

#include "assessors/median_stop_assessor.h"
#include "assessors/none_assessor.h"

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
}

}  // namespace hone
