// End-to-end: real `hone run`, real trial processes, checked through the database.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {
namespace fs = std::filesystem;

const char* kSpaceX = "  x: {_type: uniform, _value: [0, 1]}\n";

std::string Behave(const std::string& mode) { return "/usr/bin/python3 " + TrialScript("behave.py") + " " + mode; }

TEST(TrialBehaviourTest, SucceedingTrialsAreRecordedWithMetrics) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 2, 6, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("best trial"), std::string::npos) << r.out;
  std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 6u);
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_TRUE(t.contains("id") && t.contains("seq") && t.contains("parameters") && t.contains("metrics"));
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), t["parameters"]["x"].get<double>());
  }
  auto metrics = env.Query(id, "SELECT COUNT(*) AS n FROM metrics");
  EXPECT_EQ(metrics[0]["n"], "18");
  // Each trial has its own folder with params.json and logs.
  EXPECT_TRUE(fs::exists(env.ExperimentDir(id) + "/trials/0/params.json"));
  EXPECT_TRUE(fs::exists(env.ExperimentDir(id) + "/trials/0/stdout.log"));
}

TEST(TrialBehaviourTest, ConcurrencyIsNeverExceeded) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 0.3"), 3, 15, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rows = env.Query(env.OnlyExperimentId(), "SELECT started_at, ended_at FROM trials");
  ASSERT_EQ(rows.size(), 15u);
  std::vector<std::pair<double, int>> edges;
  for (auto& row : rows) {
    edges.push_back({std::stod(row["started_at"]), +1});
    edges.push_back({std::stod(row["ended_at"]), -1});
  }
  std::sort(edges.begin(), edges.end());  // an end sorts before a start at the same instant
  int running = 0, peak = 0;
  for (auto& [t, d] : edges) peak = std::max(peak, running += d);
  EXPECT_LE(peak, 3);
  EXPECT_EQ(peak, 3) << "trials should overlap up to the concurrency";
}

TEST(TrialBehaviourTest, TrialPastMaxDurationTimesOut) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 60"), 2, 2, kSpaceX, "maxTrialDuration: 1s\n"));
  double start = Now();
  RunResult r = env.Run({"run", cfg});
  EXPECT_LT(Now() - start, 30);
  auto rows = env.Query(env.OnlyExperimentId(), "SELECT status, reason, started_at, ended_at FROM trials");
  ASSERT_EQ(rows.size(), 2u);
  for (auto& row : rows) {
    EXPECT_EQ(row["status"], "timeout") << row["reason"];
    EXPECT_NE(row["reason"].find("maxTrialDuration"), std::string::npos);
    double d = std::stod(row["ended_at"]) - std::stod(row["started_at"]);
    EXPECT_GE(d, 0.9);
    EXPECT_LT(d, 10);
  }
}

TEST(TrialBehaviourTest, CrashingTrialFailsWithExitCodeAndStderr) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("crash"), 1, 2, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  auto rows = env.Query(env.OnlyExperimentId(), "SELECT status, reason, exit_code FROM trials");
  ASSERT_EQ(rows.size(), 2u);
  for (auto& row : rows) {
    EXPECT_EQ(row["status"], "failed");
    EXPECT_EQ(row["exit_code"], "3");
    EXPECT_NE(row["reason"].find("exit code 3"), std::string::npos) << row["reason"];
    EXPECT_NE(row["reason"].find("something went wrong"), std::string::npos) << row["reason"];
  }
}

TEST(TrialBehaviourTest, ExitWithoutFinalMetricFails) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("no_final"), 1, 1, kSpaceX));
  env.Run({"run", cfg});
  auto rows = env.Query(env.OnlyExperimentId(), "SELECT status, reason FROM trials");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_NE(rows[0]["reason"].find("final metric"), std::string::npos);
}

TEST(TrialBehaviourTest, MalformedReportLinesAreWarningsNotFailures) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("malformed"), 1, 1, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  auto rows = env.Query(id, "SELECT status FROM trials");
  EXPECT_EQ(rows[0]["status"], "succeeded");
  auto warnings = env.Query(id, "SELECT detail FROM events WHERE kind = 'warning' AND seq = 0");
  EXPECT_EQ(warnings.size(), 4u);
}

