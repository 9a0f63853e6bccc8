// End-to-end on a real single-node Slurm (tests/platforms/slurm/slurm_test_cluster.h):
// `hone run` with `platform: slurm`, each trial one batch job.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "tests/platforms/slurm/slurm_test_cluster.h"

namespace hone::e2e {
namespace {

const char* kSpaceX = "  x: {_type: uniform, _value: [0, 1]}\n";

std::string Behave(const std::string& mode) { return "/usr/bin/python3 " + TrialScript("behave.py") + " " + mode; }

// Config() with the slurm platform in place of local.
std::string SlurmConfig(const std::string& command, int concurrency, int max_trials, const std::string& extra = "") {
  std::string text = Config(command, concurrency, max_trials, kSpaceX, extra);
  const std::string local = "platform: local\n";
  text.replace(text.find(local), local.size(), "platform: slurm\n  pollInterval: 0.2\n  sbatchArgs: [--mem=200M]\n");
  return text;
}

bool WaitFor(const std::function<bool()>& done, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class SlurmRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hone::testing::SharedSlurmCluster().ok()) << hone::testing::SharedSlurmCluster().error();
  }
};

TEST_F(SlurmRunTest, ParametersGoInAndMetricsComeOut) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig(Behave("ok"), 2, 4));
  RunResult r = env.Run({"run", "--no-ui", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  nlohmann::json trials = env.ExportJson(id);
  ASSERT_EQ(trials.size(), 4u);
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_DOUBLE_EQ(t["final"].get<double>(), t["parameters"]["x"].get<double>());
  }
  EXPECT_EQ(env.Query(id, "SELECT COUNT(*) AS n FROM metrics")[0]["n"], "12");
  // The trial's pid is its Slurm job id, also kept in the trial directory.
  std::string dir = env.ExperimentDir(id) + "/trials/0/";
  std::string job = ReadFile(dir + "slurm_job_id");
  ASSERT_FALSE(job.empty());
  auto rows = env.Query(id, "SELECT pid FROM trials WHERE seq = 0");
  // Trials 0 and 1 were launched in one turn: one job array, "<array>_0" then the task's own id.
  EXPECT_NE(job.find("_0\n" + rows.at(0)["pid"] + "\n"), std::string::npos) << job;
  EXPECT_TRUE(std::filesystem::exists(dir + "job.sh"));
}

TEST_F(SlurmRunTest, TrialPastMaxDurationIsCancelled) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig(Behave("sleep 60"), 1, 1, "maxTrialDuration: 2s\n"));
  RunResult r = env.Run({"run", "--no-ui", cfg}, 60);
  std::string id = env.OnlyExperimentId();
  auto rows = env.Query(id, "SELECT status, reason, started_at, ended_at FROM trials");
  ASSERT_EQ(rows.size(), 1u) << r.out << r.err;
  EXPECT_EQ(rows[0]["status"], "timeout") << rows[0]["reason"];
  double d = std::stod(rows[0]["ended_at"]) - std::stod(rows[0]["started_at"]);
  EXPECT_GE(d, 1.9);
  EXPECT_LT(d, 15);
  std::string state = ReadFile(env.ExperimentDir(id) + "/trials/0/slurm_state");
  EXPECT_EQ(state.rfind("ENDED", 0), 0u) << state;
}

TEST_F(SlurmRunTest, TrialKillFromTheCliCancelsTheJob) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig(Behave("sleep 30"), 1, 1));
  RunResult created = env.Run({"create", "--no-ui", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = env.OnlyExperimentId();
  ASSERT_TRUE(WaitFor([&] { return !env.Query(id, "SELECT 1 FROM trials WHERE status = 'running'").empty(); }, 30));
  RunResult kill = env.Run({"trial", "kill", id, "0"});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_TRUE(WaitFor([&] {
    auto rows = env.Query(id, "SELECT status FROM trials WHERE seq = 0");
    return !rows.empty() && rows[0]["status"] == "canceled";
  }, 20));
  (void)env.Run({"stop", id});
}

TEST_F(SlurmRunTest, APendingJobShowsItsReasonWhileItsTrialWaits) {
  HoneEnv env;
  // Each job asks for the whole node: the second waits for Resources.
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig(Behave("sleep 4"), 2, 2));
  std::string text = ReadFile(cfg);
  text.replace(text.find("  pollInterval"), 0, "  cpusPerTask: 8\n");
  env.WriteFile("exp.yaml", text);
  RunResult created = env.Run({"create", "--no-ui", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = env.OnlyExperimentId();
  std::string waiting;  // the trial whose job is pending
  ASSERT_TRUE(WaitFor([&] {
    for (const char* seq : {"0", "1"})
      if (ReadFile(env.ExperimentDir(id) + "/trials/" + seq + "/slurm_state") == "PENDING Resources\n") waiting = seq;
    return !waiting.empty();
  }, 30));
  auto rows = env.Query(id, "SELECT status FROM trials WHERE seq = " + waiting);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0]["status"], "running");
  // The reason reaches the trial record, so `trial ls` and the web UI show it.
  std::string listed;
  EXPECT_TRUE(WaitFor([&] {
    listed = env.Run({"trial", "ls", id}).out;
    return listed.find("pending: Resources") != std::string::npos;
  }, 10)) << listed;
  EXPECT_FALSE(env.Query(id, "SELECT 1 FROM events WHERE kind = 'pending' AND detail LIKE '%Resources%'").empty());
  EXPECT_TRUE(WaitFor([&] {
    return env.Query(id, "SELECT 1 FROM trials WHERE status = 'succeeded'").size() == 2;
  }, 40));
  (void)env.Run({"stop", id});
}

