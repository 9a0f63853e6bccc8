#include "e2e_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace hone::e2e {
namespace fs = std::filesystem;

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Environment(const std::string& home) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("HONE_HOME=", 0) == 0) continue;
    env.push_back(kv);
  }
  env.push_back("HONE_HOME=" + home);
  return env;
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& home, const std::string& out,
            const std::string& err) {
  std::vector<std::string> full = {HONE_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env = Environment(home);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, HONE_BINARY, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "cannot start " << HONE_BINARY;
  return pid;
}

int WaitPid(pid_t pid, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "hone (pid " << pid << ") did not finish within " << timeout_s << " s";
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}
}  // namespace

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string TrialScript(const std::string& name) { return std::string(HONE_E2E_DIR) + "/trials/" + name; }

HoneEnv::HoneEnv() {
  char tmpl[] = "/tmp/hone-e2e-XXXXXX";
  std::string root = mkdtemp(tmpl);
  home_ = root + "/home";
  work_ = root + "/work";
  fs::create_directories(home_);
  fs::create_directories(work_);
}

HoneEnv::~HoneEnv() {
  for (pid_t pid : started_) {
    if (waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // Detached managers of this HONE_HOME: stop them by the pid their lock file holds.
  std::error_code ec;
  if (fs::exists(home_ + "/experiments", ec)) {
    for (const auto& e : fs::directory_iterator(home_ + "/experiments", ec)) {
      std::ifstream lock(e.path() / "manager.lock");
      long pid = 0;
      if (lock >> pid && pid > 0) {
        std::string cmdline = Slurp("/proc/" + std::to_string(pid) + "/cmdline");
        if (cmdline.find("_manager") != std::string::npos) kill(static_cast<pid_t>(pid), SIGTERM);
      }
    }
  }
  if (!::testing::Test::HasFailure()) fs::remove_all(fs::path(home_).parent_path(), ec);
}

std::string HoneEnv::WriteFile(const std::string& name, const std::string& text) const {
  std::string path = work_ + "/" + name;
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path;
}

RunResult HoneEnv::Run(const std::vector<std::string>& args, double timeout_s) const {
  static int counter = 0;
  std::string base = work_ + "/run" + std::to_string(counter++);
  pid_t pid = Spawn(args, home_, base + ".out", base + ".err");
  RunResult r;
  r.exit_code = WaitPid(pid, timeout_s);
  r.out = Slurp(base + ".out");
  r.err = Slurp(base + ".err");
  return r;
}

pid_t HoneEnv::Start(const std::vector<std::string>& args) {
  std::string base = work_ + "/bg" + std::to_string(started_.size());
  pid_t pid = Spawn(args, home_, base + ".out", base + ".err");
  started_.push_back(pid);
  return pid;
}

int HoneEnv::Wait(pid_t pid, double timeout_s) { return WaitPid(pid, timeout_s); }

std::string HoneEnv::OnlyExperimentId() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(home_ + "/experiments", ec)) ids.push_back(e.path().filename().string());
  EXPECT_EQ(ids.size(), 1u);
  return ids.empty() ? "" : ids[0];
}

std::vector<std::map<std::string, std::string>> HoneEnv::Query(const std::string& id, const std::string& sql) const {
  std::vector<std::map<std::string, std::string>> rows;
  sqlite3* db = nullptr;
  std::string path = ExperimentDir(id) + "/hone.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "bad query " << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::map<std::string, std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* text = sqlite3_column_text(st, i);
      row[sqlite3_column_name(st, i)] = text ? reinterpret_cast<const char*>(text) : "";
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

nlohmann::json HoneEnv::ExportJson(const std::string& id) const {
  RunResult r = Run({"experiment", "export", id, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 500);
  return j;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Config(const std::string& trial_command, int concurrency, int max_trials,
                   const std::string& search_space_yaml, const std::string& extra) {
  std::ostringstream os;
  os << "experimentName: e2e\n"
     << "searchSpace:\n" << search_space_yaml
     << "trialCommand: " << trial_command << "\n"
     << "trialConcurrency: " << concurrency << "\n"
     << "maxTrialNumber: " << max_trials << "\n"
     << "seed: 7\n"
     << "tuner:\n  name: random\n  classArgs: {optimize_mode: maximize}\n"
     << "trainingService:\n  platform: local\n"
     << extra;
  return os.str();
}

}  // namespace hone::e2e
