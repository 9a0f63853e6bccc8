#include "storage/sqlite_storage.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "storage/experiment_rows.h"
#include "storage/schema.h"
#include "storage/sqlite_util.h"

namespace hone {
namespace {

using nlohmann::json;

const std::string kLoadTrials = "SELECT " + std::string(kTrialColumns) + " FROM trials ORDER BY seq";
const std::string kLoadTrial = "SELECT " + std::string(kTrialColumns) + " FROM trials WHERE seq = ?1";
constexpr std::string_view kCountTrials = "SELECT count(*) FROM trials";
constexpr std::string_view kTrialStatus = "SELECT status FROM trials WHERE seq = ?1";
constexpr std::string_view kInsertMetric = "INSERT INTO metrics (seq, step, value, raw) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kAllMetrics = "SELECT seq, step, value FROM metrics";
constexpr std::string_view kTrialMetrics = "SELECT step, value FROM metrics WHERE seq = ?1 ORDER BY step";
constexpr std::string_view kPutMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr std::string_view kInsertEvent = "INSERT INTO events (time, seq, kind, detail) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kInsertCommand = "INSERT INTO commands (kind, args) VALUES (?1, ?2)";
constexpr std::string_view kAnyCommand = "SELECT EXISTS (SELECT 1 FROM commands)";
constexpr std::string_view kAllCommands = "SELECT id, kind, args FROM commands ORDER BY id";
constexpr std::string_view kDeleteCommands = "DELETE FROM commands WHERE id <= ?1";

bool StepLess(const IntermediateMetric& a, const IntermediateMetric& b) { return a.step < b.step; }

// Runs `read` in one read transaction (one snapshot) unless a batch is already open,
// so a multi-query read never mixes two commits of the writer.
template <typename Read>
auto InReadTransaction(SqliteConnection& db, Read read) -> decltype(read()) {
  if (db.in_transaction()) return read();
  HONE_RETURN_IF_ERROR(ExecSql(db.get(), "BEGIN"));
  auto result = read();
  ExecSql(db.get(), "COMMIT");  // ends a read-only transaction: cannot lose anything
  return result;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(const std::string& path, OpenMode mode) {
  auto db = OpenSqlite(path, mode);
  if (!db.ok()) return db.status().WithContext("storage");
  const bool read_only = mode == OpenMode::kReadOnly;
  HONE_RETURN_IF_ERROR(Migrate(db->get(), ExperimentMigrations(), read_only).WithContext("storage " + path));
  return std::unique_ptr<SqliteStorage>(
      new SqliteStorage(path, std::make_unique<SqliteConnection>(std::move(*db)), read_only));
}

SqliteStorage::SqliteStorage(std::string path, std::unique_ptr<SqliteConnection> db, bool read_only)
    : path_(std::move(path)), db_(std::move(db)), read_only_(read_only) {}

SqliteStorage::~SqliteStorage() {
  if (in_batch() && !ExecSql(db_->get(), "COMMIT").ok()) ExecSql(db_->get(), "ROLLBACK");
}

bool SqliteStorage::in_batch() const { return db_->in_transaction(); }

Status SqliteStorage::CheckWritable() const {
  if (read_only_) return FailedPrecondition("storage " + path_ + ": opened read-only");
  return Status::Ok();
}

Status SqliteStorage::BeginBatch() {
  HONE_RETURN_IF_ERROR(CheckWritable());
  if (in_batch()) return Status::Ok();
  // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so no write in
  // the batch can fail later for want of it.
  return ExecSql(db_->get(), "BEGIN IMMEDIATE").WithContext("storage " + path_);
}

Status SqliteStorage::WriteError(Status status, bool was_in_batch) const {
  if (status.ok()) return status;
  std::string message = status.message();
  if (was_in_batch && !in_batch()) message += " (SQLite rolled back the writes since the last flush)";
  return Status(status.code(), "storage " + path_ + ": " + message);
}

Status SqliteStorage::Flush() {
  if (!in_batch()) return Status::Ok();
  return ExecSql(db_->get(), "COMMIT").WithContext("storage " + path_ + ": flush");
}

// --- writes ---

Status SqliteStorage::PutMeta(const std::string& key, const std::string& value) {
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto stmt = db_->Use(kPutMeta);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindText(1, key);
  (*stmt)->BindText(2, value);
  return WriteError((*stmt)->Run(), true);
}

Status SqliteStorage::InsertTrial(const TrialRecord& trial) {
  HONE_RETURN_IF_ERROR(BeginBatch());
  {
    auto stmt = db_->Use(kInsertTrialRow);
    if (!stmt.ok()) return WriteError(stmt.status(), true);
    BindTrialOutcome(**stmt, trial);
    BindTrialIdentity(**stmt, trial);
    Status inserted = (*stmt)->Run();
    if (inserted.code() == StatusCode::kAlreadyExists)
      return WriteError(Status(StatusCode::kAlreadyExists, TrialName(trial.seq) + " already exists"), true);
    if (!inserted.ok()) return WriteError(inserted.WithContext("insert " + TrialName(trial.seq)), true);
  }
  for (const IntermediateMetric& metric : trial.intermediate)
    HONE_RETURN_IF_ERROR(InsertIntermediate(trial.seq, metric.step, metric.value, ""));
  return Status::Ok();
}

Status SqliteStorage::UpdateTrial(const TrialRecord& trial) {
  HONE_RETURN_IF_ERROR(BeginBatch());
  return WriteError(UpdateLiveTrial(trial), true);
}

Status SqliteStorage::UpdateLiveTrial(const TrialRecord& trial) {
  {
    auto stmt = db_->Use(kUpdateLiveTrialRow);
    if (!stmt.ok()) return stmt.status();
    BindTrialOutcome(**stmt, trial);
    HONE_RETURN_IF_ERROR((*stmt)->Run().WithContext("update " + TrialName(trial.seq)));
    if (db_->changes() > 0) return Status::Ok();
  }
  // Nothing matched: say whether the trial is missing or already finished.
  auto stmt = db_->Use(kTrialStatus);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, trial.seq);
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("cannot update " + TrialName(trial.seq) + ": no such trial");
  return FailedPrecondition("cannot update " + TrialName(trial.seq) + " to " +
                            std::string(TrialStatusName(trial.status)) + ": it is already " +
                            (*stmt)->ColumnText(0) + ", and a finished trial is never rewritten");
}

Status SqliteStorage::AppendIntermediate(int64_t seq, int64_t step, double value, const std::string& raw) {
  HONE_RETURN_IF_ERROR(BeginBatch());
  return InsertIntermediate(seq, step, value, raw);
}

Status SqliteStorage::InsertIntermediate(int64_t seq, int64_t step, double value, std::string_view raw) {
  auto stmt = db_->Use(kInsertMetric);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindInt(1, seq);
  (*stmt)->BindInt(2, step);
  (*stmt)->BindDouble(3, value);  // NaN becomes NULL, which reads back as NaN
  (*stmt)->BindText(4, raw);
  return WriteError((*stmt)->Run().WithContext("append metric of " + TrialName(seq)), true);
}

Status SqliteStorage::AddEvent(const Event& event) {
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto stmt = db_->Use(kInsertEvent);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindDouble(1, event.time);
  (*stmt)->BindInt(2, event.seq);
  (*stmt)->BindText(3, event.kind);
  (*stmt)->BindText(4, event.detail);
  return WriteError((*stmt)->Run().WithContext("add event"), true);
}

// --- reads ---

std::optional<std::string> SqliteStorage::GetMeta(const std::string& key) { return ReadMeta(*db_, key); }

StatusOr<std::vector<TrialRecord>> SqliteStorage::LoadTrials(bool with_intermediate) {
  auto trials = InReadTransaction(*db_, [&] { return ReadTrials(with_intermediate); });
  if (!trials.ok()) return trials.status().WithContext("storage " + path_ + ": load trials");
  return trials;
}

StatusOr<std::vector<TrialRecord>> SqliteStorage::ReadTrials(bool with_intermediate) {
  std::vector<TrialRecord> trials;
  {
    // Records are large: growing the vector by doubling would move them ~twice over.
    auto stmt = db_->Use(kCountTrials);
    if (!stmt.ok()) return stmt.status();
    auto count = (*stmt)->SingleInt();
    if (!count.ok()) return count.status();
    trials.reserve(static_cast<size_t>(*count));
  }
  {
    auto stmt = db_->Use(kLoadTrials);
    if (!stmt.ok()) return stmt.status();
    HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) -> Status {
      auto trial = ReadTrialRow(row);
      if (!trial.ok()) return trial.status();
      trials.push_back(std::move(*trial));
      return Status::Ok();
    }));
  }
  if (with_intermediate && !trials.empty()) HONE_RETURN_IF_ERROR(ReadAllIntermediate(trials));
  return trials;
}

