// GPU scheduling through the local platform, with a fake nvidia-smi on the PATH given to
// discovery: trials print their CUDA_VISIBLE_DEVICES and the test reads it back.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "platforms/local_platform.h"
#include "tests/platforms/fake_nvidia_smi.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using Kind = PlatformEvent::Kind;
using testing::ExitedSeq;
using testing::FakeNvidiaSmi;
using testing::LinesOf;
using testing::PollUntil;
using testing::TempDir;

class LocalPlatformGpuTest : public ::testing::Test {
 protected:
  LocalPlatformOptions Options(const FakeNvidiaSmi& smi, int trial_gpu_number, int per_gpu = 1) {
    LocalPlatformOptions options;
    options.trial_gpu_number = trial_gpu_number;
    options.max_trial_number_per_gpu = per_gpu;
    options.discover_gpus = [path = smi.path_env()](bool count_processes) {
      return DiscoverGpus({.path_env = path, .count_processes = count_processes});
    };
    return options;
  }
  // Launches a trial that prints its devices and then waits to be killed; returns them.
  std::string LaunchAndReadDevices(LocalPlatform& p, int64_t seq) {
    TrialLaunch l;
    l.seq = seq;
    l.command = "echo \"gpus=$CUDA_VISIBLE_DEVICES\"; exec sleep 1000";
    l.trial_dir = dir_ / std::to_string(seq);
    Status st = p.Launch(l);
    EXPECT_TRUE(st.ok()) << st.message();
    std::vector<PlatformEvent> events =
        PollUntil(p, [seq](const auto& ev) { return !LinesOf(ev, seq).empty(); });
    EXPECT_EQ(events.at(0).kind, Kind::kStarted);
    std::string line = LinesOf(events, seq).at(0);
    EXPECT_EQ("gpus=" + events.at(0).devices, line);  // kStarted says what the trial got
    return line.substr(5);
  }
  void KillAndWait(LocalPlatform& p, int64_t seq) {
    ASSERT_TRUE(p.Kill(seq).ok());
    PollUntil(p, ExitedSeq(seq));
  }
  std::string StartError(LocalPlatformOptions options) {
    LocalPlatform p(std::move(options));
    Status st = p.Start();
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(p.Capacity(), 0);
    return st.message();
  }

  TempDir dir_;
};

TEST_F(LocalPlatformGpuTest, OneGpuPerTrialAndCapacityComesBack) {
  FakeNvidiaSmi smi({"0, GPU-a, 0, 81559, 0", "1, GPU-b, 0, 81559, 0"});
  LocalPlatform p(Options(smi, 1));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 2);
  EXPECT_EQ(LaunchAndReadDevices(p, 0), "0");
  EXPECT_EQ(LaunchAndReadDevices(p, 1), "1");
  EXPECT_EQ(p.Capacity(), 0);

  TrialLaunch third;
  third.seq = 2;
  third.command = "true";
  third.trial_dir = dir_ / "2";
  EXPECT_EQ(p.Launch(third).code(), StatusCode::kUnavailable);

  KillAndWait(p, 0);
  EXPECT_EQ(p.Capacity(), 1);
  EXPECT_EQ(LaunchAndReadDevices(p, 3), "0");  // the freed GPU
  KillAndWait(p, 1);
  KillAndWait(p, 3);
  EXPECT_EQ(p.Capacity(), 2);
}

TEST_F(LocalPlatformGpuTest, SeveralTrialsPerGpuLeastLoadedFirst) {
  FakeNvidiaSmi smi({"0, GPU-a, 0, 81559, 0", "1, GPU-b, 0, 81559, 0"});
  LocalPlatform p(Options(smi, 1, /*per_gpu=*/2));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 4);
  std::map<std::string, int> per_gpu;
  for (int seq = 0; seq < 4; ++seq) ++per_gpu[LaunchAndReadDevices(p, seq)];
  EXPECT_EQ(per_gpu, (std::map<std::string, int>{{"0", 2}, {"1", 2}}));
  EXPECT_EQ(p.Capacity(), 0);
  ASSERT_TRUE(p.Stop(1s).ok());
}

