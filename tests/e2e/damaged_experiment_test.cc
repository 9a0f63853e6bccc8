// The real binary against experiments whose files were damaged or locked: an empty
// hone.db, a missing or broken stored config, a folder that cannot be removed or
// written to. Every command ends with a message and an exit code, never an abort, and
// nothing writes into a database it could not recognise.
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace hone::e2e {
namespace {

namespace fs = std::filesystem;

constexpr int kAbortExit = 134;  // what an uncaught exception gave (128 + SIGABRT)

// Runs one finished experiment with one trial; returns its id.
std::string RunOneTrial(HoneEnv& env) {
  auto cfg = env.WriteFile("exp.yaml", Config("/usr/bin/python3 -c 'import hone; hone.report_final(0.5)'", 1, 1,
                                              "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult run = env.Run({"run", "--quiet", cfg});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return env.OnlyExperimentId();
}

// Runs `sql` on the experiment's database, read-write.
void Write(const HoneEnv& env, const std::string& id, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string path = env.ExperimentDir(id) + "/hone.db";
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// chattr on `path`: root ignores chmod but not the immutable attribute.
bool Chattr(const std::string& flag, const std::string& path) {
  return std::system(("chattr " + flag + " '" + path + "' 2>/dev/null").c_str()) == 0;
}

void ExpectCleanFailure(const RunResult& r, const std::string& what, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << what;
  EXPECT_NE(r.exit_code, kAbortExit) << what << "\n" << r.err;
  EXPECT_GT(r.exit_code, 0) << what << " died of a signal\n" << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << what << "\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << what << "\n" << r.err;
}

TEST(DamagedExperimentTest, ResumeRefusesAZeroLengthDatabaseAndLeavesItEmpty) {
  HoneEnv env;
  std::string id = RunOneTrial(env);
  std::string db = env.ExperimentDir(id) + "/hone.db";
  std::ofstream(db, std::ios::trunc).close();
  fs::remove(db + "-wal");  // what `run` left beside it (empty, as readers leave them)
  fs::remove(db + "-shm");
  ASSERT_EQ(fs::file_size(db), 0u);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"resume", "--no-ui", id},
                                               std::vector<std::string>{"resume", "--detach", "--no-ui", id}}) {
    RunResult r = env.Run(args, 60);
    ExpectCleanFailure(r, args[1], "no hone schema");
    EXPECT_EQ(fs::file_size(db), 0u) << args[1];
    EXPECT_FALSE(fs::exists(db + "-wal")) << args[1];
  }
  ExpectCleanFailure(env.Run({"experiment", "show", id}), "show", "no hone schema");
  EXPECT_EQ(fs::file_size(db), 0u);
}

TEST(DamagedExperimentTest, EveryCommandRefusesAMissingStoredConfig) {
  HoneEnv env;
  std::string id = RunOneTrial(env);
  Write(env, id, "DELETE FROM meta WHERE key = 'config'");
  const std::vector<std::vector<std::string>> commands = {
      {"experiment", "show", id}, {"experiment", "export", id}, {"trial", "ls", id},
      {"trial", "log", id, "1"},   {"resume", "--no-ui", id},    {"resume", "--detach", "--no-ui", id},
      {"stop", id},                {"view", id, "--port", "0"}};
  for (const auto& args : commands) {
    RunResult r = env.Run(args, 60);
    ExpectCleanFailure(r, args[0] + " " + args[1], "stored config: missing from hone.db");
  }
  // Killing a trial needs a running manager, which such an experiment cannot have.
  ExpectCleanFailure(env.Run({"trial", "kill", id, "1"}, 60), "trial kill", "is not running");
  RunResult list = env.Run({"experiment", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(id), std::string::npos);
  // Deleting is how one gets rid of such an experiment.
  RunResult del = env.Run({"experiment", "delete", id, "--yes"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
}

TEST(DamagedExperimentTest, PartialOrCorruptStoredConfigIsRefusedByShow) {
  HoneEnv env;
  std::string id = RunOneTrial(env);
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"{\"tuner\": 5}", "stored config: "},
      {"{}", "stored config: "},
      {"[1, 2]", "must be a JSON object, but got array"},
      {"{\"tuner\": ", "not valid JSON"}};
  for (const auto& [text, needle] : configs) {
    Write(env, id, "UPDATE meta SET value = '" + text + "' WHERE key = 'config'");
    ExpectCleanFailure(env.Run({"experiment", "show", id}, 60), text, needle);
    ExpectCleanFailure(env.Run({"trial", "ls", id, "--head", "1"}, 60), text, needle);
  }
}

TEST(DamagedExperimentTest, DeleteLeavesTheExperimentListedWhenItsFilesCannotBeRemoved) {
  HoneEnv env;
  std::string id = RunOneTrial(env);
  std::string trials = env.ExperimentDir(id) + "/trials";
  if (!Chattr("+i", trials)) GTEST_SKIP() << "chattr +i is not available here";
  RunResult del = env.Run({"experiment", "delete", id, "--yes"});
  Chattr("-i", trials);
  ExpectCleanFailure(del, "delete", "stays listed");
  RunResult list = env.Run({"experiment", "list"});
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;
  RunResult again = env.Run({"experiment", "delete", id, "-y"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(env.Run({"experiment", "list"}).out.find(id), std::string::npos);
  EXPECT_FALSE(fs::exists(env.ExperimentDir(id)));
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Once as `run` leaves the folder (an empty -wal and a -shm beside hone.db), once as a
// clean copy holds it (hone.db alone).
TEST(DamagedExperimentTest, ReadOnlyExperimentFolderCanBeRead) {
  for (bool leftovers : {true, false}) {
    SCOPED_TRACE(leftovers ? "with empty -wal and -shm" : "hone.db alone");
    HoneEnv env;
    std::string id = RunOneTrial(env);
    std::string dir = env.ExperimentDir(id);
    if (!leftovers) {
      fs::remove(dir + "/hone.db-wal");
      fs::remove(dir + "/hone.db-shm");
    }
    const std::vector<std::string> before = Entries(dir);
    if (!Chattr("+i", dir)) GTEST_SKIP() << "chattr +i is not available here";
    RunResult show = env.Run({"experiment", "show", id});
    RunResult json = env.Run({"experiment", "export", id});
    RunResult ls = env.Run({"trial", "ls", id});
    const std::vector<std::string> after = Entries(dir);
    Chattr("-i", dir);
    EXPECT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("1 succeeded"), std::string::npos) << show.out;
    EXPECT_EQ(json.exit_code, 0) << json.err;
    EXPECT_NE(json.out.find("0.5"), std::string::npos) << json.out;
    EXPECT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_EQ(after, before);
  }
}

}  // namespace
}  // namespace hone::e2e
