// SQL building blocks shared by TrialQuery's .cc files: numbered bindings and the
// filter and sort expressions of the trial list. Internal to storage/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/trial_record.h"
#include "storage/sqlite_util.h"
#include "storage/trial_query.h"

namespace hone::sql {

// Statuses a tuner learns from (IsFinished), as an SQL condition on alias t.
inline constexpr std::string_view kFinishedStates =
    "t.status IN ('succeeded', 'failed', 'early_stopped', 'timeout')";

// SQL text with its numbered parameters (?1, ?2, ...), built up piece by piece.
struct BoundSql {
  std::string text;
  std::vector<std::variant<int64_t, double, std::string>> values;

  // Remembers `value` and returns its placeholder.
  std::string Add(std::variant<int64_t, double, std::string> value);
  void BindTo(Statement& stmt) const;
  // A statement of `text` (not cached) with the values bound.
  StatusOr<std::unique_ptr<Statement>> Prepare(sqlite3* db) const;
};

// `expr` is a finite number (NULL, NaN and +-Inf fail).
std::string FiniteCondition(const std::string& expr);
// The final value ("default") or a final-metric key, as an expression on alias t.
StatusOr<std::string> MetricExpression(const std::string& key, BoundSql* sql);
// The duration in seconds (up to `now` while running; NULL before the start).
std::string DurationExpression(double now, BoundSql* sql);

// Appends the filter's conditions (joined by AND) to sql->text.
Status AppendFilter(const TrialFilter& filter, double now, BoundSql* sql);
// The expression a sort orders by (its bindings go to *sql).
StatusOr<std::string> SortExpression(const TrialSort& sort, double now, BoundSql* sql);

// Where table trial_values (schema version 3) holds a sort's key, so that an index
// orders by it: source 0 = params, 1 = final_metrics; path as stored ('$.a.b').
struct ValueKey {
  int64_t source = 0;
  std::string path;
};
// The key of a sort by a parameter or a final-metric key (not "default": that is
// trials.final); none for the other sorts. InvalidArgument for a malformed path.
StatusOr<std::optional<ValueKey>> ValueKeyOf(const TrialSort& sort);

// The seqs of one page of trials that have a value under `key`, in value order (ties by
// seq, both in one direction), among the rows matching `where` (conditions on alias t;
// its bindings are kept). With no condition the index trial_values_order alone
// answers it.
BoundSql ValuePageSql(const BoundSql& where, const ValueKey& key, bool descending, int64_t limit, int64_t offset);
// How many trials matching `where` have a value under `key`.
BoundSql ValueCountSql(const BoundSql& where, const ValueKey& key);
// The seqs of one page of trials matching `where` that have no value under `key`, by seq.
BoundSql MissingValuePageSql(const BoundSql& where, const ValueKey& key, bool descending, int64_t limit,
                             int64_t offset);

}  // namespace hone::sql