TEST(TrialBehaviourTest, TenMegabyteLineIsLoggedAndTrialSucceeds) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("huge_line"), 1, 1, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  EXPECT_EQ(env.Query(id, "SELECT status FROM trials")[0]["status"], "succeeded");
  EXPECT_GE(fs::file_size(env.ExperimentDir(id) + "/trials/0/stdout.log"), 10u * 1024 * 1024);
}

TEST(TrialBehaviourTest, InvalidUtf8IsStoredAndExported) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("invalid_utf8"), 1, 1, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0]["status"], "succeeded");
  RunResult csv = env.Run({"experiment", "export", id, "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0);
  RunResult log = env.Run({"trial", "log", id, "0"});
  EXPECT_NE(log.out.find("\xff\xfe"), std::string::npos);
}

TEST(TrialBehaviourTest, NanAndInfAreStoredButNeverBest) {
  HoneEnv env;
  std::string space = "  x: {_type: choice, _value: [0.25]}\n  kind: {_type: choice, _value: [nan, inf, ninf, finite]}\n";
  std::string cfg_text = Config(Behave("nan_inf"), 2, 4, space);
  auto cfg = env.WriteFile("exp.yaml", cfg_text);
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("= 0.25"), std::string::npos) << r.out;
  std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 4u);
  std::set<std::string> finals;
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded");
    finals.insert(t["final"].dump());
  }
  EXPECT_EQ(finals, (std::set<std::string>{"\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "0.25"}));
  RunResult head = env.Run({"trial", "ls", id, "--head", "1"});
  EXPECT_NE(head.out.find("0.25"), std::string::npos) << head.out;
}

bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(stat, s);
  return s.find(") Z ") == std::string::npos;  // a zombie is dead
}

pid_t GrandchildPid(const HoneEnv& env, const std::string& id, int seq) {
  std::ifstream in(env.ExperimentDir(id) + "/trials/" + std::to_string(seq) + "/output/grandchild.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(TrialBehaviourTest, GrandchildOfAnExitedTrialIsKilled) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("grandchild exit"), 1, 1, kSpaceX));
  RunResult r = env.Run({"run", cfg}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  pid_t pid = GrandchildPid(env, id, 0);
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(Alive(pid)) << "grandchild " << pid << " outlived its trial";
}

TEST(TrialBehaviourTest, GrandchildOfAKilledTrialIsKilled) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("grandchild hang"), 1, 1, kSpaceX, "maxTrialDuration: 2s\n"));
  RunResult r = env.Run({"run", cfg}, 60);
  std::string id = env.OnlyExperimentId();
  EXPECT_EQ(env.Query(id, "SELECT status FROM trials")[0]["status"], "timeout");
  pid_t pid = GrandchildPid(env, id, 0);
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(Alive(pid)) << "grandchild " << pid << " outlived its killed trial";
}

TEST(TrialBehaviourTest, MedianStopEndsPoorTrialsEarly) {
  HoneEnv env;
  std::string space = "  x: {_type: choice, _value: [0.9, 0.8, 0.85, 0.1, 0.05, 0.15]}\n";
  std::string extra = "assessor:\n  name: medianstop\n  classArgs: {optimize_mode: maximize, start_step: 2}\n";
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("curve 8"), 1, 6, space, extra));
  RunResult r = env.Run({"run", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rows = env.Query(env.OnlyExperimentId(), "SELECT status, params FROM trials ORDER BY seq");
  int stopped = 0;
  for (auto& row : rows) {
    auto p = nlohmann::json::parse(row["params"]);
    if (row["status"] == "early_stopped") {
      ++stopped;
      EXPECT_LT(p["x"].get<double>(), 0.5) << "a good trial was stopped";
    }
  }
  EXPECT_GE(stopped, 1) << "no poor trial was stopped";
}

TEST(TrialBehaviourTest, TrialsSeeTheirEnvironment) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("env"), 2, 4, kSpaceX));
  RunResult r = env.Run({"run", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& t : env.ExportJson(env.OnlyExperimentId()))
    EXPECT_EQ(t["metrics"]["seq"], t["seq"]);
}

}  // namespace
}  // namespace hone::e2e
