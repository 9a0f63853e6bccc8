// Helpers for end-to-end tests: a private HONE_HOME per test, the real `hone` binary run
// as a child process, and direct reads of the experiment's SQLite database.
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hone::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

class HoneEnv {
 public:
  HoneEnv();   // creates a fresh temporary HONE_HOME and work dir
  ~HoneEnv();  // kills anything this test started that still runs, removes the dirs

  const std::string& home() const { return home_; }
  const std::string& work() const { return work_; }

  // Writes `text` to work()/name and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text) const;
  // Runs `hone args...` to completion (or kills it after timeout_s).
  RunResult Run(const std::vector<std::string>& args, double timeout_s = 300) const;
  // Starts `hone args...` in the background; returns its pid (output to files in work()).
  pid_t Start(const std::vector<std::string>& args);
  // Waits for a background run; returns its exit code (or -signal).
  int Wait(pid_t pid, double timeout_s = 300);

  // The only experiment id in this HONE_HOME (fails the test if not exactly one).
  std::string OnlyExperimentId() const;
  std::string ExperimentDir(const std::string& id) const { return home_ + "/experiments/" + id; }
  // Runs a query on the experiment database; each row is column name -> text (NULL = "").
  std::vector<std::map<std::string, std::string>> Query(const std::string& id, const std::string& sql) const;
  nlohmann::json ExportJson(const std::string& id) const;

 private:
  std::string home_, work_;
  std::vector<pid_t> started_;
};

// A config in NNI v2 keys with sensible defaults; `extra` lines are appended verbatim.
std::string Config(const std::string& trial_command, int concurrency, int max_trials,
                   const std::string& search_space_yaml, const std::string& extra = "");

// The whole content of a file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

// Path of a script under tests/e2e/trials.
std::string TrialScript(const std::string& name);

// Seconds since the epoch.
double Now();

}  // namespace hone::e2e
