// A registry with every built-in tuner, assessor and platform, and the config reader over
// text that names itself exp.yaml (relative paths resolve against /tmp).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "assessors/builtin_assessors.h"
#include "core/config_reader.h"
#include "platforms/builtin_platforms.h"
#include "tuners/builtin_tuners.h"

namespace hone::testing {

class ConfigReaderTest : public ::testing::Test {
 protected:
  ConfigReaderTest() {
    RegisterBuiltinTuners(registry_);
    RegisterBuiltinAssessors(registry_);
    RegisterBuiltinPlatforms(registry_);
  }
  StatusOr<ExperimentConfig> Read(const std::string& text) {
    return ParseExperimentConfig(text, "exp.yaml", "/tmp", registry_);
  }
  // The errors of `text`, which must be rejected.
  std::string Errors(const std::string& text) {
    auto cfg = Read(text);
    EXPECT_FALSE(cfg.ok()) << text;
    return cfg.ok() ? "" : cfg.status().message();
  }
  Registry registry_;
};

}  // namespace hone::testing
