// Reading the classArgs of the scheduling tuners (hyperband, bohb, pbt): the config
// reader has checked kinds and ranges, but factories are also called from code and
// tests, so they check again and name the tuner and key.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/tuner.h"

namespace hone {

// A number (an integer when `integral`) in [min, max] at the first of `keys` present;
// `fallback` when none is (nullopt: required).
StatusOr<double> SchedulerNumberArg(const nlohmann::json& args, const std::string& tuner,
                                    std::initializer_list<const char*> keys, std::optional<double> fallback,
                                    double min, double max, bool integral = false);

// classArgs.optimize_mode, else ctx.mode.
StatusOr<OptimizeMode> SchedulerModeArg(const TunerContext& ctx, const std::string& tuner);

// A string among `choices` at args[key]; `fallback` when absent.
StatusOr<std::string> SchedulerEnumArg(const nlohmann::json& args, const std::string& tuner, const char* key,
                                       std::initializer_list<const char*> choices, const std::string& fallback);

}  // namespace hone
