// End-to-end: `hone run` on the remote platform against a real sshd on 127.0.0.1: the
// code directory is shipped, parameters go in, metrics come back, maxTrialDuration ends
// the trial's process group on the host, and a host that refuses stops the run at start.
#include <signal.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "tests/platforms/remote/sshd_fixture.h"

namespace hone::e2e {
namespace {
namespace fs = std::filesystem;

const char* kSpaceX = "  x: {_type: uniform, _value: [0, 1]}\n";

// Prints x/2 and x as intermediate results and x as the final one; with an argument,
// sleeps that long first.
const char* kTrial = R"PY(import json, os, sys, time
x = json.loads(os.environ["HONE_PARAMS"])["x"]
if len(sys.argv) > 1:
    print("sleeping", flush=True)
    time.sleep(float(sys.argv[1]))
print('@hone ' + json.dumps({"type": "intermediate", "step": 1, "value": x / 2}))
print('@hone ' + json.dumps({"type": "intermediate", "step": 2, "value": x}))
print('@hone ' + json.dumps({"type": "final", "value": x}))
)PY";

class RemoteRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = sshd_.Start();
    ASSERT_EQ(why, "") << "the remote platform's e2e tests need a real sshd";
    fs::create_directories(env_.work() + "/code");
    env_.WriteFile("code/trial.py", kTrial);
    env_.WriteFile("code/.honeignore", "*.ckpt\n");
    env_.WriteFile("code/huge.ckpt", "ignored");
  }
  // The remote trainingService for the fixture's sshd, on `port`.
  std::string Service(int port) const {
    return "trialCodeDirectory: code\ntrainingService:\n  platform: remote\n  remoteDir: " + env_.work() +
           "/host\n  sshOptions: [StrictHostKeyChecking=no, UserKnownHostsFile=" + sshd_.known_hosts() +
           "]\n  machineList:\n    - host: 127.0.0.1\n      port: " + std::to_string(port) +
           "\n      user: " + sshd_.user() + "\n      sshKeyFile: " + sshd_.key() + "\n";
  }
  std::string Yaml(const std::string& command, int concurrency, int trials, const std::string& extra,
                   int port = 0) const {
    std::string text = Config(command, concurrency, trials, kSpaceX);
    text = text.substr(0, text.find("trainingService:"));
    return text + extra + Service(port ? port : sshd_.port());
  }

  testing::SshdFixture sshd_;
  HoneEnv env_;
};

TEST_F(RemoteRunTest, ParametersGoInAndMetricsComeBack) {
  auto cfg = env_.WriteFile("exp.yaml", Yaml("python3 trial.py", 2, 4, ""));
  RunResult r = env_.Run({"run", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env_.OnlyExperimentId();
  nlohmann::json trials = env_.ExportJson(id);
  ASSERT_EQ(trials.size(), 4u);
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), t["parameters"]["x"].get<double>());
  }
  EXPECT_EQ(env_.Query(id, "SELECT COUNT(*) AS n FROM metrics")[0]["n"], "8");
  for (const auto& t : trials) {
    double x = t["parameters"]["x"].get<double>();
    auto steps = env_.Query(id, "SELECT step, value FROM metrics WHERE seq = " + t["seq"].dump() + " ORDER BY step");
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_NEAR(std::stod(steps[0]["value"]), x / 2, 1e-9);
    EXPECT_NEAR(std::stod(steps[1]["value"]), x, 1e-9);
  }
  // The trial ran in the shipped copy (without the ignored file) and its logs came back.
  std::string host_trial = env_.work() + "/host/runs/" + id + "/0";
  EXPECT_TRUE(fs::exists(host_trial + "/exit"));
  EXPECT_NE(ReadFile(env_.ExperimentDir(id) + "/trials/0/stdout.log").find("@hone"), std::string::npos);
  // One copy of the code (checked at start and used by every trial) and one of the SDK.
  int code = 0, sdk = 0;
  for (const auto& e : fs::directory_iterator(env_.work() + "/host/code")) {
    code += fs::exists(e.path() / "trial.py");
    sdk += fs::exists(e.path() / "hone/__init__.py");
    EXPECT_FALSE(fs::exists(e.path() / "huge.ckpt"));
  }
  EXPECT_EQ(code, 1);
  EXPECT_EQ(sdk, 1);
}

TEST_F(RemoteRunTest, MaxTrialDurationEndsTheRemoteProcessGroup) {
  auto cfg = env_.WriteFile("exp.yaml", Yaml("python3 trial.py 60", 1, 1, "maxTrialDuration: 2s\n"));
  double start = Now();
  RunResult r = env_.Run({"run", cfg}, 120);
  EXPECT_LT(Now() - start, 40) << r.out << r.err;
  std::string id = env_.OnlyExperimentId();
  auto rows = env_.Query(id, "SELECT status, reason FROM trials");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "timeout") << rows[0]["reason"];
  // The host's runner saw the group end; its process (this machine: loopback) is gone.
  std::string host_trial = env_.work() + "/host/runs/" + id + "/0";
  EXPECT_TRUE(fs::exists(host_trial + "/exit"));
  pid_t pid = std::atoi(ReadFile(host_trial + "/pid").c_str());
  ASSERT_GT(pid, 0);
  EXPECT_NE(kill(pid, 0), 0) << "trial process " << pid << " survived";
}

TEST_F(RemoteRunTest, HostThatRefusesIsNamedAndTheRunStops) {
  int dead = testing::SshdFixture::FreePort();
  auto cfg = env_.WriteFile("exp.yaml", Yaml("python3 trial.py", 1, 1, "", dead));
  RunResult r = env_.Run({"run", cfg}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("127.0.0.1:" + std::to_string(dead)), std::string::npos) << r.out << r.err;
}

// An NNI trial, unchanged: the trial SDK (with the nni shim) is shipped to the host too.
TEST_F(RemoteRunTest, NniTrialRunsWithTheShippedSdk) {
  env_.WriteFile("code/nni_trial.py",
                 "import nni\np = nni.get_next_parameter()\nprint('sdk', nni.__file__)\n"
                 "nni.report_intermediate_result(p['x'] / 2)\nnni.report_final_result(p['x'])\n");
  auto cfg = env_.WriteFile("exp.yaml", Yaml("python3 nni_trial.py", 1, 2, ""));
  RunResult r = env_.Run({"run", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env_.OnlyExperimentId();
  for (const auto& t : env_.ExportJson(id)) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), t["parameters"]["x"].get<double>());
  }
  std::string log = ReadFile(env_.ExperimentDir(id) + "/trials/0/stdout.log");
  EXPECT_NE(log.find("sdk " + env_.work() + "/host/code/"), std::string::npos) << log;
}

}  // namespace
}  // namespace hone::e2e
