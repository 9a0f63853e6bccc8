// Helpers for the tuner tests: a search space from JSON text, a batch of suggestions, a
// succeeded trial, and the registry's verdict on classArgs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/arg_spec.h"
#include "core/registry.h"
#include "core/search_space.h"
#include "core/trial_record.h"
#include "core/tuner.h"
#include "tuners/builtin_tuners.h"

namespace hone::tuner_test {

inline SearchSpace Space(const char* text) {
  auto space = SearchSpace::FromJson(nlohmann::json::parse(text));
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : SearchSpace();
}

// The next `count` suggestions; none (and a test failure) on an error.
inline std::vector<nlohmann::json> Take(Tuner& tuner, int count) {
  auto batch = tuner.Suggest(count);
  EXPECT_TRUE(batch.ok()) << batch.status().message();
  return batch.ok() ? *batch : std::vector<nlohmann::json>{};
}

// A trial of `params` that succeeded with `value`, as the manager records it.
inline TrialRecord SucceededTrial(const nlohmann::json& params, int64_t seq, double value) {
  TrialRecord r;
  r.seq = seq;
  r.config_id = seq;
  r.status = TrialStatus::kSucceeded;
  r.params = params;
  r.final_value = value;
  return r;
}

// What the config reader says of `args` as the built-in tuner `name`'s classArgs.
inline Status CheckClassArgs(const std::string& name, const nlohmann::json& args) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  const TunerInfo* info = registry.FindTuner(name);
  EXPECT_NE(info, nullptr) << name;
  return info ? CheckArgsJson(args, "classArgs", info->args) : Status::Ok();
}

}  // namespace hone::tuner_test
