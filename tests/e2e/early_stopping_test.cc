// End-to-end: ASHA and Hyperband on real trial processes, through the real `hone run`.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

const char* kSpaceX = "  x: {_type: uniform, _value: [0, 1]}\n";

std::string CurveTrial() { return "/usr/bin/python3 " + TrialScript("curve_trial.py"); }

TEST(EarlyStoppingTest, AshaStopsRealTrialsAtItsRungs) {
  HoneEnv env;
  std::string cfg = Config(CurveTrial(), 2, 14, kSpaceX,
                           "assessor:\n  name: asha\n  classArgs: {optimize_mode: maximize, max_resource: 9, "
                           "reduction_factor: 3, grace_period: 1}\n");
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", cfg), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  auto trials = env.Query(id,
                          "SELECT t.seq, t.status, t.reason, t.started_at, t.ended_at, "
                          "(SELECT COUNT(*) FROM metrics m WHERE m.seq = t.seq) AS n "
                          "FROM trials t ORDER BY t.seq");
  ASSERT_EQ(trials.size(), 14u);
  int stopped = 0, succeeded = 0;
  for (auto& t : trials) {
    int n = std::stoi(t["n"]);
    if (t["status"] == "early_stopped") {
      ++stopped;
      EXPECT_NE(t["reason"].find("asha"), std::string::npos) << t["reason"];
      // Stopped at a rung (its 1st or 3rd value); the process may have printed a line or
      // two more before the signal reached it, never the rest of its curve.
      bool at_rung = t["reason"].find("at step 1") != std::string::npos ||
                     t["reason"].find("at step 3") != std::string::npos;
      EXPECT_TRUE(at_rung) << t["reason"];
      EXPECT_LT(n, 9) << "seq " << t["seq"];
      // The process died before it could finish its curve and print the final report.
      std::ifstream log(env.ExperimentDir(id) + "/trials/" + t["seq"] + "/stdout.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      EXPECT_EQ(text.find("\"final\""), std::string::npos) << "seq " << t["seq"] << ": " << text;
    } else {
      EXPECT_EQ(t["status"], "succeeded") << t["reason"];
      EXPECT_EQ(n, 9);
      ++succeeded;
    }
  }
  EXPECT_GE(stopped, 4) << "ASHA keeps about a third at each rung";
  EXPECT_GE(succeeded, 1);
}

TEST(EarlyStoppingTest, HyperbandPromotesTheBestToLargerBudgets) {
  HoneEnv env;
  std::string cfg = std::string("experimentName: e2e\nsearchSpace:\n") + kSpaceX + "trialCommand: " + CurveTrial() +
                    "\ntrialConcurrency: 3\nmaxTrialNumber: 13\nseed: 7\n"
                    "tuner:\n  name: hyperband\n  classArgs: {optimize_mode: maximize, R: 9, eta: 3, exec_mode: serial}\n"
                    "trainingService:\n  platform: local\n";
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", cfg), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json trials = env.ExportJson(env.OnlyExperimentId());
  ASSERT_EQ(trials.size(), 13u);
  std::map<int, std::vector<std::pair<double, double>>> by_budget;  // budget -> (final, x)
  for (const auto& t : trials) {
    ASSERT_EQ(t["status"], "succeeded") << t.dump();
    int budget = t["parameters"]["TRIAL_BUDGET"].get<int>();
    by_budget[budget].push_back({t["final"].get<double>(), t["parameters"]["x"].get<double>()});
  }
  // Bracket 0 of R 9, eta 3: nine configurations for 1 epoch, the best 3 for 3, the best for 9.
  ASSERT_EQ(by_budget[1].size(), 9u);
  ASSERT_EQ(by_budget[3].size(), 3u);
  ASSERT_EQ(by_budget[9].size(), 1u);
  auto xs = [](std::vector<std::pair<double, double>> v) {
    std::sort(v.begin(), v.end(), std::greater<>());
    std::vector<double> out;
    for (auto& [f, x] : v) out.push_back(x);
    return out;
  };
  std::vector<double> rung0 = xs(by_budget[1]);
  std::vector<double> rung1 = xs(by_budget[3]);
  EXPECT_EQ(std::set<double>(rung1.begin(), rung1.end()), std::set<double>(rung0.begin(), rung0.begin() + 3));
  EXPECT_EQ(by_budget[9][0].second, rung1.front());
}

TEST(EarlyStoppingTest, ReplayPlatformRunsAnAssessorOnRecordedCurvesInSimulatedTime) {
  HoneEnv env;
  std::string curves = std::string(HONE_TESTDATA_DIR) + "/curves/synthetic_curves.jsonl";
  std::string cfg = std::string("experimentName: replay\nsearchSpace:\n") +
                    "  lr: {_type: loguniform, _value: [0.0001, 0.3]}\n"
                    "  width: {_type: choice, _value: [16, 32, 64, 128]}\n"
                    "  optimizer: {_type: choice, _value: [sgd, adam]}\n"
                    "trialCommand: replay\ntrialConcurrency: 4\nmaxTrialNumber: 40\nseed: 3\n"
                    "tuner: {name: random}\n"
                    "assessor: {name: asha, classArgs: {optimize_mode: maximize, max_resource: 20, "
                    "reduction_factor: 3, grace_period: 1}}\n"
                    "trainingService: {platform: replay, curves: " + curves + "}\n";
  double wall = Now();
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", cfg), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_LT(Now() - wall, 30) << "a replay takes no real training time";
  std::string id = env.OnlyExperimentId();
  auto rows = env.Query(id,
                        "SELECT t.status, t.started_at, t.ended_at, (SELECT COUNT(*) FROM metrics m WHERE m.seq = t.seq) AS n "
                        "FROM trials t");
  ASSERT_EQ(rows.size(), 40u);
  int stopped = 0;
  double longest = 0;
  for (auto& row : rows) {
    int n = std::stoi(row["n"]);
    if (row["status"] == "early_stopped") {
      ++stopped;
      EXPECT_TRUE(n == 1 || n == 3 || n == 9) << n << " epochs: ASHA's rungs are 1, 3, 9";
    } else {
      EXPECT_EQ(row["status"], "succeeded");
      EXPECT_EQ(n, 20);
    }
    longest = std::max(longest, std::stod(row["ended_at"]) - std::stod(row["started_at"]));
  }
  EXPECT_GT(stopped, 10);
  // Epochs of the synthetic curves take 2-5 simulated seconds each: a full trial spans
  // tens of simulated seconds, far longer than the run took.
  EXPECT_GT(longest, 30);
}

}  // namespace
}  // namespace hone::e2e
