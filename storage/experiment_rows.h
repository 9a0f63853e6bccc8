// The rows of the experiment database (hone.db) as both of its readers see them,
// SqliteStorage and TrialQuery: the one codec between a trials row and a TrialRecord
// (column list, the bindings of the insert and of the live-trial update, the reader),
// and the meta and events reads. Internal to storage/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/storage.h"
#include "core/trial_record.h"
#include "storage/sqlite_util.h"

namespace hone {

// The columns ReadTrialRow reads, in order (no table alias is needed: statements that
// select them read one table).
inline constexpr std::string_view kTrialColumns =
    "seq, trial_id, config_id, status, params, params_nonfinite, has_final, final, final_metrics, "
    "final_metrics_nonfinite, created_at, started_at, ended_at, exit_code, reason, pid";

// INSERT of every column of kTrialColumns, as parameters ?1 .. ?16 in that order.
inline constexpr std::string_view kInsertTrialRow =
    "INSERT INTO trials (seq, trial_id, config_id, status, params, params_nonfinite, has_final, final, "
    "final_metrics, final_metrics_nonfinite, created_at, started_at, ended_at, exit_code, reason, pid) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

// UPDATE of what changes while a trial lives (kInsertTrialRow's parameters except 2, 3,
// 5 and 6). Only live rows match: a finished trial is never rewritten.
inline constexpr std::string_view kUpdateLiveTrialRow =
    "UPDATE trials SET status = ?4, has_final = ?7, final = ?8, final_metrics = ?9, "
    "final_metrics_nonfinite = ?10, created_at = ?11, started_at = ?12, ended_at = ?13, exit_code = ?14, "
    "reason = ?15, pid = ?16 WHERE seq = ?1 AND status IN ('waiting', 'running')";

// Binds what kUpdateLiveTrialRow writes: parameters 1, 4 and 7 .. 16.
void BindTrialOutcome(Statement& stmt, const TrialRecord& trial);
// Binds the rest of kInsertTrialRow: parameters 2, 3, 5 and 6.
void BindTrialIdentity(Statement& stmt, const TrialRecord& trial);

// Reads the kTrialColumns of `row`, starting at column `first` (without intermediate
// metrics). A stored value this build cannot read is an Io error naming the trial.
StatusOr<TrialRecord> ReadTrialRow(const Statement& row, int first = 0);

// A REAL column where NULL stands for NaN (SQLite stores NaN as NULL).
double ReadNullableDouble(const Statement& row, int column);

// The value of meta `key`; none when it is not set or cannot be read.
std::optional<std::string> ReadMeta(SqliteConnection& db, const std::string& key);

// Events of trial `seq` (-1: the experiment-level ones), oldest first, at most
// `max_events` of them (-1: all).
StatusOr<std::vector<Event>> ReadEvents(SqliteConnection& db, int64_t seq, int64_t max_events = -1);

// "trial 3", as messages name a trial.
std::string TrialName(int64_t seq);

}  // namespace hone
