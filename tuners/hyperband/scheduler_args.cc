#include "tuners/hyperband/scheduler_args.h"

#include <cmath>
#include <sstream>

namespace hone {

StatusOr<double> SchedulerNumberArg(const nlohmann::json& args, const std::string& tuner,
                                    std::initializer_list<const char*> keys, std::optional<double> fallback,
                                    double min, double max, bool integral) {
  for (const char* key : keys) {
    if (!args.is_object() || !args.contains(key) || args[key].is_null()) continue;
    const auto& v = args[key];
    std::ostringstream want;
    want << (integral ? "an integer" : "a number") << " in [" << min << ", " << max << "]";
    if (!v.is_number() || v.is_boolean())
      return InvalidArgument(tuner + ": classArgs." + key + ": expected " + want.str() + ", but got " + v.dump());
    double x = v.get<double>();
    if (!std::isfinite(x) || x < min || x > max || (integral && std::trunc(x) != x))
      return InvalidArgument(tuner + ": classArgs." + key + ": expected " + want.str() + ", but got " + v.dump());
    return x;
  }
  if (fallback) return *fallback;
  return InvalidArgument(tuner + ": classArgs." + *keys.begin() + ": required, but it is missing");
}

StatusOr<OptimizeMode> SchedulerModeArg(const TunerContext& ctx, const std::string& tuner) {
  auto value = SchedulerEnumArg(ctx.class_args, tuner, "optimize_mode", {"maximize", "minimize"},
                                ctx.mode == OptimizeMode::kMaximize ? "maximize" : "minimize");
  if (!value.ok()) return value.status();
  return *value == "maximize" ? OptimizeMode::kMaximize : OptimizeMode::kMinimize;
}

StatusOr<std::string> SchedulerEnumArg(const nlohmann::json& args, const std::string& tuner, const char* key,
                                       std::initializer_list<const char*> choices, const std::string& fallback) {
  if (!args.is_object() || !args.contains(key) || args[key].is_null()) return fallback;
  const auto& v = args[key];
  std::string list;
  for (const char* c : choices) {
    if (v.is_string() && v.get<std::string>() == c) return std::string(c);
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  return InvalidArgument(tuner + ": classArgs." + key + ": expected one of {" + list + "}, but got " + v.dump());
}

}  // namespace hone
