// TrialQuery: the read side the web UI needs over one experiment's database: paged,
// sorted and filtered trial lists, one trial with its results, live-update changes
// since a cursor, and aggregated series. Sorting, filtering and paging happen in SQL;
// nothing here loads every trial's metrics.
//
// Example:
//   auto q = TrialQuery::Open(dir + "/hone.db");
//   TrialSort sort{.kind = SortKind::kFinal, .descending = true};
//   auto page = (*q)->List(TrialFilter{}, sort, /*offset=*/0, /*limit=*/50, now);
//   for (const TrialSummary& t : page->trials) ...
//
// The connection is read-only (a database of an older schema is migrated once through
// a short read-write connection first). Not thread-safe: one thread at a time; keep a
// pool of them for concurrent readers. Each call reads one consistent snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/storage.h"
#include "core/trial_record.h"

namespace hone {

class SqliteConnection;
namespace sql {
struct BoundSql;
}

// A trial without its intermediate results, plus the latest of them.
struct TrialSummary {
  TrialRecord record;
  std::optional<IntermediateMetric> latest;  // highest step
  int64_t intermediate_count = 0;
};

enum class SortKind { kSeq, kStatus, kDuration, kCreated, kStarted, kEnded, kFinal, kMetric, kParam };

struct TrialSort {
  SortKind kind = SortKind::kSeq;
  std::string path;  // kMetric: final-metric key; kParam: dotted parameter path
  bool descending = false;
};

struct RangeFilter {
  enum class Kind { kParam, kMetric, kDuration };
  Kind kind = Kind::kParam;
  std::string path;  // metric "default" means the final value
  std::optional<double> min, max;  // inclusive; absent = open
};

struct EqualFilter {
  std::string path;   // dotted parameter path
  std::string value;  // matched as text, and as a number when it reads as one
};

struct TrialFilter {
  std::vector<TrialStatus> states;  // empty = all
  std::vector<RangeFilter> ranges;
  std::vector<EqualFilter> equals;
  std::string text;  // a seq when numeric, else a substring of params or reason
};

struct TrialPage {
  int64_t total = 0;  // rows matching the filter
  std::vector<TrialSummary> trials;
};

// Where live updates continue: the last trial change and the last metric row seen.
struct ChangeCursor {
  int64_t change_id = 0;
  int64_t metric_row = 0;
  std::string ToString() const;  // "<change_id>.<metric_row>"
  static std::optional<ChangeCursor> Parse(std::string_view text);
};

struct MetricPoint {
  int64_t seq = 0;
  int64_t step = 0;
  double value = 0;
};

struct Changes {
  ChangeCursor cursor;                // after what is returned here
  std::vector<TrialSummary> trials;   // inserted or changed, current state
  std::vector<MetricPoint> metrics;   // appended, in order
  bool more = false;                  // a limit cut the answer short
};

struct IntermediateResult {
  int64_t step = 0;
  double value = 0;  // NaN when the stored value is
  std::string raw;   // the whole report as JSON text
  double time = 0;
};

struct BestPoint {
  int64_t seq = 0;
  double ended = 0;
  double value = 0;
  double best = 0;
};

struct DurationHistogram {
  int64_t count = 0;
  double min = 0, max = 0;
  struct Bin {
    double lo = 0, hi = 0;
    int64_t count = 0;
  };
  std::vector<Bin> bins;
};

struct RankedLines {
  int64_t total = 0;  // trials with a finite value
  int64_t kept = 0;   // after the top-percent cut
  struct Line {
    int64_t seq = 0;
    double value = 0;
    nlohmann::json params;
  };
  std::vector<Line> lines;  // best first
};

class TrialQuery {
 public:
  static StatusOr<std::unique_ptr<TrialQuery>> Open(const std::string& path);
  TrialQuery(const TrialQuery&) = delete;
  TrialQuery& operator=(const TrialQuery&) = delete;
  ~TrialQuery();

