#include "storage/sqlite_storage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "storage/schema.h"

namespace hone {
namespace {

using nlohmann::json;

// The column order ReadTrialRow expects.
constexpr std::string_view kLoadTrials =
    "SELECT seq, trial_id, config_id, status, params, params_nonfinite, has_final, final, final_metrics, "
    "final_metrics_nonfinite, created_at, started_at, ended_at, exit_code, reason FROM trials ORDER BY seq";
constexpr std::string_view kCountTrials = "SELECT count(*) FROM trials";
constexpr std::string_view kLoadTrial =
    "SELECT seq, trial_id, config_id, status, params, params_nonfinite, has_final, final, final_metrics, "
    "final_metrics_nonfinite, created_at, started_at, ended_at, exit_code, reason FROM trials WHERE seq = ?1";

constexpr std::string_view kInsertTrial =
    "INSERT INTO trials (seq, trial_id, config_id, status, params, params_nonfinite, has_final, final, "
    "final_metrics, final_metrics_nonfinite, created_at, started_at, ended_at, exit_code, reason) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
// Only live rows match: a finished trial is never rewritten.
constexpr std::string_view kUpdateLiveTrial =
    "UPDATE trials SET status = ?4, has_final = ?7, final = ?8, final_metrics = ?9, "
    "final_metrics_nonfinite = ?10, created_at = ?11, started_at = ?12, ended_at = ?13, exit_code = ?14, "
    "reason = ?15 WHERE seq = ?1 AND status IN ('waiting', 'running')";
constexpr std::string_view kTrialStatus = "SELECT status FROM trials WHERE seq = ?1";
constexpr std::string_view kInsertMetric = "INSERT INTO metrics (seq, step, value, raw) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kAllMetrics = "SELECT seq, step, value FROM metrics";
constexpr std::string_view kTrialMetrics = "SELECT step, value FROM metrics WHERE seq = ?1 ORDER BY step";
constexpr std::string_view kPutMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr std::string_view kGetMeta = "SELECT value FROM meta WHERE key = ?1";
constexpr std::string_view kInsertEvent = "INSERT INTO events (time, seq, kind, detail) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kLoadEvents =
    "SELECT time, seq, kind, detail FROM events WHERE seq = ?1 ORDER BY id";
constexpr std::string_view kInsertCommand = "INSERT INTO commands (kind, args) VALUES (?1, ?2)";
constexpr std::string_view kAnyCommand = "SELECT EXISTS (SELECT 1 FROM commands)";
constexpr std::string_view kAllCommands = "SELECT id, kind, args FROM commands ORDER BY id";
constexpr std::string_view kDeleteCommands = "DELETE FROM commands WHERE id <= ?1";

std::string TrialName(int64_t seq) { return "trial " + std::to_string(seq); }

// Binds the parameters kInsertTrial and kUpdateLiveTrial share (all but 2, 3, 5, 6).
void BindTrialOutcome(Statement& stmt, const TrialRecord& trial) {
  stmt.BindInt(1, trial.seq);
  stmt.BindText(4, TrialStatusName(trial.status));
  stmt.BindInt(7, trial.final_value.has_value() ? 1 : 0);
  if (trial.final_value) stmt.BindDouble(8, *trial.final_value);  // NaN becomes NULL
  else stmt.BindNull(8);
  if (trial.final_metrics.is_null()) {
    stmt.BindNull(9);
    stmt.BindNull(10);
  } else {
    JsonColumns final_metrics = EncodeJson(trial.final_metrics);
    stmt.BindText(9, final_metrics.text);
    stmt.BindOptionalText(10, final_metrics.nonfinite);
  }
  stmt.BindDouble(11, trial.created_at);
  stmt.BindDouble(12, trial.started_at);
  stmt.BindDouble(13, trial.ended_at);
  stmt.BindInt(14, trial.exit_code);
  stmt.BindText(15, trial.reason);
}

// Reads one row selected by kLoadTrials or kLoadTrial.
StatusOr<TrialRecord> ReadTrialRow(const Statement& row) {
  TrialRecord trial;
  trial.seq = row.ColumnInt(0);
  const std::string what = TrialName(trial.seq);
  trial.id = row.ColumnText(1);
  trial.config_id = row.ColumnInt(2);
  std::string status = row.ColumnText(3);
  auto parsed = ParseTrialStatus(status);
  if (!parsed) return IoError(what + ": unknown stored status '" + status + "'");
  trial.status = *parsed;
  auto params = DecodeJson(row.ColumnText(4), row.ColumnOptionalText(5), what + " params");
  if (!params.ok()) return params.status();
  trial.params = std::move(*params);
  if (row.ColumnInt(6) != 0)
    trial.final_value = row.IsNull(7) ? std::numeric_limits<double>::quiet_NaN() : row.ColumnDouble(7);
  if (!row.IsNull(8)) {
    auto final_metrics = DecodeJson(row.ColumnText(8), row.ColumnOptionalText(9), what + " final metrics");
    if (!final_metrics.ok()) return final_metrics.status();
    trial.final_metrics = std::move(*final_metrics);
  }
  trial.created_at = row.ColumnDouble(10);
  trial.started_at = row.ColumnDouble(11);
  trial.ended_at = row.ColumnDouble(12);
  trial.exit_code = static_cast<int>(row.ColumnInt(13));
  trial.reason = row.ColumnText(14);
  return trial;
}

double ReadMetricValue(const Statement& row, int column) {
  return row.IsNull(column) ? std::numeric_limits<double>::quiet_NaN() : row.ColumnDouble(column);
}

bool StepLess(const IntermediateMetric& a, const IntermediateMetric& b) { return a.step < b.step; }

}  // namespace

StatusOr<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(const std::string& path, OpenMode mode) {
  auto db = OpenSqlite(path, mode);
  if (!db.ok()) return db.status().WithContext("storage");
  const bool read_only = mode == OpenMode::kReadOnly;
  HONE_RETURN_IF_ERROR(Migrate(db->get(), ExperimentMigrations(), read_only).WithContext("storage " + path));
  return std::unique_ptr<SqliteStorage>(new SqliteStorage(path, std::move(*db), read_only));
}

SqliteStorage::SqliteStorage(std::string path, SqliteHandle db, bool read_only)
    : path_(std::move(path)), db_(std::move(db)), read_only_(read_only), statements_(db_.get()) {}

SqliteStorage::~SqliteStorage() {
  if (in_batch() && !ExecSql(db_.get(), "COMMIT").ok()) ExecSql(db_.get(), "ROLLBACK");
}

Status SqliteStorage::CheckWritable() const {
  if (read_only_) return FailedPrecondition("storage " + path_ + ": opened read-only");
  return Status::Ok();
}

Status SqliteStorage::BeginBatch() {
  if (in_batch()) return Status::Ok();
  // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so no write in
  // the batch can fail later for want of it.
  return ExecSql(db_.get(), "BEGIN IMMEDIATE").WithContext("storage " + path_);
}

Status SqliteStorage::WriteError(Status status, bool was_in_batch) const {
  if (status.ok()) return status;
  std::string message = status.message();
  if (was_in_batch && !in_batch()) message += " (SQLite rolled back the writes since the last flush)";
  return Status(status.code(), "storage " + path_ + ": " + message);
}

Status SqliteStorage::Flush() {
  if (!in_batch()) return Status::Ok();
  return ExecSql(db_.get(), "COMMIT").WithContext("storage " + path_ + ": flush");
}

// --- writes ---

Status SqliteStorage::PutMeta(const std::string& key, const std::string& value) {
  HONE_RETURN_IF_ERROR(CheckWritable());
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto stmt = statements_.Use(kPutMeta);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindText(1, key);
  (*stmt)->BindText(2, value);
  return WriteError((*stmt)->Run(), true);
}

Status SqliteStorage::InsertTrial(const TrialRecord& trial) {
  HONE_RETURN_IF_ERROR(CheckWritable());
  HONE_RETURN_IF_ERROR(BeginBatch());
  {
    auto stmt = statements_.Use(kInsertTrial);
    if (!stmt.ok()) return WriteError(stmt.status(), true);
    BindTrialOutcome(**stmt, trial);
    (*stmt)->BindText(2, trial.id);
    (*stmt)->BindInt(3, trial.config_id);
    JsonColumns params = EncodeJson(trial.params);
    (*stmt)->BindText(5, params.text);
    (*stmt)->BindOptionalText(6, params.nonfinite);
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
  HONE_RETURN_IF_ERROR(CheckWritable());
  HONE_RETURN_IF_ERROR(BeginBatch());
  return WriteError(UpdateLiveTrial(trial), true);
}

Status SqliteStorage::UpdateLiveTrial(const TrialRecord& trial) {
  {
    auto stmt = statements_.Use(kUpdateLiveTrial);
    if (!stmt.ok()) return stmt.status();
    BindTrialOutcome(**stmt, trial);
    HONE_RETURN_IF_ERROR((*stmt)->Run().WithContext("update " + TrialName(trial.seq)));
    if (sqlite3_changes(db_.get()) > 0) return Status::Ok();
  }
  // Nothing matched: say whether the trial is missing or already finished.
  auto stmt = statements_.Use(kTrialStatus);
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
  HONE_RETURN_IF_ERROR(CheckWritable());
  HONE_RETURN_IF_ERROR(BeginBatch());
  return InsertIntermediate(seq, step, value, raw);
}

Status SqliteStorage::InsertIntermediate(int64_t seq, int64_t step, double value, std::string_view raw) {
  auto stmt = statements_.Use(kInsertMetric);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindInt(1, seq);
  (*stmt)->BindInt(2, step);
  (*stmt)->BindDouble(3, value);  // NaN becomes NULL, which reads back as NaN
  (*stmt)->BindText(4, raw);
  return WriteError((*stmt)->Run().WithContext("append metric of " + TrialName(seq)), true);
}

Status SqliteStorage::AddEvent(const Event& event) {
  HONE_RETURN_IF_ERROR(CheckWritable());
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto stmt = statements_.Use(kInsertEvent);
  if (!stmt.ok()) return WriteError(stmt.status(), true);
  (*stmt)->BindDouble(1, event.time);
  (*stmt)->BindInt(2, event.seq);
  (*stmt)->BindText(3, event.kind);
  (*stmt)->BindText(4, event.detail);
  return WriteError((*stmt)->Run().WithContext("add event"), true);
}

// --- reads ---

namespace {

// Runs `read` in one read transaction (one snapshot) unless a batch is already open,
// so a multi-query read never mixes two commits of the writer.
template <typename Read>
auto InReadTransaction(sqlite3* db, Read read) -> decltype(read()) {
  if (!sqlite3_get_autocommit(db)) return read();
  HONE_RETURN_IF_ERROR(ExecSql(db, "BEGIN"));
  auto result = read();
  ExecSql(db, "COMMIT");  // ends a read-only transaction: cannot lose anything
  return result;
}

}  // namespace

std::optional<std::string> SqliteStorage::GetMeta(const std::string& key) {
  auto stmt = statements_.Use(kGetMeta);
  if (!stmt.ok()) return std::nullopt;
  (*stmt)->BindText(1, key);
  auto row = (*stmt)->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return (*stmt)->ColumnText(0);
}

StatusOr<std::vector<TrialRecord>> SqliteStorage::LoadTrials(bool with_intermediate) {
  auto trials = InReadTransaction(db_.get(), [&] { return ReadTrials(with_intermediate); });
  if (!trials.ok()) return trials.status().WithContext("storage " + path_ + ": load trials");
  return trials;
}

StatusOr<std::vector<TrialRecord>> SqliteStorage::ReadTrials(bool with_intermediate) {
  std::vector<TrialRecord> trials;
  {
    // Records are large: growing the vector by doubling would move them ~twice over.
    auto stmt = statements_.Use(kCountTrials);
    if (!stmt.ok()) return stmt.status();
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (*row) trials.reserve(static_cast<size_t>((*stmt)->ColumnInt(0)));
  }
  {
    auto stmt = statements_.Use(kLoadTrials);
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto trial = ReadTrialRow(**stmt);
      if (!trial.ok()) return trial.status();
      trials.push_back(std::move(*trial));
    }
  }
  if (!with_intermediate || trials.empty()) return trials;

  // One scan of the whole table in storage order, grouped here: far cheaper than
  // walking the (seq, step) index, which costs a table lookup per row.
  std::unordered_map<int64_t, size_t> index_of;
  index_of.reserve(trials.size());
  for (size_t i = 0; i < trials.size(); ++i) index_of.emplace(trials[i].seq, i);
  auto stmt = statements_.Use(kAllMetrics);
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto it = index_of.find((*stmt)->ColumnInt(0));
    if (it == index_of.end()) continue;  // metrics of a seq with no trial row
    trials[it->second].intermediate.push_back({(*stmt)->ColumnInt(1), ReadMetricValue(**stmt, 2)});
  }
  for (TrialRecord& trial : trials) {
    auto& metrics = trial.intermediate;
    if (!std::is_sorted(metrics.begin(), metrics.end(), StepLess))
      std::stable_sort(metrics.begin(), metrics.end(), StepLess);
  }
  return trials;
}