Status SqliteStorage::ReadAllIntermediate(std::vector<TrialRecord>& trials) {
  // One scan of the whole table in storage order, grouped here: far cheaper than
  // walking the (seq, step) index, which costs a table lookup per row.
  std::unordered_map<int64_t, size_t> index_of;
  index_of.reserve(trials.size());
  for (size_t i = 0; i < trials.size(); ++i) index_of.emplace(trials[i].seq, i);
  auto stmt = db_->Use(kAllMetrics);
  if (!stmt.ok()) return stmt.status();
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    auto it = index_of.find(row.ColumnInt(0));
    if (it == index_of.end()) return;  // metrics of a seq with no trial row
    trials[it->second].intermediate.push_back({row.ColumnInt(1), ReadNullableDouble(row, 2)});
  }));
  for (TrialRecord& trial : trials) {
    auto& metrics = trial.intermediate;
    if (!std::is_sorted(metrics.begin(), metrics.end(), StepLess))
      std::stable_sort(metrics.begin(), metrics.end(), StepLess);
  }
  return Status::Ok();
}

StatusOr<std::optional<TrialRecord>> SqliteStorage::LoadTrial(int64_t seq) {
  auto trial = InReadTransaction(*db_, [&] { return ReadTrial(seq); });
  if (!trial.ok()) return trial.status().WithContext("storage " + path_ + ": load " + TrialName(seq));
  return trial;
}

