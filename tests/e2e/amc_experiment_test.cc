// End-to-end: AMC as an ordinary experiment. `hone compress amc-space` writes a trained
// model's per-layer keep ratios as the search space, `tuner: amc` (hone-compress's DDPG
// agent, run as a command) proposes whole policies two at a time, and `hone compress
// amc-trial` prunes the model to each policy and reports its held-out accuracy, FLOPs and
// latency. The manager is SIGKILLed mid-search and resumed: the agent is rebuilt from the
// stored trials and goes on from the episodes it had (its replay gives the uninterrupted
// agent's next suggestions: tests/compress/amc_tuner_resume_test.cc and
// amc_tuner_contract_test.cc prove that part exactly).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

// The episode counts in the tuner's "amc tuner: N episodes fed" lines, in order.
std::vector<int> EpisodesFed(const std::string& log) {
  std::vector<int> out;
  std::regex line("amc tuner: ([0-9]+) episodes fed");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoi((*it)[1]));
  return out;
}

int Succeeded(const HoneEnv& env, const std::string& id) {
  return std::stoi(env.Query(id, "SELECT COUNT(*) AS n FROM trials WHERE status = 'succeeded'")[0]["n"]);
}

// Succeeded() while the manager may still be creating its database: 0 until the trials
// table exists (a poll that comes first must not read a half-made database as a failure).
int SucceededSoFar(const HoneEnv& env, const std::string& id) {
  std::error_code ec;
  if (!std::filesystem::exists(env.ExperimentDir(id) + "/hone.db", ec)) return 0;
  auto tables = env.Query(id, "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'trials'");
  if (tables.empty() || tables[0]["n"] != "1") return 0;
  return Succeeded(env, id);
}