StatusOr<std::optional<TrialRecord>> SqliteStorage::LoadTrial(int64_t seq) {
  auto read = [&]() -> StatusOr<std::optional<TrialRecord>> {
    std::optional<TrialRecord> trial;
    {
      auto stmt = statements_.Use(kLoadTrial);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) return std::optional<TrialRecord>();
      auto read_trial = ReadTrialRow(**stmt);
      if (!read_trial.ok()) return read_trial.status();
      trial = std::move(*read_trial);
    }
    auto stmt = statements_.Use(kTrialMetrics);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindInt(1, seq);
    for (;;) {
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      trial->intermediate.push_back({(*stmt)->ColumnInt(0), ReadMetricValue(**stmt, 1)});
    }
    return trial;
  };
  auto trial = InReadTransaction(db_.get(), read);
  if (!trial.ok()) return trial.status().WithContext("storage " + path_ + ": load " + TrialName(seq));
  return trial;
}

StatusOr<std::vector<Event>> SqliteStorage::LoadEvents(int64_t seq) {
  auto stmt = statements_.Use(kLoadEvents);
  if (!stmt.ok()) return stmt.status().WithContext("storage " + path_);
  (*stmt)->BindInt(1, seq);
  std::vector<Event> events;
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status().WithContext("storage " + path_ + ": load events");
    if (!*row) break;
    events.push_back({(*stmt)->ColumnDouble(0), (*stmt)->ColumnInt(1), (*stmt)->ColumnText(2),
                      (*stmt)->ColumnText(3)});
  }
  return events;
}

