#include "platforms/builtin_platforms.h"

#include <cstdlib>

#include <gtest/gtest.h>

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
                                                          {"reuseMode", ArgSpec::Kind::kBool}}));
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

TEST(LocalPlatformOptionsTest, FallsBackToTheConfigFields) {
  ExperimentConfig config;
  config.gpu_indices = {2};
  config.max_trial_number_per_gpu = 4;
  config.use_active_gpu = false;
  StatusOr<LocalPlatformOptions> options = LocalPlatformOptionsFromConfig(config, "");
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->trial_gpu_number.has_value());
  EXPECT_EQ(options->gpu_indices, std::vector<int>{2});
  EXPECT_EQ(options->max_trial_number_per_gpu, 4);
  EXPECT_FALSE(options->use_active_gpu);
}

}  // namespace
}  // namespace hone
