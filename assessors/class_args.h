// Reading an assessor's classArgs: the config reader has checked kinds and ranges
// (ArgSpec), but factories are also called from code and tests, so they check again and
// name the assessor and key in the message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/assessor.h"
#include "core/status.h"

namespace hone {

// classArgs.optimize_mode, else ctx.mode.
StatusOr<OptimizeMode> ModeArg(const AssessorContext& ctx, const std::string& assessor);

// A number (or an integer when `integral`) at args[key] inside [min, max]; `fallback`
// when absent (nullopt fallback: the key is required).
StatusOr<double> NumberArg(const nlohmann::json& args, const std::string& assessor,
                           const std::string& key, std::optional<double> fallback,
                           double min, double max, bool integral = false);

}  // namespace hone
