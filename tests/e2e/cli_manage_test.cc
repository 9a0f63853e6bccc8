// End-to-end: what nnictl and Optuna users look for in the CLI. `experiment update` on a
// running and on a stopped experiment, `--json` on `experiment list` and `trial ls`,
// counts and best value in the list, the web UI address in `show`, built-ins in
// `algo list`, the confirmation of `experiment delete`, and 6 significant digits.
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

template <typename Pred>
bool WaitFor(Pred pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Behave(const std::string& mode) { return "/usr/bin/python3 " + TrialScript("behave.py") + " " + mode; }

std::string Meta(const HoneEnv& env, const std::string& id, const std::string& key) {
  auto rows = env.Query(id, "SELECT value FROM meta WHERE key = '" + key + "'");
  return rows.empty() ? "" : rows[0]["value"];
}

json ParseJson(const RunResult& r) {
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 500);
  return j;
}

// The most trials of `id` that ran at the same time.
int MaxOverlap(const HoneEnv& env, const std::string& id) {
  auto rows = env.Query(id, "SELECT started_at, ended_at FROM trials WHERE started_at > 0");
  int best = 0;
  for (const auto& a : rows) {
    double t = std::stod(a.at("started_at"));
    int n = 0;
    for (const auto& b : rows)
      if (std::stod(b.at("started_at")) <= t && (b.at("ended_at").empty() || std::stod(b.at("ended_at")) > t)) ++n;
    best = std::max(best, n);
  }
  return best;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs `hone args` with a pseudo-terminal as its stdin/stdout/stderr; once "[y/N]"
// shows, types `answer` and a newline. Returns the exit code and everything printed.
RunResult RunOnTerminal(const HoneEnv& env, const std::vector<std::string>& args, const std::string& answer) {
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::setenv("HONE_HOME", env.home().c_str(), 1);
    std::vector<std::string> full = {HONE_BINARY};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(HONE_BINARY, argv.data());
    ::_exit(127);
  }
  RunResult r;
  if (pid < 0) {
    ADD_FAILURE() << "forkpty: " << std::strerror(errno);
    return r;
  }
  bool answered = false;
  char buf[512];
  while (true) {
    ssize_t n = ::read(master, buf, sizeof buf);  // EIO once the child has closed the terminal
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
    if (!answered && r.out.find("[y/N]") != std::string::npos) {
      std::string line = answer + "\n";
      EXPECT_EQ(::write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(CliManageTest, TrialLsAndShowPrintSixSignificantDigitsAndJsonKeepsThemAll) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config("/usr/bin/python3 -c 'import hone; hone.report_final(0.123456789012)'", 1, 2,
                                              "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult run = env.Run({"run", cfg}, 120);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string id = env.OnlyExperimentId();
  RunResult ls = env.Run({"trial", "ls", id});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find(" 0.123457 "), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find("0.1234567"), std::string::npos) << ls.out;
  // Parameters too: no number in the table has more than 6 significant digits.
  std::smatch m;
  EXPECT_FALSE(std::regex_search(ls.out, m, std::regex("[1-9][0-9]{6,}"))) << ls.out;
  EXPECT_NE(env.Run({"experiment", "show", id}).out.find("= 0.123457 "), std::string::npos);

  json trials = ParseJson(env.Run({"trial", "ls", id, "--json"}));
  ASSERT_TRUE(trials.is_array());
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0]["final"].get<double>(), 0.123456789012);
  EXPECT_EQ(trials[0]["parameters"]["x"], env.ExportJson(id)[0]["parameters"]["x"]);
  json head = ParseJson(env.Run({"trial", "ls", id, "--json", "--head", "1", "--status", "succeeded"}));
  EXPECT_EQ(head.size(), 1u);
}

TEST(CliManageTest, ExperimentListShowsCountsAndBestValue) {
  HoneEnv env;
  std::string config = Config(
      "/usr/bin/python3 -c 'import hone,sys; x=hone.get_params()[\"x\"]; sys.exit(1) if x == 3 else hone.report_final(x / 7)'",
      1, 3, "  x: {_type: choice, _value: [1, 2, 3]}\n");
  config.replace(config.find("name: random"), 12, "name: grid");  // 1 and 2 succeed first, 3 fails
  RunResult run = env.Run({"run", env.WriteFile("exp.yaml", config)}, 120);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string id = env.OnlyExperimentId();

  json list = ParseJson(env.Run({"experiment", "list", "--json"}));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  const json& e = list[0];
  EXPECT_EQ(e["id"], id);
  EXPECT_EQ(e["status"], "done");
  EXPECT_EQ(e["trials"]["total"], 3);
  EXPECT_EQ(e["trials"]["succeeded"], 2);
  EXPECT_EQ(e["trials"]["failed"], 1);
  EXPECT_EQ(e["best"]["value"].get<double>(), 2.0 / 7);
  EXPECT_EQ(e["best"]["parameters"]["x"], 2);

  RunResult table = env.Run({"experiment", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("SUCC"), std::string::npos) << table.out;
  EXPECT_TRUE(std::regex_search(table.out, std::regex(id + " .* done +2 +1 +0 +3 +0\\.285714 "))) << table.out;
}

TEST(CliManageTest, UpdateChangesARunningExperimentAndShowTellsItsWebUi) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 3"), 1, 2, "  x: {_type: uniform, _value: [0, 1]}\n"));
  const std::string port = std::to_string(FreePort());
  RunResult created = env.Run({"create", cfg, "--port", port});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = env.OnlyExperimentId();
  ASSERT_TRUE(WaitFor([&] { return !env.Query(id, "SELECT 1 FROM trials WHERE status = 'running'").empty(); }, 30));

  RunResult show = env.Run({"experiment", "show", id});
  EXPECT_NE(show.out.find("web UI:    http://127.0.0.1:" + port + "/experiments/" + id), std::string::npos) << show.out;
  json listed = ParseJson(env.Run({"experiment", "list", "--json"}));
  EXPECT_EQ(listed[0]["web_ui"], "http://127.0.0.1:" + port + "/experiments/" + id);

  RunResult update =
      env.Run({"experiment", "update", id, "--concurrency", "3", "--max-trials", "6", "--max-duration", "1h"});
  ASSERT_EQ(update.exit_code, 0) << update.out << update.err;
  EXPECT_NE(update.out.find("running manager applied"), std::string::npos) << update.out;
  json limits = json::parse(Meta(env, id, "limits"));
  EXPECT_EQ(limits["trial_concurrency"], 3);
  EXPECT_EQ(limits["max_trial_number"], 6);
  EXPECT_EQ(limits["max_experiment_duration_s"], 3600.0);
  EXPECT_NE(env.Run({"experiment", "show", id}).out.find("concurrency 3, max trials 6, max duration 1h0m"),
            std::string::npos);

  ASSERT_TRUE(WaitFor([&] { return Meta(env, id, "status") == "done"; }, 60)) << Meta(env, id, "status");
  EXPECT_EQ(env.ExportJson(id).size(), 6u);
  EXPECT_GE(MaxOverlap(env, id), 2);
  ASSERT_TRUE(WaitFor([&] { return env.Run({"experiment", "show", id}).out.find("not serving") != std::string::npos; }, 30));
}

TEST(CliManageTest, UpdateOfAStoppedExperimentIsKeptForResume) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 1, 2, "  x: {_type: uniform, _value: [0, 1]}\n"));
  ASSERT_EQ(env.Run({"run", cfg, "--no-ui"}, 120).exit_code, 0);
  std::string id = env.OnlyExperimentId();
  RunResult update =
      env.Run({"experiment", "update", id.substr(0, 5), "--max-trials", "4", "--concurrency", "2", "--max-duration", "1.5h"});
  ASSERT_EQ(update.exit_code, 0) << update.out << update.err;
  EXPECT_NE(update.out.find("hone resume " + id), std::string::npos) << update.out;
  json limits = json::parse(Meta(env, id, "limits"));
  EXPECT_EQ(limits["max_trial_number"], 4);
  EXPECT_EQ(limits["trial_concurrency"], 2);
  EXPECT_EQ(limits["max_experiment_duration_s"], 5400.0);
  EXPECT_NE(env.Run({"experiment", "show", id}).out.find("concurrency 2, max trials 4, max duration 1h30m"),
            std::string::npos);

  RunResult resumed = env.Run({"resume", id, "--no-ui"}, 120);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(env.ExportJson(id).size(), 4u);
  // The resumed manager keeps the limits it was given.
  limits = json::parse(Meta(env, id, "limits"));
  EXPECT_EQ(limits["max_trial_number"], 4);
  EXPECT_EQ(limits["max_experiment_duration_s"], 5400.0);
}