// The manager dies (SIGKILL) while its trial's job runs; `hone resume` takes the job back:
// the same job id, every report counted once, the trial's real end.
TEST_F(SlurmRunTest, ResumeTakesBackTheJobOfAKilledManager) {
  HoneEnv env;
  const std::string marker = env.work() + "/resumed";
  auto trial = env.WriteFile("trial.sh",
                             "echo '@hone {\"type\":\"intermediate\",\"value\":0.1}'\n"
                             "while [ ! -e " + marker + " ]; do sleep 0.1; done\n"
                             "echo '@hone {\"type\":\"intermediate\",\"value\":0.2}'\n"
                             "echo '@hone {\"type\":\"final\",\"value\":0.3}'\n");
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig("/bin/sh " + trial, 1, 1));
  pid_t manager = env.Start({"run", "--no-ui", cfg});
  std::string id;
  ASSERT_TRUE(WaitFor([&] {
    std::error_code ec;
    if (!std::filesystem::exists(env.home() + "/experiments", ec) ||
        std::filesystem::is_empty(env.home() + "/experiments", ec))
      return false;
    id = env.OnlyExperimentId();
    return !env.Query(id, "SELECT 1 FROM metrics").empty();
  }, 40));
  ASSERT_EQ(kill(manager, SIGKILL), 0);
  env.Wait(manager);
  auto before = env.Query(id, "SELECT pid, status FROM trials WHERE seq = 0");
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["status"], "running");
  const std::string job = ReadFile(env.ExperimentDir(id) + "/trials/0/slurm_job_id");
  EXPECT_EQ(before[0]["pid"] + "\n", job);

  pid_t resumed = env.Start({"resume", "--no-ui", id});
  ASSERT_TRUE(WaitFor([&] { return !env.Query(id, "SELECT 1 FROM events WHERE kind = 'attached'").empty(); }, 30));
  env.WriteFile("resumed", "");  // the job goes on only once the resumed manager holds it
  ASSERT_EQ(env.Wait(resumed, 60), 0);
  auto rows = env.Query(id, "SELECT seq, pid, status, final FROM trials");
  ASSERT_EQ(rows.size(), 1u) << "the job was run again instead of taken back";
  EXPECT_EQ(rows[0]["status"], "succeeded");
  EXPECT_EQ(rows[0]["pid"], before[0]["pid"]);
  EXPECT_DOUBLE_EQ(std::stod(rows[0]["final"]), 0.3);
  EXPECT_EQ(env.Query(id, "SELECT COUNT(*) AS n FROM metrics")[0]["n"], "2");
}

// The node of a running trial fails (NODE_FAIL): the platform lost it, not the trial's
// code; the manager runs the same configuration again and the experiment succeeds.
TEST_F(SlurmRunTest, ANodeFailureRunsTheConfigurationAgain) {
  HoneEnv env;
  const std::string again = env.work() + "/second-run";
  auto trial = env.WriteFile("trial.sh", "if [ -e " + again + " ]; then echo '@hone {\"type\":\"final\",\"value\":0.5}'; "
                                         "else touch " + again + "; sleep 60; fi\n");
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig("/bin/sh " + trial, 1, 1));
  pid_t manager = env.Start({"run", "--no-ui", cfg});
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(again); }, 40));
  SpawnOptions down;
  down.argv = {"/usr/bin/scontrol", "update", "nodename=localhost", "state=down", "reason=hone-e2e"};
  down.open_exit_fd = false;
  ASSERT_TRUE(RunCommand(down, std::chrono::seconds(10)).ok());
  EXPECT_EQ(env.Wait(manager, 60), 0);
  std::string id = env.OnlyExperimentId();
  auto rows = env.Query(id, "SELECT seq, config_id, status, reason FROM trials ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_NE(rows[0]["reason"].find("NODE_FAIL"), std::string::npos) << rows[0]["reason"];
  EXPECT_EQ(rows[1]["config_id"], rows[0]["config_id"]);
  EXPECT_EQ(rows[1]["status"], "succeeded");
}

TEST_F(SlurmRunTest, MissingSbatchIsAClearErrorAtStart) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", SlurmConfig("'true'", 1, 1));
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);
  RunResult r = env.Run({"run", "--no-ui", cfg}, 30);
  setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("sbatch was not found on PATH"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exp.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hone::e2e