// --- commands ---

Status SqliteStorage::PushCommand(const std::string& kind, const nlohmann::json& args) {
  HONE_RETURN_IF_ERROR(CheckWritable());
  const bool was_in_batch = in_batch();
  auto stmt = statements_.Use(kInsertCommand);
  if (!stmt.ok()) return WriteError(stmt.status(), was_in_batch);
  (*stmt)->BindText(1, kind);
  (*stmt)->BindText(2, args.dump(-1, ' ', false, json::error_handler_t::replace));
  // Outside a batch this statement is its own transaction: committed on return.
  return WriteError((*stmt)->Run().WithContext("push command " + kind), was_in_batch);
}

StatusOr<std::vector<Command>> SqliteStorage::TakeCommands() {
  HONE_RETURN_IF_ERROR(CheckWritable());
  if (!in_batch()) {
    // The common case, every loop turn: nothing queued. Peek without taking the lock.
    auto stmt = statements_.Use(kAnyCommand);
    if (!stmt.ok()) return stmt.status().WithContext("storage " + path_);
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status().WithContext("storage " + path_ + ": take commands");
    if (!*row || (*stmt)->ColumnInt(0) == 0) return std::vector<Command>();
  }
  HONE_RETURN_IF_ERROR(BeginBatch());
  auto commands = ReadAndDeleteCommands();
  if (!commands.ok()) return WriteError(commands.status().WithContext("take commands"), true);
  return commands;
}

StatusOr<std::vector<Command>> SqliteStorage::ReadAndDeleteCommands() {
  std::vector<Command> commands;
  {
    auto stmt = statements_.Use(kAllCommands);
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Command command;
      command.id = (*stmt)->ColumnInt(0);
      command.kind = (*stmt)->ColumnText(1);
      command.args = json::parse((*stmt)->ColumnText(2), nullptr, /*allow_exceptions=*/false);
      if (command.args.is_discarded()) command.args = nullptr;  // a foreign writer's bad JSON
      commands.push_back(std::move(command));
    }
  }
  if (commands.empty()) return commands;
  auto stmt = statements_.Use(kDeleteCommands);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, commands.back().id);
  HONE_RETURN_IF_ERROR((*stmt)->Run());
  return commands;
}

}  // namespace hone