TEST(CliManageTest, UpdateRejectsBadValuesAndChangesNothing) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 1, 1, "  x: {_type: uniform, _value: [0, 1]}\n"));
  ASSERT_EQ(env.Run({"run", cfg, "--no-ui"}, 120).exit_code, 0);
  std::string id = env.OnlyExperimentId();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--concurrency", "0"}, "--concurrency: must be an integer in [1, 100000], but got '0'"},
      {{"--max-trials", "many"}, "--max-trials: must be an integer in [1, 1000000000], but got 'many'"},
      {{"--max-duration", "10x"}, "--max-duration: expected a positive duration such as '30s'"},
      {{"--max-trials", "5", "--max-trial-duration", "-1s"}, "--max-trial-duration: expected a positive duration"},
      {{}, "nothing to change"}};
  for (const auto& [extra, needle] : cases) {
    std::vector<std::string> args = {"experiment", "update", id};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = env.Run(args);
    EXPECT_EQ(r.exit_code, 2) << needle << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(Meta(env, id, "limits"), "");
  EXPECT_NE(env.Run({"experiment", "update", "nosuchid", "--concurrency", "2"}).exit_code, 0);
}

TEST(CliManageTest, DeleteAsksFirstAndRefusesWithoutATerminal) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 1, 1, "  x: {_type: uniform, _value: [0, 1]}\n"));
  ASSERT_EQ(env.Run({"run", cfg, "--no-ui"}, 120).exit_code, 0);
  std::string id = env.OnlyExperimentId();

  RunResult refused = env.Run({"experiment", "delete", id});  // stdin is /dev/null
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(env.ExperimentDir(id)));
  EXPECT_NE(env.Run({"experiment", "list"}).out.find(id), std::string::npos);

  RunResult no = RunOnTerminal(env, {"experiment", "delete", id}, "n");
  EXPECT_EQ(no.exit_code, 0) << no.out;
  EXPECT_NE(no.out.find("delete experiment " + id), std::string::npos) << no.out;
  EXPECT_NE(no.out.find("kept experiment " + id), std::string::npos) << no.out;
  EXPECT_TRUE(fs::exists(env.ExperimentDir(id)));

  RunResult yes = RunOnTerminal(env, {"experiment", "delete", id}, "y");
  EXPECT_EQ(yes.exit_code, 0) << yes.out;
  EXPECT_NE(yes.out.find("deleted experiment " + id), std::string::npos) << yes.out;
  EXPECT_FALSE(fs::exists(env.ExperimentDir(id)));
  EXPECT_EQ(env.Run({"experiment", "list"}).out.find(id), std::string::npos);
}

TEST(CliManageTest, AlgoListShowsTheBuiltins) {
  HoneEnv env;
  RunResult r = env.Run({"algo", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* needle : {"tpe ", "gp ", "medianstop ", "built-in", "(also: TPE)", "no plugins registered"})
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\ntpe +tuner +built-in"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\nmedianstop +assessor +built-in"))) << r.out;
}

}  // namespace
}  // namespace hone::e2e
