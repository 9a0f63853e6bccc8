// A writer killed with SIGKILL at random moments, over and over on the same file:
// every time the database must open, pass integrity_check, hold every batch whose
// Flush returned, and hold no batch in part.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"

namespace hone {
namespace {

constexpr int kTrialsPerBatch = 40;
constexpr int kMetricsPerTrial = 3;

// The child: resumes from what is stored and writes batches until killed. After each
// Flush it reports the number of trials now durable through `ack_fd`.
[[noreturn]] void WriteUntilKilled(const std::string& path, int ack_fd) {
  auto opened = SqliteStorage::Open(path, OpenMode::kReadWriteCreate);
  if (!opened.ok()) _exit(10);
  SqliteStorage& storage = **opened;
  auto existing = storage.LoadTrials(false);
  if (!existing.ok()) _exit(11);
  int64_t next = static_cast<int64_t>(existing->size());
  for (;;) {
    for (int i = 0; i < kTrialsPerBatch; ++i, ++next) {
      TrialRecord t;
      t.seq = next;
      t.config_id = next;
      t.id = std::to_string(next);
      t.status = TrialStatus::kRunning;
      t.params = {{"x", static_cast<double>(next) / 7}, {"pad", std::string(200, 'p')}};
      if (!storage.InsertTrial(t).ok()) _exit(12);
      for (int step = 0; step < kMetricsPerTrial; ++step)
        if (!storage.AppendIntermediate(next, step, step == 1 ? NAN : next + step, "@hone {}").ok()) _exit(13);
      if (!storage.AddEvent({1.0, next, "trial_started", "detail"}).ok()) _exit(14);
      t.status = TrialStatus::kSucceeded;
      t.final_value = static_cast<double>(next);
      t.final_metrics = {{"default", next}};
      if (!storage.UpdateTrial(t).ok()) _exit(15);
    }
    if (!storage.PutMeta("trials", std::to_string(next)).ok()) _exit(16);
    if (!storage.Flush().ok()) _exit(17);
    if (write(ack_fd, &next, sizeof next) != sizeof next) _exit(18);
  }
}

std::string IntegrityCheck(const std::string& path) {
  auto db = OpenSqlite(path, OpenMode::kReadWrite);
  if (!db.ok()) return db.status().message();
  auto stmt = Statement::Prepare(db->get(), "PRAGMA integrity_check");
  if (!stmt.ok()) return stmt.status().message();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status().message();
  return *row ? (*stmt)->ColumnText(0) : "no answer";
}

TEST(SqliteStorageCrashTest, SigkillNeverLosesAFlushedBatchNorCorruptsTheFile) {
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "hone_crash_XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  const std::string path = dir + "/hone.db";
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> delay_us(0, 10000);

  int64_t acked = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();  // no SQLite connection is open in this process here
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      WriteUntilKilled(path, fds[1]);
    }
    close(fds[1]);
    // Most rounds let the writer get going first (opening a database and its first
    // commit take milliseconds, batches much less); every fourth kills it at any point,
    // opening included.
    if (round % 4 != 0) {
      int64_t first = 0;
      ASSERT_EQ(read(fds[0], &first, sizeof first), static_cast<ssize_t>(sizeof first));
      acked = std::max(acked, first);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the writer failed by itself, exit code " << WEXITSTATUS(wstatus);
    int64_t count = 0;
    while (read(fds[0], &count, sizeof count) == sizeof count) acked = std::max(acked, count);
    close(fds[0]);

    if (!std::filesystem::exists(path)) {  // killed before it created the file
      ASSERT_EQ(acked, 0);
      continue;
    }
    ASSERT_EQ(IntegrityCheck(path), "ok");
    auto storage = SqliteStorage::Open(path, OpenMode::kReadWrite);
    ASSERT_TRUE(storage.ok()) << storage.status().message();
    auto trials = (*storage)->LoadTrials(true);
    ASSERT_TRUE(trials.ok()) << trials.status().message();
    const int64_t stored = static_cast<int64_t>(trials->size());
    ASSERT_GE(stored, acked);                    // nothing flushed is lost
    ASSERT_LE(stored, acked + kTrialsPerBatch);  // at most the batch being acknowledged
    ASSERT_EQ(stored % kTrialsPerBatch, 0);      // and never part of a batch
    for (int64_t i = 0; i < stored; ++i) {
      const TrialRecord& t = (*trials)[i];
      ASSERT_EQ(t.seq, i);
      ASSERT_EQ(t.status, TrialStatus::kSucceeded);
      ASSERT_EQ(t.final_value, static_cast<double>(i));
      ASSERT_EQ(t.intermediate.size(), static_cast<size_t>(kMetricsPerTrial));
      ASSERT_TRUE(std::isnan(t.intermediate[1].value));
    }
    if (stored > 0) {
      EXPECT_EQ((*storage)->GetMeta("trials"), std::to_string(stored));
    }
    acked = stored;
  }
  EXPECT_GT(acked, 0) << "no batch was ever flushed: the kills came too early to test anything";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hone
