// End-to-end: the remote platform when things die. `hone run` SIGKILLed mid-trial and
// `hone resume`d takes its remote trials back (same pid on the host, every metric once),
// also one that ended while no manager watched; a host that dies mid-trial (its sshd and
// its trial killed) ends the lost trial as failed naming the host, and its configuration
// runs again on the other host.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "tests/platforms/remote/sshd_fixture.h"

namespace hone::e2e {
namespace {
namespace fs = std::filesystem;

// Reports x/2 at step 1, waits until <gate dir>/go-<seq> (or go) exists, then reports x
// at step 2 and x as the final result.
const char* kGatedTrial = R"PY(import json, os, sys, time
seq = os.path.basename(os.environ["HONE_TRIAL_DIR"].rstrip("/"))
x = json.loads(os.environ["HONE_PARAMS"])["x"]
print('@hone ' + json.dumps({"type": "intermediate", "step": 1, "value": x / 2}), flush=True)
gates = [os.path.join(sys.argv[1], "go-" + seq), os.path.join(sys.argv[1], "go")]
while not any(os.path.exists(g) for g in gates):
    time.sleep(0.05)
print('@hone ' + json.dumps({"type": "intermediate", "step": 2, "value": x}))
print('@hone ' + json.dumps({"type": "final", "value": x}))
)PY";

bool WaitFor(const std::function<bool()>& done, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class RemoteResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sshd_.Start(), "") << "the remote platform's e2e tests need a real sshd";
    fs::create_directories(env_.work() + "/code");
    env_.WriteFile("code/trial.py", kGatedTrial);
  }
  std::string Machine(const testing::SshdFixture& s) const {
    return "    - host: 127.0.0.1\n      port: " + std::to_string(s.port()) + "\n      user: " + s.user() +
           "\n      sshKeyFile: " + s.key() + "\n";
  }
  std::string Yaml(int concurrency, int trials, const std::string& machines) const {
    std::string text = Config("python3 trial.py " + env_.work(), concurrency, trials,
                              "  x: {_type: uniform, _value: [0, 1]}\n");
    text = text.substr(0, text.find("trainingService:"));
    return text + "trialCodeDirectory: code\ntrainingService:\n  platform: remote\n  remoteDir: " + env_.work() +
           "/host\n  sshOptions: [StrictHostKeyChecking=no, UserKnownHostsFile=" + sshd_.known_hosts() +
           "]\n  machineList:\n" + machines;
  }
  // Rows of the experiment's database, "" when it cannot be read yet.
  std::string Count(const std::string& sql) {
    std::error_code ec;
    if (!fs::exists(env_.home() + "/experiments", ec) || fs::is_empty(env_.home() + "/experiments", ec)) return "";
    std::string id = env_.OnlyExperimentId();
    if (!fs::exists(env_.ExperimentDir(id) + "/hone.db", ec)) return "";
    // The schema may not be there yet.
    if (env_.Query(id, "SELECT COUNT(*) AS n FROM sqlite_master WHERE name IN ('metrics', 'events')")[0]["n"] != "2")
      return "";
    auto rows = env_.Query(id, sql);
    return rows.empty() ? "" : rows[0].begin()->second;
  }
  std::string HostTrial(const std::string& id, int seq) const {
    return env_.work() + "/host/runs/" + id + "/" + std::to_string(seq);
  }

  testing::SshdFixture sshd_;
  HoneEnv env_;
};