TEST_F(LocalPlatformGpuTest, MultiGpuTrialsGetDistinctGpus) {
  FakeNvidiaSmi smi(testing::FourGpus());
  LocalPlatform p(Options(smi, 2));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 2);
  EXPECT_EQ(LaunchAndReadDevices(p, 0), "0,1");
  EXPECT_EQ(LaunchAndReadDevices(p, 1), "2,3");
  EXPECT_EQ(p.Capacity(), 0);
  KillAndWait(p, 0);
  EXPECT_EQ(p.Capacity(), 1);
}

TEST_F(LocalPlatformGpuTest, GpuIndicesRestrictTheChoice) {
  FakeNvidiaSmi smi(testing::FourGpus());
  LocalPlatformOptions options = Options(smi, 1);
  options.gpu_indices = {3, 1};
  LocalPlatform p(std::move(options));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 2);
  EXPECT_EQ(LaunchAndReadDevices(p, 0), "1");
  EXPECT_EQ(LaunchAndReadDevices(p, 1), "3");
  EXPECT_EQ(p.Capacity(), 0);
}

TEST_F(LocalPlatformGpuTest, ImpossibleRequestsFailAtStart) {
  FakeNvidiaSmi smi({"0, GPU-a, 0, 81559, 0", "1, GPU-b, 0, 81559, 0"});
  std::string found = "found by nvidia-smi (" + smi.dir() + "/nvidia-smi): 0, 1";

  EXPECT_EQ(StartError(Options(smi, 3)), "trialGpuNumber is 3 but only 2 GPUs are usable (" + found + ")");

  LocalPlatformOptions restricted = Options(smi, 2);
  restricted.gpu_indices = {0};
  EXPECT_EQ(StartError(std::move(restricted)),
            "trialGpuNumber is 2 but only 1 GPU is usable (gpuIndices [0]; " + found + ")");

  LocalPlatformOptions missing = Options(smi, 1);
  missing.gpu_indices = {0, 5};
  EXPECT_EQ(StartError(std::move(missing)), "trainingService.gpuIndices: GPU 5 does not exist (" + found + ")");

  TempDir no_smi;
  LocalPlatformOptions none = Options(smi, 1);
  none.discover_gpus = [path = no_smi.path()](bool) { return DiscoverGpus({.path_env = path}); };
  EXPECT_EQ(StartError(std::move(none)), "trialGpuNumber is 1 but no GPU is usable (no nvidia-smi on PATH)");

  LocalPlatformOptions negative = Options(smi, -1);
  EXPECT_EQ(StartError(std::move(negative)), "trialGpuNumber must be >= 0, but got -1");
}

TEST_F(LocalPlatformGpuTest, MaxTrialNumberPerGpuNeedsTrialGpuNumber) {
  FakeNvidiaSmi smi({"0, GPU-a, 0, 81559, 0"});
  LocalPlatformOptions unset = Options(smi, 0, 2);
  unset.trial_gpu_number.reset();
  EXPECT_EQ(StartError(std::move(unset)),
            "trainingService.maxTrialNumberPerGpu is 2, but it only works with trialGpuNumber >= 1 "
            "(trialGpuNumber is not set)");
  EXPECT_EQ(StartError(Options(smi, 0, 2)),
            "trainingService.maxTrialNumberPerGpu is 2, but it only works with trialGpuNumber >= 1 "
            "(trialGpuNumber is 0)");
  EXPECT_NE(StartError(Options(smi, 1, 0)).find("maxTrialNumberPerGpu must be >= 1, but got 0"),
            std::string::npos);
}

TEST_F(LocalPlatformGpuTest, DiscoveryFailureFailsStart) {
  FakeNvidiaSmi smi({}, "echo 'No devices were found'; exit 6\n");
  std::string error = StartError(Options(smi, 1));
  EXPECT_NE(error.find("local platform: listing GPUs"), std::string::npos) << error;
  EXPECT_NE(error.find("No devices were found"), std::string::npos) << error;
}