StatusOr<std::optional<TrialRecord>> SqliteStorage::ReadTrial(int64_t seq) {
  std::optional<TrialRecord> trial;
  {
    auto stmt = db_->Use(kLoadTrial);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindInt(1, seq);
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return trial;
    auto read = ReadTrialRow(**stmt);
    if (!read.ok()) return read.status();
    trial = std::move(*read);
  }
  auto stmt = db_->Use(kTrialMetrics);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, seq);
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    trial->intermediate.push_back({row.ColumnInt(0), ReadNullableDouble(row, 1)});
  }));
  return trial;
}

StatusOr<std::vector<Event>> SqliteStorage::LoadEvents(int64_t seq) {
  auto events = ReadEvents(*db_, seq);
  if (!events.ok()) return events.status().WithContext("storage " + path_ + ": load events");
  return events;
}

// --- commands ---

Status SqliteStorage::PushCommand(CommandKind kind, const nlohmann::json& args) {
  return PushCommandNamed(CommandKindName(kind), args);
}

Status SqliteStorage::PushCommandNamed(std::string_view name, const nlohmann::json& args) {
  HONE_RETURN_IF_ERROR(CheckWritable());
  const bool was_in_batch = in_batch();
  auto stmt = db_->Use(kInsertCommand);
  if (!stmt.ok()) return WriteError(stmt.status(), was_in_batch);
  (*stmt)->BindText(1, name);
  (*stmt)->BindText(2, args.dump(-1, ' ', false, json::error_handler_t::replace));
  // Outside a batch this statement is its own transaction: committed on return.
  return WriteError((*stmt)->Run().WithContext("push command " + std::string(name)), was_in_batch);
}

StatusOr<std::vector<Command>> SqliteStorage::TakeCommands() {
  HONE_RETURN_IF_ERROR(CheckWritable());
  if (!in_batch()) {
    // The common case, every loop turn: nothing queued. Peek without taking the lock.
    auto stmt = db_->Use(kAnyCommand);
    if (!stmt.ok()) return stmt.status().WithContext("storage " + path_);
    auto any = (*stmt)->SingleInt();
    if (!any.ok()) return any.status().WithContext("storage " + path_ + ": take commands");
    if (*any == 0) return std::vector<Command>();
  }
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto commands = ReadAndDeleteCommands();
  if (!commands.ok()) return WriteError(commands.status().WithContext("take commands"), true);
  return commands;
}

StatusOr<std::vector<Command>> SqliteStorage::ReadAndDeleteCommands() {
  std::vector<Command> commands;
  {
    auto stmt = db_->Use(kAllCommands);
    if (!stmt.ok()) return stmt.status();
    HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
      Command command;
      command.id = row.ColumnInt(0);
      command.name = row.ColumnText(1);
      command.kind = ParseCommandKind(command.name);  // none: written by another hone
      command.args = json::parse(row.ColumnText(2), nullptr, /*allow_exceptions=*/false);
      if (command.args.is_discarded()) command.args = nullptr;  // a foreign writer's bad JSON
      commands.push_back(std::move(command));
    }));
  }
  if (commands.empty()) return commands;
  auto stmt = db_->Use(kDeleteCommands);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, commands.back().id);
  HONE_RETURN_IF_ERROR((*stmt)->Run());
  return commands;
}

}  // namespace hone
