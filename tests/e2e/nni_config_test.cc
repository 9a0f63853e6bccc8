// End-to-end: configs as NNI users write them. A config in the spelling of NNI's nnictl
// tutorial (snake_case keys, TPE with class_args, an `import nni` trial) runs as it is,
// and search-space edge cases (null and 2.0 among a choice's options, a range with
// low == high) reach the trial as Python's None and floats.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

TEST(NniConfigTest, NnictlTutorialConfigRunsUnchanged) {
  HoneEnv env;
  const std::string config = std::string(HONE_E2E_DIR) + "/nni_tutorial/config.yaml";
  RunResult r = env.Run({"run", config}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Every key was read: no "unknown key", no assumed defaults for what the file gives.
  EXPECT_EQ(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("optimize_mode: not given"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no trainingService given"), std::string::npos) << r.err;
  const std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 10u);  // max_trial_number
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    const auto& p = t["parameters"];
    EXPECT_TRUE(std::set<int>({128, 256, 512, 1024}).count(p["features"].get<int>())) << p.dump();
    EXPECT_GE(p["lr"].get<double>(), 0.0001);
    EXPECT_LE(p["lr"].get<double>(), 0.1);
    EXPECT_GE(p["momentum"].get<double>(), 0.0);
    EXPECT_LE(p["momentum"].get<double>(), 1.0);
  }
  // Three intermediate results per trial (report_intermediate_result), and the stored
  // config in canonical keys, which resume and export read.
  auto metrics = env.Query(id, "SELECT COUNT(*) AS n FROM metrics");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["n"], "30");
  auto stored = env.Query(id, "SELECT value FROM meta WHERE key = 'config'");
  ASSERT_EQ(stored.size(), 1u);
  nlohmann::json cfg = nlohmann::json::parse(stored[0]["value"]);
  EXPECT_EQ(cfg["trialCommand"], "python3 model.py");
  EXPECT_EQ(cfg["trialConcurrency"], 2);
  EXPECT_EQ(cfg["maxTrialNumber"], 10);
  EXPECT_EQ(cfg["tuner"]["name"], "tpe");
  EXPECT_EQ(cfg["tuner"]["classArgs"]["optimize_mode"], "maximize");
  EXPECT_EQ(cfg["trainingService"]["platform"], "local");
  EXPECT_TRUE(std::filesystem::equivalent(cfg["trialCodeDirectory"].get<std::string>(),
                                          std::string(HONE_E2E_DIR) + "/nni_tutorial"))
      << cfg["trialCodeDirectory"];
  // Resume reads the stored config back.
  RunResult resumed = env.Run({"resume", id}, 120);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(env.ExportJson(id).size(), 10u);
}

TEST(NniConfigTest, EdgeCaseValuesReachTheTrialAsWritten) {
  HoneEnv env;
  env.WriteFile("trial.py",
                "import nni\n"
                "p = nni.get_next_parameter()\n"
                "print('TYPES', sorted((k, type(v).__name__, repr(v)) for k, v in p.items()))\n"
                "nni.report_final_result(1.0)\n");
  // Grid search: each of the three options once, then the space is exhausted.
  const std::string yaml =
      "search_space:\n"
      "  act: {_type: choice, _value: [null, 2.0, relu]}\n"
      "  dropout: {_type: uniform, _value: [0.5, 0.5]}\n"
      "  width: {_type: quniform, _value: [64, 64, 8]}\n"
      "trial_command: python3 trial.py\n"
      "trial_concurrency: 1\n"
      "max_trial_number: 5\n"
      "tuner: {name: GridSearch}\n";
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", yaml)}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string dir = env.ExperimentDir(env.OnlyExperimentId()) + "/trials";
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string out = ReadFile(entry.path().string() + "/stdout.log");
    size_t at = out.find("TYPES ");
    ASSERT_NE(at, std::string::npos) << out;
    std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find("('dropout', 'float', '0.5')"), std::string::npos) << line;
    EXPECT_NE(line.find("('width', 'float', '64.0')"), std::string::npos) << line;
    for (const char* act : {"('act', 'NoneType', 'None')", "('act', 'float', '2.0')", "('act', 'str', \"'relu'\")"})
      if (line.find(act) != std::string::npos) seen.insert(act);
  }
  EXPECT_EQ(seen.size(), 3u) << "not every option reached a trial as written";
}

}  // namespace
}  // namespace hone::e2e