TEST_F(LocalPlatformGpuTest, CpuTrialsNeverRunNvidiaSmi) {
  int calls = 0;
  LocalPlatformOptions options;
  options.discover_gpus = [&calls](bool) -> StatusOr<GpuInventory> {
    ++calls;
    return GpuInventory{};
  };
  LocalPlatform p(options);
  ASSERT_TRUE(p.Start().ok());
  options.trial_gpu_number = 0;
  LocalPlatform zero(options);
  ASSERT_TRUE(zero.Start().ok());
  EXPECT_EQ(calls, 0);
}

TEST_F(LocalPlatformGpuTest, GpusUsedByOthersAreSkippedWithoutUseActiveGpu) {
  FakeNvidiaSmi smi({"0, GPU-a, 900, 81559, 80", "1, GPU-b, 0, 81559, 0"});
  smi.SetApps({"GPU-a, 4242"});
  LocalPlatformOptions options = Options(smi, 1);
  options.use_active_gpu = false;
  options.gpu_refresh_interval = 0ms;
  LocalPlatform p(std::move(options));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 1);
  EXPECT_EQ(LaunchAndReadDevices(p, 0), "1");
  EXPECT_EQ(p.Capacity(), 0);

  // Our own trial's process on GPU 1 does not make it foreign; the other user leaves GPU 0.
  smi.SetApps({"GPU-b, 555"});
  std::vector<PlatformEvent> events;
  ASSERT_TRUE(p.Poll(1ms, &events).ok());
  EXPECT_EQ(p.Capacity(), 1);
  EXPECT_EQ(LaunchAndReadDevices(p, 1), "0");
  ASSERT_TRUE(p.Stop(1s).ok());
}

TEST_F(LocalPlatformGpuTest, ActiveGpusAreUsedByDefault) {
  FakeNvidiaSmi smi({"0, GPU-a, 900, 81559, 80"});
  smi.SetApps({"GPU-a, 4242"});
  LocalPlatform p(Options(smi, 1));
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), 1);
}

// On a machine with NVIDIA GPUs: the real nvidia-smi's output parses, and the platform
// hands out what it reports.
TEST(LocalPlatformRealGpuTest, UsesTheGpusTheRealNvidiaSmiReports) {
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "";
  if (!FindExecutable("nvidia-smi", path)) GTEST_SKIP() << "no nvidia-smi on PATH";
  StatusOr<GpuInventory> inventory = DiscoverGpus({.path_env = path, .count_processes = true});
  ASSERT_TRUE(inventory.ok()) << inventory.status().message();
  ASSERT_FALSE(inventory->gpus.empty());
  for (const GpuInfo& gpu : inventory->gpus) {
    std::cout << "GPU " << gpu.index << " " << gpu.uuid << " " << gpu.memory_used_mib << "/"
              << gpu.memory_total_mib << " MiB, " << gpu.utilization_percent << " %, "
              << gpu.compute_processes << " processes\n";
    EXPECT_EQ(gpu.uuid.rfind("GPU-", 0), 0u) << gpu.uuid;
    EXPECT_GT(gpu.memory_total_mib, 0);
    EXPECT_GE(gpu.compute_processes, 0);
  }
  int found = static_cast<int>(inventory->gpus.size());

  TempDir dir;
  LocalPlatformOptions options;
  options.trial_gpu_number = 1;
  options.discover_gpus = [path](bool count) { return DiscoverGpus({.path_env = path, .count_processes = count}); };
  LocalPlatform p(options);
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Capacity(), found);
  TrialLaunch l;
  l.seq = 0;
  l.command = "echo \"$CUDA_VISIBLE_DEVICES\"";
  l.trial_dir = dir / "0";
  ASSERT_TRUE(p.Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(p, ExitedSeq(0));
  EXPECT_EQ(LinesOf(events, 0).at(0), std::to_string(inventory->gpus[0].index));

  options.trial_gpu_number = found + 1;
  LocalPlatform too_many(options);
  Status st = too_many.Start();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("trialGpuNumber is " + std::to_string(found + 1) + " but only"),
            std::string::npos) << st.message();
}

}  // namespace
}  // namespace hone
