#include "platforms/gpu_discovery.h"

#include <gtest/gtest.h>

#include "tests/platforms/fake_nvidia_smi.h"

namespace hone {
namespace {

using testing::FakeNvidiaSmi;
using testing::TempDir;

TEST(GpuDiscoveryTest, ParsesNvidiaSmiCsv) {
  StatusOr<std::vector<GpuInfo>> gpus = ParseNvidiaSmiGpus(
      "1, GPU-b, 1024, 81559, 37\r\n"
      "0, GPU-a, 3, 81559, [N/A]\n"
      "\n");
  ASSERT_TRUE(gpus.ok()) << gpus.status().message();
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].index, 0);
  EXPECT_EQ((*gpus)[0].uuid, "GPU-a");
  EXPECT_EQ((*gpus)[0].utilization_percent, 0);
  EXPECT_EQ((*gpus)[1].index, 1);
  EXPECT_EQ((*gpus)[1].memory_used_mib, 1024);
  EXPECT_EQ((*gpus)[1].memory_total_mib, 81559);
  EXPECT_EQ((*gpus)[1].utilization_percent, 37);
  EXPECT_EQ((*gpus)[1].compute_processes, -1);
  EXPECT_TRUE(ParseNvidiaSmiGpus("").ok());
}

TEST(GpuDiscoveryTest, RejectsUnexpectedCsv) {
  for (const char* bad : {"0, GPU-a, 1, 2", "x, GPU-a, 1, 2, 3", "[N/A], GPU-a, 1, 2, 3", "0, GPU-a, 1MiB, 2, 3",
                          "No devices were found"}) {
    StatusOr<std::vector<GpuInfo>> gpus = ParseNvidiaSmiGpus(bad);
    EXPECT_FALSE(gpus.ok()) << bad;
  }
}

TEST(GpuDiscoveryTest, CountsComputeProcessesPerGpu) {
  std::vector<GpuInfo> gpus = *ParseNvidiaSmiGpus("0, GPU-a, 0, 1, 0\n1, GPU-b, 0, 1, 0\n");
  ASSERT_TRUE(CountNvidiaSmiProcesses("GPU-b, 17\nGPU-b, 18\n", &gpus).ok());
  EXPECT_EQ(gpus[0].compute_processes, 0);
  EXPECT_EQ(gpus[1].compute_processes, 2);
}

TEST(GpuDiscoveryTest, FindsExecutablesOnTheGivenPathOnly) {
  FakeNvidiaSmi smi({});
  TempDir empty;
  EXPECT_EQ(FindExecutable("nvidia-smi", empty.path() + ":" + smi.dir()), smi.dir() + "/nvidia-smi");
  EXPECT_EQ(FindExecutable("nvidia-smi", empty.path()), std::nullopt);
  EXPECT_EQ(FindExecutable("nvidia-smi", ""), std::nullopt);
  testing::WriteFile(empty / "nvidia-smi", "not executable");
  EXPECT_EQ(FindExecutable("nvidia-smi", empty.path()), std::nullopt);
}

TEST(GpuDiscoveryTest, RunsTheNvidiaSmiFoundOnPath) {
  FakeNvidiaSmi smi(testing::FourGpus());
  smi.SetApps({"GPU-cccc, 4242"});
  StatusOr<GpuInventory> inv = DiscoverGpus({.path_env = smi.path_env(), .count_processes = true});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  ASSERT_EQ(inv->gpus.size(), 4u);
  EXPECT_EQ(inv->gpus[2].uuid, "GPU-cccc");
  EXPECT_EQ(inv->gpus[2].compute_processes, 1);
  EXPECT_EQ(inv->gpus[0].compute_processes, 0);
  EXPECT_EQ(inv->source, "nvidia-smi (" + smi.dir() + "/nvidia-smi)");
}

TEST(GpuDiscoveryTest, NoNvidiaSmiMeansNoGpus) {
  TempDir empty;
  StatusOr<GpuInventory> inv = DiscoverGpus({.path_env = empty.path()});
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->gpus.empty());
  EXPECT_EQ(inv->source, "no nvidia-smi on PATH");
}

TEST(GpuDiscoveryTest, FailingNvidiaSmiIsAnErrorWithItsMessage) {
  FakeNvidiaSmi smi({}, "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\nexit 9\n");
  StatusOr<GpuInventory> inv = DiscoverGpus({.path_env = smi.path_env()});
  ASSERT_FALSE(inv.ok());
  EXPECT_NE(inv.status().message().find("exit code 9: NVIDIA-SMI has failed"), std::string::npos)
      << inv.status().message();
}

TEST(GpuDiscoveryTest, HangingNvidiaSmiTimesOut) {
  FakeNvidiaSmi smi({}, "exec sleep 1000\n");
  StatusOr<GpuInventory> inv =
      DiscoverGpus({.path_env = smi.path_env(), .timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hone
