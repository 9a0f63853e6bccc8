#include "assessors/patience_assessor.h"

#include <cmath>
#include <optional>

#include "assessors/class_args.h"
#include "core/registry.h"

namespace hone {
namespace {

std::optional<double> BestOf(const std::vector<IntermediateMetric>& values, size_t from, size_t to,
                             OptimizeMode mode) {
  std::optional<double> best;
  for (size_t i = from; i < to; ++i) {
    double v = values[i].value;
    if (std::isnan(v)) continue;
    if (!best || (mode == OptimizeMode::kMaximize ? v > *best : v < *best)) best = v;
  }
  return best;
}

}  // namespace

StatusOr<std::unique_ptr<Assessor>> PatienceAssessor::Create(const AssessorContext& ctx, const Registry& registry) {
  auto mode = ModeArg(ctx, "patience");
  if (!mode.ok()) return mode.status();
  auto patience = NumberArg(ctx.class_args, "patience", "patience", 3.0, 0, 1e9, true);
  if (!patience.ok()) return patience.status();
  auto delta = NumberArg(ctx.class_args, "patience", "min_delta", 0.0, 0, 1e300);
  if (!delta.ok()) return delta.status();
  std::unique_ptr<Assessor> wrapped;
  const auto& args = ctx.class_args;
  if (args.is_object() && args.contains("wrapped") && !args["wrapped"].is_null()) {
    const auto& w = args["wrapped"];
    if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
      return InvalidArgument("patience: classArgs.wrapped: expected {name: <assessor>, classArgs: {...}}, but got " + w.dump());
    std::string name = w["name"].get<std::string>();
    const AssessorInfo* info = registry.FindAssessor(name);
    if (!info) return InvalidArgument("patience: classArgs.wrapped.name: unknown assessor '" + name + "'");
    for (const auto& [key, value] : w.items())
      if (key != "name" && key != "classArgs")
        return InvalidArgument("patience: classArgs.wrapped." + key + ": unknown key (expected name, classArgs)");
    AssessorContext inner;
    inner.mode = *mode;
    if (w.contains("classArgs")) {
      if (!w["classArgs"].is_object())
        return InvalidArgument("patience: classArgs.wrapped.classArgs: expected a map, but got " + w["classArgs"].dump());
      inner.class_args = w["classArgs"];
    }
    for (const auto& [key, value] : inner.class_args.items()) {
      bool known = false;
      for (const auto& spec : info->args) known |= spec.key == key;
      if (!known && !info->args.empty())
        return InvalidArgument("patience: classArgs.wrapped.classArgs." + key + ": unknown key for assessor '" + info->name + "'");
    }
    auto made = info->create(inner);
    if (!made.ok()) return made.status().WithContext("patience: classArgs.wrapped");
    wrapped = std::move(*made);
  }
  return std::unique_ptr<Assessor>(
      new PatienceAssessor(*mode, static_cast<int64_t>(*patience), *delta, std::move(wrapped)));
}

Verdict PatienceAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  const auto& values = trial.intermediate;
  size_t window = static_cast<size_t>(patience_) + 1;
  if (values.size() <= window) return Verdict::kContinue;
  size_t split = values.size() - window;
  auto before = BestOf(values, 0, split, mode_);
  auto after = BestOf(values, split, values.size(), mode_);
  if (!before || !after) return Verdict::kContinue;
  bool stalled = mode_ == OptimizeMode::kMaximize ? *before - min_delta_ > *after
                                                  : *before + min_delta_ < *after;
  if (!stalled) return Verdict::kContinue;
  return wrapped_ ? wrapped_->Assess(trial, finished) : Verdict::kStop;
}

}  // namespace hone
