#include "assessors/class_args.h"

#include <cmath>

#include "core/number_format.h"

namespace hone {
StatusOr<OptimizeMode> ModeArg(const AssessorContext& ctx, const std::string& assessor) {
  const auto& args = ctx.class_args;
  if (!args.is_object() || !args.contains("optimize_mode")) return ctx.mode;
  const auto& m = args["optimize_mode"];
  if (m == "maximize") return OptimizeMode::kMaximize;
  if (m == "minimize") return OptimizeMode::kMinimize;
  return InvalidArgument(assessor + ": classArgs.optimize_mode: expected one of {maximize, minimize}, but got " + m.dump());
}

StatusOr<double> NumberArg(const nlohmann::json& args, const std::string& assessor,
                           const std::string& key, std::optional<double> fallback,
                           double min, double max, bool integral) {
  if (!args.is_object() || !args.contains(key) || args[key].is_null()) {
    if (fallback) return *fallback;
    return InvalidArgument(assessor + ": classArgs." + key + ": required, but it is missing");
  }
  const auto& v = args[key];
  std::string want =
      std::string(integral ? "an integer" : "a number") + " in [" + FormatNumber(min) + ", " + FormatNumber(max) + "]";
  if (!v.is_number() || v.is_boolean())
    return InvalidArgument(assessor + ": classArgs." + key + ": expected " + want + ", but got " + v.dump());
  double x = v.get<double>();
  if (!std::isfinite(x) || x < min || x > max || (integral && std::trunc(x) != x))
    return InvalidArgument(assessor + ": classArgs." + key + ": expected " + want + ", but got " + v.dump());
  return x;
}

}  // namespace hone
