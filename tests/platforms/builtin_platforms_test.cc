#include "platforms/builtin_platforms.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/config_reader.h"
#include "core/experiment_config.h"
#include "platforms/local_platform.h"

namespace hone {
namespace {

TEST(BuiltinPlatformsTest, RegistersLocalWithItsTrainingServiceKeys) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  const PlatformInfo* local = registry.FindPlatform("Local");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->name, "local");
  std::map<std::string, ArgSpec::Kind> kinds;
  for (const ArgSpec& a : local->args) kinds[a.key] = a.kind;
  EXPECT_EQ(kinds, (std::map<std::string, ArgSpec::Kind>{{"useActiveGpu", ArgSpec::Kind::kBool},
                                                          {"maxTrialNumberPerGpu", ArgSpec::Kind::kInt},
                                                          {"gpuIndices", ArgSpec::Kind::kAny},
                                                          {"reuseMode", ArgSpec::Kind::kBool},
                                                          {"trialMemoryLimit", ArgSpec::Kind::kAny},
                                                          {"trialCpuLimit", ArgSpec::Kind::kNumber}}));
  for (const ArgSpec& a : local->args) {
    if (a.key == "maxTrialNumberPerGpu") {
      EXPECT_EQ(a.min, 1.0);
    }
  }
}

TEST(BuiltinPlatformsTest, CreatesAWorkingLocalPlatform) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  ExperimentConfig config;
  StatusOr<std::unique_ptr<Platform>> platform = registry.FindPlatform("local")->create(config);
  ASSERT_TRUE(platform.ok()) << platform.status().message();
  ASSERT_TRUE((*platform)->Start().ok());
  EXPECT_GT((*platform)->Capacity(), 1000);
}

TEST(BuiltinPlatformsTest, BadGpuIndicesFailTheFactory) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  ExperimentConfig config;
  config.platform_args = {{"gpuIndices", "0,a"}};
  StatusOr<std::unique_ptr<Platform>> platform = registry.FindPlatform("local")->create(config);
  ASSERT_FALSE(platform.ok());
  EXPECT_EQ(platform.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(platform.status().message().find("trainingService: gpuIndices"), std::string::npos)
      << platform.status().message();
}

TEST(LocalPlatformOptionsTest, TakesTheTrainingServiceKeys) {
  ExperimentConfig config;
  config.trial_gpu_number = 2;
  config.platform_args = {{"gpuIndices", "1,3"}, {"maxTrialNumberPerGpu", 3}, {"useActiveGpu", false}};
  StatusOr<LocalPlatformOptions> options = LocalPlatformOptionsFromConfig(config, "/nonexistent");
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->trial_gpu_number, 2);
  EXPECT_EQ(options->gpu_indices, (std::vector<int>{1, 3}));
  EXPECT_EQ(options->max_trial_number_per_gpu, 3);
  EXPECT_FALSE(options->use_active_gpu);
  // Discovery looks only at the PATH it was given.
  StatusOr<GpuInventory> inventory = options->discover_gpus(false);
  ASSERT_TRUE(inventory.ok());
  EXPECT_TRUE(inventory->gpus.empty());
}

TEST(LocalPlatformOptionsTest, DefaultsWithoutKeys) {
  ExperimentConfig config;
  StatusOr<LocalPlatformOptions> options = LocalPlatformOptionsFromConfig(config, "");
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->trial_gpu_number.has_value());
  EXPECT_TRUE(options->gpu_indices.empty());
  EXPECT_EQ(options->max_trial_number_per_gpu, 1);
  EXPECT_TRUE(options->use_active_gpu);
}

TEST(LocalPlatformOptionsTest, TakesTheLimitKeysAndRejectsABadMemorySize) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  const std::string yaml =
      "searchSpace: {}\ntrialCommand: 'true'\ntrialConcurrency: 1\n"
      "trainingService:\n  platform: local\n  trialCpuLimit: 1.5\n  trialMemoryLimit: ";
  StatusOr<ExperimentConfig> config = ParseExperimentConfig(yaml + "2g\n", "exp.yaml", "/", registry);
  ASSERT_TRUE(config.ok()) << config.status().message();
  StatusOr<LocalPlatformOptions> options = LocalPlatformOptionsFromConfig(*config, "");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->trial_memory_limit_bytes, 2ll << 30);
  EXPECT_EQ(options->trial_cpu_limit, 1.5);

  StatusOr<ExperimentConfig> rejected = ParseExperimentConfig(yaml + "lots\n", "exp.yaml", "/", registry);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().message().substr(0, rejected.status().message().find('\n')),
            "exp.yaml:7:21: error: trainingService.trialMemoryLimit: expected a positive number of bytes or a "
            "size like '512m' or '4GiB', but got \"lots\"");
}

// The config reader knows no platform's keys: it applies the platform's ArgSpecs, then
// hands the section to the platform's own check.
TEST(BuiltinPlatformsTest, PlatformChecksItsOwnKeys) {
  Registry registry;
  std::string seen;
  PlatformInfo fake;
  fake.name = "fake";
  fake.args.push_back(MakeArg("gpuIndices", ArgSpec::Kind::kAny));
  fake.check = [&](const PlatformSection& section, Diagnostics& diag) {
    seen = section.args.dump();
    if (section.args.value("gpuIndices", "") == "bad")
      diag.Error(section.service.Find("gpuIndices")->mark(), "trainingService.gpuIndices", "fake says no");
  };
  registry.AddPlatform(std::move(fake));
  const std::string yaml =
      "searchSpace: {}\ntrialCommand: 'true'\ntrialConcurrency: 1\n"
      "trainingService:\n  platform: fake\n  gpuIndices: '0,a'\n";
  StatusOr<ExperimentConfig> config = ParseExperimentConfig(yaml, "exp.yaml", "/", registry);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(seen, R"({"gpuIndices":"0,a"})");
  EXPECT_EQ(config->platform_args, nlohmann::json({{"gpuIndices", "0,a"}}));

  std::string bad = yaml.substr(0, yaml.size() - std::string("'0,a'\n").size()) + "bad\n";
  StatusOr<ExperimentConfig> rejected = ParseExperimentConfig(bad, "exp.yaml", "/", registry);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().message().substr(0, rejected.status().message().find('\n')),
            "exp.yaml:6:15: error: trainingService.gpuIndices: fake says no");
}

}  // namespace
}  // namespace hone
