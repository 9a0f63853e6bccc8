// End-to-end: the manager is killed with SIGKILL at random moments and resumed; stop
// and resume; killing one trial from the CLI.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

std::string Behave(const std::string& mode) { return "/usr/bin/python3 " + TrialScript("behave.py") + " " + mode; }

void SleepS(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// Waits until `pred` holds or `timeout_s` passes.
template <typename Pred>
bool WaitFor(Pred pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    SleepS(0.05);
  }
  return false;
}

TEST(ResumeTest, SurvivesRepeatedSigkillOfTheManager) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 0.4"), 4, 100,
                                              "  x: {_type: uniform, _value: [0, 1]}\n"));
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> pause(0.3, 2.5);
  pid_t pid = env.Start({"run", cfg});
  std::string id;
  ASSERT_TRUE(WaitFor([&] {
    std::error_code ec;
    return std::filesystem::exists(env.home() + "/experiments", ec) &&
           !std::filesystem::is_empty(env.home() + "/experiments", ec);
  }, 30));
  id = env.OnlyExperimentId();
  int kills = 0;
  for (int round = 0; round < 6; ++round) {
    SleepS(pause(rng));
    if (waitpid(pid, nullptr, WNOHANG) == pid) break;  // finished already
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    waitpid(pid, nullptr, 0);
    ++kills;
    auto check = env.Query(id, "PRAGMA integrity_check");
    ASSERT_EQ(check.size(), 1u);
    EXPECT_EQ(check[0].begin()->second, "ok");
    pid = env.Start({"resume", id});
  }
  EXPECT_GE(kills, 5);
  EXPECT_EQ(env.Wait(pid, 300), 0);

  auto rows = env.Query(id, "SELECT seq, config_id, status, params FROM trials");
  std::map<std::string, int> finished_per_config;
  std::map<std::string, std::string> params_of_config;
  int lost = 0;
  for (auto& row : rows) {
    if (row["status"] == "lost") ++lost;
    if (row["status"] == "succeeded") finished_per_config[row["config_id"]]++;
    if (params_of_config.count(row["config_id"])) {
      EXPECT_EQ(params_of_config[row["config_id"]], row["params"]) << "a rerun changed its parameters";
    }
    params_of_config[row["config_id"]] = row["params"];
  }
  EXPECT_EQ(finished_per_config.size(), 100u) << "configurations finished";
  for (auto& [config, n] : finished_per_config) EXPECT_EQ(n, 1) << "config " << config << " finished " << n << " times";
  std::set<std::string> distinct_params;
  for (auto& [config, p] : params_of_config) distinct_params.insert(p);
  EXPECT_EQ(distinct_params.size(), params_of_config.size()) << "a configuration was suggested twice";
  EXPECT_EQ(params_of_config.size(), 100u) << "the budget counts each configuration once";
  auto check = env.Query(id, "PRAGMA integrity_check");
  EXPECT_EQ(check[0].begin()->second, "ok");
  RecordProperty("lost_trials", lost);
}

TEST(ResumeTest, StopCancelsRunningTrialsAndResumeFinishesTheBudget) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 1"), 2, 6, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult created = env.Run({"create", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = created.out.substr(0, created.out.find('\n'));
  ASSERT_EQ(id, env.OnlyExperimentId());
  ASSERT_TRUE(WaitFor([&] { return !env.Query(id, "SELECT 1 FROM trials WHERE status = 'running'").empty(); }, 30));
  RunResult stop = env.Run({"stop", id});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  auto canceled = env.Query(id, "SELECT COUNT(*) AS n FROM trials WHERE status = 'canceled'");
  EXPECT_GE(std::stoi(canceled[0]["n"]), 1);
  EXPECT_EQ(env.Query(id, "SELECT value FROM meta WHERE key = 'status'")[0]["value"], "stopped");
  RunResult resumed = env.Run({"resume", id});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  auto done = env.Query(id, "SELECT COUNT(DISTINCT config_id) AS n FROM trials WHERE status = 'succeeded'");
  EXPECT_EQ(done[0]["n"], "6");
  RunResult list = env.Run({"experiment", "list"});
  EXPECT_NE(list.out.find(id), std::string::npos);
}

TEST(ResumeTest, TrialKillFromTheCliCancelsOneTrial) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 30"), 1, 1, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult created = env.Run({"create", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = env.OnlyExperimentId();
  ASSERT_TRUE(WaitFor([&] { return !env.Query(id, "SELECT 1 FROM trials WHERE status = 'running'").empty(); }, 30));
  RunResult kill = env.Run({"trial", "kill", id, "0"});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_TRUE(WaitFor([&] {
    auto rows = env.Query(id, "SELECT status FROM trials WHERE seq = 0");
    return !rows.empty() && rows[0]["status"] == "canceled";
  }, 20));
}

}  // namespace
}  // namespace hone::e2e

namespace hone::e2e {
namespace {

bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(stat, s);
  return s.find(") Z ") == std::string::npos;
}

TEST(ResumeTest, ResumeEndsTrialsOrphanedByAKilledManager) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config("/usr/bin/python3 " + TrialScript("behave.py") + " grandchild hang", 1, 1,
                                              "  x: {_type: uniform, _value: [0, 1]}\n", "maxTrialDuration: 3s\n"));
  pid_t manager = env.Start({"run", cfg});
  std::string pid_file;
  auto found = [&] {
    std::error_code ec;
    if (!std::filesystem::exists(env.home() + "/experiments", ec)) return false;
    for (const auto& e : std::filesystem::directory_iterator(env.home() + "/experiments", ec)) {
      pid_file = (e.path() / "trials/0/output/grandchild.pid").string();
      return std::filesystem::exists(pid_file);
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!found() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(found());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  pid_t orphan = 0;
  std::ifstream(pid_file) >> orphan;
  ASSERT_GT(orphan, 0);
  ASSERT_EQ(kill(manager, SIGKILL), 0);
  env.Wait(manager);
  ASSERT_TRUE(ProcessAlive(orphan)) << "the trial should outlive a SIGKILLed manager until resume";
  std::string id = env.OnlyExperimentId();
  RunResult resumed = env.Run({"resume", id}, 60);
  // The resumed run ends normally; its only trial timed out, so no trial succeeded: exit 1.
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;
  EXPECT_NE(resumed.err.find("no trial succeeded"), std::string::npos) << resumed.err;
  EXPECT_FALSE(ProcessAlive(orphan)) << "resume left the lost trial's process " << orphan << " running";
  auto rows = env.Query(id, "SELECT status FROM trials ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "lost");
  EXPECT_EQ(rows[1]["status"], "timeout");
}

}  // namespace
}  // namespace hone::e2e