TEST(AmcExperimentTest, AgentSearchesPoliciesAsTrialsAndResumesAfterAKill) {
  const std::string build = HONE_BUILD_DIR;
  if (!std::filesystem::exists(build + "/hone-compress")) GTEST_SKIP() << "built without libtorch";
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  HoneEnv env;
  const std::string model = env.work() + "/vgg.pt";
  RunResult train = env.Run({"compress", "train", "--model", "vgg-small", "--width", "8", "--epochs", "2",
                             "--optimizer", "adam", "--lr", "0.003", "--train-subset", "3000", "--test-subset", "200",
                             "--threads", "1", "--out", model});
  ASSERT_EQ(train.exit_code, 0) << train.out << train.err;
  const std::string budget = " --flops-ratio 0.7 --round-to 4";
  RunResult space = env.Run({"compress", "amc-space", model, "--flops-ratio", "0.7", "--round-to", "4", "--out",
                             env.work() + "/space.json"});
  ASSERT_EQ(space.exit_code, 0) << space.out << space.err;
  const nlohmann::json space_json = nlohmann::json::parse(ReadFile(env.work() + "/space.json"));
  std::string cfg = "experimentName: amc\nsearchSpaceFile: space.json\n"
                    "trialCommand: " + build + "/hone compress amc-trial " + model + budget +
                    " --held-out 500 --threads 1 --latency-repeats 3\n"
                    "trialConcurrency: 2\nmaxTrialNumber: 8\nseed: 5\n"
                    "tuner:\n  name: amc\n  classArgs: {model: " + model +
                    ", flops_ratio: 0.7, round_to: 4, warmup_episodes: 2, optimize_mode: maximize}\n"
                    "trainingService:\n  platform: local\n";
  pid_t manager = env.Start({"run", env.WriteFile("exp.yaml", cfg)});
  std::string id;
  bool killed = false;
  for (int i = 0; i < 2400 && !killed; ++i) {  // up to 120 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::error_code ec;
    if (id.empty() && std::filesystem::exists(env.home() + "/experiments", ec) &&
        !std::filesystem::is_empty(env.home() + "/experiments", ec))
      id = env.OnlyExperimentId();
    if (id.empty() || SucceededSoFar(env, id) < 3) continue;
    ASSERT_EQ(kill(manager, SIGKILL), 0);
    waitpid(manager, nullptr, 0);
    killed = true;
  }
  ASSERT_TRUE(killed) << "three trials did not succeed in time\n" << ReadFile(env.work() + "/bg0.err");
  const std::vector<int> before = EpisodesFed(ReadFile(env.work() + "/bg0.err"));
  ASSERT_FALSE(before.empty()) << ReadFile(env.work() + "/bg0.err");
  const int succeeded_at_kill = Succeeded(env, id);

  RunResult resumed = env.Run({"resume", id}, 600);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  const std::vector<int> after = EpisodesFed(resumed.err);
  ASSERT_FALSE(after.empty()) << resumed.err;
  // The first update after the resume replays every stored trial: the agent starts where
  // it was (every finished trial fed, none twice), and keeps counting.
  RecordProperty("episodes_before_kill", before.back());
  RecordProperty("succeeded_at_kill", succeeded_at_kill);
  RecordProperty("episodes_at_resume", after.front());
  EXPECT_GE(after.front(), before.back()) << resumed.err;
  EXPECT_GE(after.front(), succeeded_at_kill) << resumed.err;
  EXPECT_EQ(after.back(), Succeeded(env, id)) << resumed.err;

  auto trials = env.Query(id, "SELECT seq, config_id, final, final_metrics FROM trials WHERE status = 'succeeded'");
  std::set<std::string> configs;
  double best = 0;
  for (auto& t : trials) {
    configs.insert(t["config_id"]);
    double accuracy = std::stod(t["final"]);
    best = std::max(best, accuracy);
    EXPECT_GE(accuracy, 0.0);
    EXPECT_LE(accuracy, 1.0);
    nlohmann::json report = nlohmann::json::parse(t["final_metrics"]);
    EXPECT_LE(report["flops_ratio"].get<double>(), 0.7) << "trial " << t["seq"] << " missed the budget";
    EXPECT_GT(report["latency_ms"].get<double>(), 0) << report.dump();
    EXPECT_GT(report["flops"].get<double>(), 0) << report.dump();
  }
  EXPECT_EQ(configs.size(), 8u) << "every configuration of the budget ran to success once";
  RecordProperty("best_accuracy", std::to_string(best));
  // Without fine-tuning, random warm-up policies at 70% of the FLOPs lose most of this tiny
  // network's accuracy (dense ~77%; the best of eight ~12-17%). A mild policy keeps much
  // of it: the trial command outside an experiment, on a policy file.
  std::string policy = "{";
  for (auto it = space_json.begin(); it != space_json.end(); ++it)
    policy += std::string(it == space_json.begin() ? "" : ",") + "\"" + it.key() + "\": 0.8";
  RunResult mild = env.Run({"compress", "amc-trial", model, "--flops-ratio", "0.7", "--round-to", "4", "--held-out",
                            "500", "--latency-repeats", "0", "--params", env.WriteFile("p.json", policy + "}"),
                            "--out", env.work() + "/mild.pt"});
  ASSERT_EQ(mild.exit_code, 0) << mild.err;
  // --out saves the policy's sped-up model: physically smaller than the dense one.
  ASSERT_TRUE(std::filesystem::exists(env.work() + "/mild.pt"));
  EXPECT_LT(std::filesystem::file_size(env.work() + "/mild.pt"), std::filesystem::file_size(model));
  nlohmann::json report = nlohmann::json::parse(mild.out);
  EXPECT_GT(report["default"].get<double>(), 0.3) << mild.out;
  EXPECT_LE(report["flops_ratio"].get<double>(), 0.7) << mild.out;
  // --calibrate-bn re-estimates the pruned model's batch norms on the images before the
  // held-out ones, as pruner: amc's calibrate_bn does: the same policy scores otherwise.
  RunResult calibrated = env.Run({"compress", "amc-trial", model, "--flops-ratio", "0.7", "--round-to", "4",
                                  "--held-out", "500", "--latency-repeats", "0", "--calibrate-bn", "20", "--params",
                                  env.work() + "/p.json"});
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.err;
  nlohmann::json with_bn = nlohmann::json::parse(calibrated.out);
  EXPECT_GT(with_bn["default"].get<double>(), 0.3) << calibrated.out;
  EXPECT_NE(with_bn["default"].get<double>(), report["default"].get<double>()) << calibrated.out;
  EXPECT_EQ(with_bn["keeps"], report["keeps"]);
}

}  // namespace
}  // namespace hone::e2e