TEST_F(RemoteResumeTest, ResumeTakesBackRemoteTrialsWithTheSamePidAndEachMetricOnce) {
  auto cfg = env_.WriteFile("exp.yaml", Yaml(2, 2, Machine(sshd_)));
  pid_t manager = env_.Start({"run", cfg});
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT COUNT(*) FROM metrics") == "2"; }, 60))
      << "both trials report step 1";
  std::string id = env_.OnlyExperimentId();
  auto before = env_.Query(id, "SELECT seq, pid FROM trials ORDER BY seq");
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(kill(manager, SIGKILL), 0);
  env_.Wait(manager);
  // Trial 0 ends while no manager watches; trial 1 still runs when resume comes.
  env_.WriteFile("go-0", "");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(HostTrial(id, 0) + "/exit"); }, 30));
  pid_t resumed = env_.Start({"resume", id});
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT COUNT(*) FROM events WHERE kind = 'attached'") == "2"; }, 60));
  env_.WriteFile("go-1", "");
  ASSERT_EQ(env_.Wait(resumed, 120), 0) << ReadFile(env_.work() + "/bg1.err");
  auto after = env_.Query(id, "SELECT seq, pid, status FROM trials ORDER BY seq");
  ASSERT_EQ(after.size(), 2u) << "no trial ran again";
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after[i]["status"], "succeeded") << i;
    EXPECT_EQ(after[i]["pid"], before[i]["pid"]) << "trial " << i << " is the same process on the host";
  }
  for (const auto& t : env_.ExportJson(id)) {
    double x = t["parameters"]["x"].get<double>();
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), x);
    auto steps = env_.Query(id, "SELECT step, value FROM metrics WHERE seq = " + t["seq"].dump() + " ORDER BY step");
    ASSERT_EQ(steps.size(), 2u) << "step 1 (reported before the kill, streamed again after) counts once";
    EXPECT_EQ(steps[0]["step"], "1");
    EXPECT_NEAR(std::stod(steps[1]["value"]), x, 1e-9);
  }
  EXPECT_NE(ReadFile(env_.ExperimentDir(id) + "/trials/1/stdout.log").rfind("\"step\": 1"), std::string::npos);
}

TEST_F(RemoteResumeTest, AHostThatDiesLosesItsTrialWhichRunsAgainOnTheOtherHost) {
  testing::SshdFixture doomed;
  ASSERT_EQ(doomed.Start(), "");
  auto cfg = env_.WriteFile("exp.yaml", Yaml(2, 3, Machine(sshd_) + Machine(doomed)) + "maxTrialRetries: 2\n");
  pid_t manager = env_.Start({"run", cfg});
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT COUNT(*) FROM metrics") == "2"; }, 60));
  std::string id = env_.OnlyExperimentId();
  // The trial on the doomed host (its local trial directory names the host).
  std::string doomed_name = "127.0.0.1:" + std::to_string(doomed.port());
  int lost_seq = -1;
  for (int seq = 0; seq < 2; ++seq)
    if (ReadFile(env_.ExperimentDir(id) + "/trials/" + std::to_string(seq) + "/remote_host").find(doomed_name) !=
        std::string::npos)
      lost_seq = seq;
  ASSERT_GE(lost_seq, 0) << "one trial runs on each host";
  doomed.KillHost();
  // The host is this machine: its trial dies with it.
  pid_t group = std::atoi(ReadFile(HostTrial(id, lost_seq) + "/pid").c_str());
  ASSERT_GT(group, 0);
  kill(-group, SIGKILL);
  env_.WriteFile("go", "");
  ASSERT_EQ(env_.Wait(manager, 120), 0) << ReadFile(env_.work() + "/bg0.err");
  auto rows = env_.Query(id, "SELECT seq, config_id, status, reason FROM trials ORDER BY seq");
  ASSERT_EQ(rows.size(), 4u) << "three configurations and one run again";
  std::string lost_config = rows[lost_seq]["config_id"];
  EXPECT_EQ(rows[lost_seq]["status"], "failed");
  EXPECT_NE(rows[lost_seq]["reason"].find(doomed_name), std::string::npos) << rows[lost_seq]["reason"];
  std::set<std::string> succeeded;
  int reruns = 0;
  for (const auto& r : rows) {
    if (r.at("status") == "succeeded") succeeded.insert(r.at("config_id"));
    if (r.at("seq") != std::to_string(lost_seq) && r.at("config_id") == lost_config) ++reruns;
  }
  EXPECT_EQ(succeeded.size(), 3u) << "every configuration succeeded in the end";
  EXPECT_EQ(reruns, 1);
  for (const auto& r : rows) {
    if (r.at("status") != "succeeded") continue;
    std::string host = ReadFile(env_.ExperimentDir(id) + "/trials/" + r.at("seq") + "/remote_host");
    if (std::stoi(r.at("seq")) >= 2) EXPECT_EQ(host.find(doomed_name), std::string::npos) << "ran on the dead host";
  }
}

}  // namespace
}  // namespace hone::e2e
