// GPU discovery on remote hosts without gpuIndices: nvidia-smi runs over the connection.
// No GPU exists here, so a stand-in nvidia-smi script (fake_nvidia_smi.h) sits in the
// machine's pythonPath directory, which is first on PATH for the query.
#include <gtest/gtest.h>

#include <set>

#include "platforms/remote/remote_platform.h"
#include "tests/platforms/fake_nvidia_smi.h"
#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/remote/remote_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::LinesOf;
using testing::PollUntil;

class RemoteGpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    sshd_ = &testing::SharedSshd(&why);
    ASSERT_EQ(why, "") << "the test sshd is needed";
  }
  RemotePlatformOptions Options(int gpus_per_trial) {
    RemotePlatformOptions o = testing::TestRemoteOptions(*sshd_, dir_ / "host");
    o.trial_gpu_number = gpus_per_trial;
    o.machines[0].python_path = smi_.dir();
    return o;
  }
  TrialLaunch Launch(int64_t seq) {
    TrialLaunch l;
    l.seq = seq;
    l.command = "echo $CUDA_VISIBLE_DEVICES; sleep 30";
    l.env = {{"HONE_EXPERIMENT_ID", "gpu"}};
    return l;
  }
  std::vector<std::string> Devices(RemotePlatform& remote, int trials) {
    auto events = PollUntil(
        remote, [&](const auto& ev) { for (int s = 0; s < trials; ++s) if (LinesOf(ev, s).empty()) return false; return true; },
        10s);
    std::vector<std::string> out;
    for (int s = 0; s < trials; ++s) out.push_back(LinesOf(events, s).empty() ? "" : LinesOf(events, s)[0]);
    return out;
  }

  testing::SshdFixture* sshd_ = nullptr;
  testing::TempDir dir_;
  testing::FakeNvidiaSmi smi_{testing::FourGpus()};
};

TEST_F(RemoteGpuTest, GpusNvidiaSmiListsOnTheHostAreUsed) {
  RemotePlatform remote(Options(2));
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(0)).ok());
  ASSERT_TRUE(remote.Launch(Launch(1)).ok());
  EXPECT_EQ(remote.Capacity(), 0) << "four GPUs, two per trial";
  std::vector<std::string> devices = Devices(remote, 2);
  EXPECT_EQ(std::set<std::string>(devices.begin(), devices.end()), (std::set<std::string>{"0,1", "2,3"}));
  ASSERT_TRUE(remote.Stop(500ms).ok());
}

TEST_F(RemoteGpuTest, WithoutUseActiveGpuBusyGpusAreLeftOut) {
  smi_.SetApps({"GPU-aaaa, 1234", "GPU-cccc, 99"});
  RemotePlatformOptions o = Options(1);
  o.machines[0].use_active_gpu = false;
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(0)).ok());
  ASSERT_TRUE(remote.Launch(Launch(1)).ok());
  EXPECT_EQ(remote.Capacity(), 0) << "GPUs 0 and 2 run someone else's processes";
  std::vector<std::string> devices = Devices(remote, 2);
  EXPECT_EQ(std::set<std::string>(devices.begin(), devices.end()), (std::set<std::string>{"1", "3"}));
  ASSERT_TRUE(remote.Stop(500ms).ok());
}

TEST_F(RemoteGpuTest, TooFewOrNoGpusOnAHostIsAStartErrorNamingIt) {
  RemotePlatform greedy(Options(5));
  Status st = greedy.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(sshd_->port())), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nvidia-smi lists 4 usable GPUs"), std::string::npos) << st.message();
  // A driver that does not answer (a stand-in too: a real nvidia-smi may be on PATH).
  testing::FakeNvidiaSmi broken({}, "echo 'NVIDIA-SMI has failed: no driver' >&2; exit 9\n");
  RemotePlatformOptions o = Options(1);
  o.machines[0].python_path = broken.dir();
  RemotePlatform none(o);
  st = none.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("listing GPUs with nvidia-smi: NVIDIA-SMI has failed: no driver"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace hone
