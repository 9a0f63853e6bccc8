// Reading a tuner's classArgs. The config reader and AskTellStudy check them against the
// tuner's ArgSpecs (core/arg_spec.h) before any factory runs, so a value that is present
// has the declared kind, range or choice and factories read it without checking again;
// null counts as absent, as in a config file.
//
//   int n = ArgOr<int>(ctx.class_args, "n_startup_jobs", 10);
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/trial_record.h"

namespace hone {

// args[key] as a T, or `fallback` when absent or null.
template <class T>
T ArgOr(const nlohmann::json& args, const char* key, T fallback) {
  if (!args.is_object()) return fallback;
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// classArgs.seed read through a double, as gp and cmaes always have (a seed past 2^53
// rounds), so that their runs keep their sequences; `fallback` when absent.
inline uint64_t SeedThroughDouble(const nlohmann::json& args, uint64_t fallback) {
  if (!args.is_object() || !args.contains("seed") || args["seed"].is_null()) return fallback;
  return static_cast<uint64_t>(static_cast<long long>(args["seed"].get<double>()));
}

// classArgs.optimize_mode ("maximize" or "minimize"), or `fallback`.
inline OptimizeMode ModeArgOr(const nlohmann::json& args, OptimizeMode fallback) {
  if (!args.is_object() || !args.contains("optimize_mode") || args["optimize_mode"].is_null()) return fallback;
  return args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
}

}  // namespace hone
