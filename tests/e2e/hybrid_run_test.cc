// End-to-end: `hone run` with trainingService as a list (local and a real sshd on
// 127.0.0.1): trials go to both platforms, every one reports back, and the stored config
// reads back as the same list.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "tests/platforms/remote/sshd_fixture.h"

namespace hone::e2e {
namespace {
namespace fs = std::filesystem;

// Reports x as the final metric after a short sleep (so that both platforms get work).
const char* kTrial = R"PY(import json, os, time
x = json.loads(os.environ["HONE_PARAMS"])["x"]
time.sleep(0.5)
print('@hone ' + json.dumps({"type": "intermediate", "step": 1, "value": x / 2}))
print('@hone ' + json.dumps({"type": "final", "value": x}))
)PY";

TEST(HybridRunTest, TrialsRunOnLocalAndRemoteTogether) {
  testing::SshdFixture sshd;
  ASSERT_EQ(sshd.Start(), "") << "the hybrid e2e test needs a real sshd";
  HoneEnv env;
  fs::create_directories(env.work() + "/code");
  env.WriteFile("code/trial.py", kTrial);
  std::string text = Config("python3 trial.py", 2, 6, "  x: {_type: uniform, _value: [0, 1]}\n");
  text = text.substr(0, text.find("trainingService:"));
  text += "trialCodeDirectory: code\ntrainingService:\n  - platform: local\n  - platform: remote\n"
          "    remoteDir: " + env.work() + "/host\n    sshOptions: [StrictHostKeyChecking=no, UserKnownHostsFile=" +
          sshd.known_hosts() + "]\n    machineList:\n      - host: 127.0.0.1\n        port: " +
          std::to_string(sshd.port()) + "\n        user: " + sshd.user() + "\n        sshKeyFile: " + sshd.key() +
          "\n        maxConcurrentTrials: 1\n";
  auto cfg = env.WriteFile("exp.yaml", text);
  RunResult r = env.Run({"run", cfg}, 180);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 6u);
  std::set<std::string> members;
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), t["parameters"]["x"].get<double>());
    std::string dir = env.home() + "/experiments/" + id + "/trials/" + t["seq"].dump();
    members.insert(ReadFile(dir + "/hybrid_platform"));
  }
  EXPECT_EQ(members, (std::set<std::string>{"0 local\n", "1 remote\n"}));
  EXPECT_EQ(env.Query(id, "SELECT COUNT(*) AS n FROM metrics")[0]["n"], "6");
  // Remote trials ran in the host's run directory.
  EXPECT_TRUE(fs::exists(env.work() + "/host/runs/" + id));
}

}  // namespace
}  // namespace hone::e2e
