// SqliteStorage: the Storage of one experiment in one SQLite file
// (<HONE_HOME>/experiments/<id>/hone.db), shared by the manager (the one writer) and
// any number of readers and command pushers in other processes (CLI, web UI).
//
// Batches. The first write after a Flush() begins an IMMEDIATE transaction that stays
// open until the next Flush() (or the destructor), so a loop turn costs one commit.
// While it is open this connection holds the database's write lock: other processes
// still read (WAL) but their writes (PushCommand) wait for the Flush, up to
// 5 seconds, then fail with Unavailable. The manager flushes every loop turn.
//
// Commands. PushCommand outside a batch commits at once in its own transaction (what
// the CLI does). TakeCommands first checks for commands without locking anything; when
// there are some it reads and deletes them inside this connection's batch (beginning
// one if needed). The deletion therefore commits at the same Flush as whatever the
// manager records in response (a canceled trial, a "stopping" status): a crash before
// that Flush loses both, and the resumed manager takes the commands again. Commands
// are delivered at least once, in id order, and "stop"/"kill_trial" are idempotent.
//
// Example, manager side:
//   auto storage = SqliteStorage::Open(dir + "/hone.db", OpenMode::kReadWriteCreate);
//   (*storage)->InsertTrial(trial);            // batch begins
//   auto commands = (*storage)->TakeCommands();  // same batch
//   (*storage)->Flush();                       // one commit; now visible to readers
// CLI side (another process):
//   auto storage = SqliteStorage::Open(path, OpenMode::kReadWrite);
//   (*storage)->PushCommand(CommandKind::kKillTrial, {{"seq", 3}});  // committed on return
// Tests (and anything that needs no file):
//   auto storage = SqliteStorage::Open(kInMemoryPath, OpenMode::kReadWriteCreate);
//
// Not thread-safe: one thread uses a SqliteStorage at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/storage.h"
#include "storage/open_mode.h"

namespace hone {

class SqliteConnection;

class SqliteStorage : public Storage {
 public:
  // Opens (and with kReadWriteCreate creates) the database at `path` and migrates its
  // schema. Only kReadWriteCreate lays a schema into an empty file; the other modes
  // refuse it (FailedPrecondition) and leave it as it was. A schema newer than this build knows is FailedPrecondition; so is an older
  // one opened read-only. In kReadOnly mode every write fails with FailedPrecondition.
  // kInMemoryPath opens a private in-memory database (read-write only).
  static StatusOr<std::unique_ptr<SqliteStorage>> Open(const std::string& path, OpenMode mode);

  // Flushes the pending batch (an error here is lost; call Flush() to see it).
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  Status PutMeta(const std::string& key, const std::string& value) override;
  std::optional<std::string> GetMeta(const std::string& key) override;

  // Duplicate seq: AlreadyExists. Also stores trial.intermediate.
  Status InsertTrial(const TrialRecord& trial) override;
  // Writes status, the three times, pid, exit code, reason and the final metric. A trial
  // whose stored status is terminal is left as it is: FailedPrecondition. NotFound for
  // an unknown seq.
  Status UpdateTrial(const TrialRecord& trial) override;
  Status AppendIntermediate(int64_t seq, int64_t step, double value, const std::string& raw) override;
  Status AddEvent(const Event& event) override;
  Status Flush() override;

  // Intermediate metrics come ordered by step (reports of one step in report order).
  StatusOr<std::vector<TrialRecord>> LoadTrials(bool with_intermediate) override;
  StatusOr<std::optional<TrialRecord>> LoadTrial(int64_t seq) override;
  // Events of trial `seq` (-1: the experiment-level ones), oldest first.
  StatusOr<std::vector<Event>> LoadEvents(int64_t seq) override;

  // The kind is stored by name and `args` as JSON text (non-finite numbers as null).
  Status PushCommand(CommandKind kind, const nlohmann::json& args) override;
  // Queues a command by the name the database stores, as another version of hone may
  // write one this build does not know (TakeCommands returns that one without a kind).
  Status PushCommandNamed(std::string_view name, const nlohmann::json& args);
  StatusOr<std::vector<Command>> TakeCommands() override;

  const std::string& path() const { return path_; }
  // True while a batch is open (this connection holds the write lock).
  bool in_batch() const;

 private:
  SqliteStorage(std::string path, std::unique_ptr<SqliteConnection> db, bool read_only);

  Status CheckWritable() const;
  Status BeginBatch();  // no-op inside a batch
  // Annotates a failed write, noting when SQLite rolled the whole batch back.
  Status WriteError(Status status, bool was_in_batch) const;
  Status InsertIntermediate(int64_t seq, int64_t step, double value, std::string_view raw);
  Status UpdateLiveTrial(const TrialRecord& trial);
  StatusOr<std::vector<TrialRecord>> ReadTrials(bool with_intermediate);
  Status ReadAllIntermediate(std::vector<TrialRecord>& trials);
  StatusOr<std::optional<TrialRecord>> ReadTrial(int64_t seq);
  StatusOr<std::vector<Command>> ReadAndDeleteCommands();

  std::string path_;
  std::unique_ptr<SqliteConnection> db_;
  bool read_only_;
};

}  // namespace hone