  // A consistent snapshot across several calls: everything between Begin and End reads
  // the same database state. Calls outside one read their own snapshot each.
  Status BeginSnapshot();
  void EndSnapshot();

  std::optional<std::string> GetMeta(const std::string& key);
  // Trials per stored status word.
  StatusOr<std::map<std::string, int64_t>> CountByStatus();
  // Configurations created so far (max config_id + 1).
  StatusOr<int64_t> ConfigsCreated();
  // The best finished trial by the final value (finite values only), or none.
  StatusOr<std::optional<TrialSummary>> Best(OptimizeMode mode);

  // `limit` rows from `offset` of the trials matching `filter`, in `sort` order. Rows
  // without a sort value come last in both orders; ties break by seq in the sort's
  // direction (so the indexes on final and status serve the order). `now` measures
  // the duration of running trials. `known_total` skips counting the matches (a
  // caller's cached Count at the same change cursor).
  StatusOr<TrialPage> List(const TrialFilter& filter, const TrialSort& sort, int64_t offset,
                           int64_t limit, double now, std::optional<int64_t> known_total = std::nullopt);
  // Trials matching `filter`.
  StatusOr<int64_t> Count(const TrialFilter& filter, double now);
  StatusOr<std::optional<TrialSummary>> Get(int64_t seq);
  // Ordered by step; thinned evenly to at most `max_points` (the last kept). `total`
  // receives the number stored.
  StatusOr<std::vector<IntermediateResult>> Intermediate(int64_t seq, int64_t max_points, int64_t* total);
  StatusOr<std::vector<Event>> Events(int64_t seq, int64_t max_events);

  StatusOr<ChangeCursor> CurrentCursor();
  // Changes after `after`, at most `max_trials` distinct trials and `max_metrics` rows.
  StatusOr<Changes> ChangesSince(const ChangeCursor& after, int max_trials, int max_metrics);

  // "default" plus the final-report keys of the first and last `sample` trials that
  // have a final report.
  StatusOr<std::vector<std::string>> MetricKeys(int sample);
  // Improvement points of the best-so-far curve over finished trials in seq order;
  // `metric` is "default" or a final-metric key. `finished` counts the trials seen.
  StatusOr<std::vector<BestPoint>> BestCurve(const std::string& metric, OptimizeMode mode,
                                             int64_t* finished);
  // Durations of ended trials that started, in `bins` equal bins.
  StatusOr<DurationHistogram> Durations(int bins);
  // The best `top_percent` of finished trials with a finite `metric`, thinned by rank to
  // at most `max_lines`.
  StatusOr<RankedLines> TopLines(const std::string& metric, OptimizeMode mode, double top_percent,
                                 int max_lines);
  // Up to `limit` trials with seq > after_seq, in seq order (for streaming exports).
  StatusOr<std::vector<TrialRecord>> ScanTrials(int64_t after_seq, int limit);

 private:
  explicit TrialQuery(std::unique_ptr<SqliteConnection> db);
  StatusOr<std::vector<TrialSummary>> Summaries(const std::vector<int64_t>& seqs);
  StatusOr<TrialPage> ListInSnapshot(const TrialFilter& filter, const TrialSort& sort, int64_t offset, int64_t limit,
                                     double now, std::optional<int64_t> known_total);
  // The integer `count` (SQL and bindings) selects, remembered until a trial changes.
  StatusOr<int64_t> CachedCount(const sql::BoundSql& count);

  std::unique_ptr<SqliteConnection> db_;
  bool in_snapshot_ = false;
  // CachedCount's answers: query key -> (trial change id, count); at most 64.
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> counts_;
};

// `$."a"."b"` for the dotted path "a.b" (labels quoted, so '-' and digits are safe).
// InvalidArgument unless the path is 1..128 characters of [A-Za-z0-9_.-] without
// empty labels.
StatusOr<std::string> JsonPathOf(std::string_view dotted);

}  // namespace hone
