// Sorting the trial list by a parameter or a final-metric key goes through the indexed
// table trial_values (schema version 3). These tests hold it to the order a plain
// json_extract in ORDER BY gives (rows without a value last, ties by seq in the sort's
// direction), check that the triggers follow updates, that an older database is
// filled by the migration, and that SQLite answers the page from the index.
#include <filesystem>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"
#include "storage/trial_query.h"
#include "storage/trial_query_sql.h"
#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

using nlohmann::json;

class TrialQuerySortTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = dir_ + "/hone.db";
  }

  // 60 trials. lr repeats (ties); opt is a nested choice (momentum only for sgd); mix
  // holds numbers, text, booleans, null, arrays and objects; "a-b" needs quoting; some
  // trials lack keys, have no final report or a NaN loss; the last ones still run.
  void Fill(int n = 60) {
    auto storage = SqliteStorage::Open(path_, OpenMode::kReadWriteCreate);
    ASSERT_TRUE(storage.ok()) << storage.status().message();
    for (int i = 0; i < n; ++i) {
      TrialRecord t;
      t.seq = i;
      t.config_id = i;
      t.id = std::to_string(i);
      t.status = i >= n - 3 ? TrialStatus::kRunning : i % 7 == 3 ? TrialStatus::kFailed : TrialStatus::kSucceeded;
      t.params = {{"x", (i * 37 % 60) / 60.0}, {"lr", std::vector<double>{0.1, 0.01, 0.001}[i % 3]}};
      if (i % 2 == 0) t.params["opt"] = {{"_name", "sgd"}, {"momentum", (i % 5) * 0.1}};
      else t.params["opt"] = {{"_name", "adam"}};
      if (i % 11 == 5) t.params.erase("lr");
      switch (i % 8) {
        case 0: t.params["mix"] = i; break;
        case 1: t.params["mix"] = "t" + std::to_string(i % 3); break;
        case 2: t.params["mix"] = i % 4 == 2; break;
        case 3: t.params["mix"] = nullptr; break;
        case 4: t.params["mix"] = json::array({i % 3, 1}); break;
        case 5: t.params["mix"] = {{"k", i % 2}}; break;
        case 6: t.params["mix"] = 0.5; break;
        default: break;  // absent
      }
      t.params["a-b"] = (i * 13) % 9;
      t.params["x.y"] = i;  // a key with a dot: no dotted path reaches it
      if (t.status == TrialStatus::kSucceeded) {
        const double x = t.params["x"].get<double>();
        t.final_value = x;
        t.final_metrics = {{"default", x}, {"loss", i % 10 == 4 ? json(nullptr) : json((i * 7) % 5)}};
      }
      t.created_at = 1000 + i;
      t.started_at = 1000 + i;
      ASSERT_TRUE((*storage)->InsertTrial(t).ok());
    }
    ASSERT_TRUE((*storage)->Flush().ok());
  }

  std::unique_ptr<TrialQuery> Query() {
    auto q = TrialQuery::Open(path_);
    EXPECT_TRUE(q.ok()) << q.status().message();
    return q.ok() ? std::move(*q) : nullptr;
  }

  // The order by json_extract in ORDER BY, straight from SQLite: the reference.
  std::vector<int64_t> Reference(const std::string& column, const std::string& dotted, const std::string& where,
                                 bool descending, int64_t offset, int64_t limit) {
    auto path = JsonPathOf(dotted);
    EXPECT_TRUE(path.ok());
    return ReferenceBy("json_extract(t." + column + ", '" + *path + "')", where, descending, offset, limit);
  }
  // Rows with a value of `expr` first, by it, then the rest; ties by seq (one direction).
  std::vector<int64_t> ReferenceBy(const std::string& expr, const std::string& where, bool descending,
                                   int64_t offset, int64_t limit) {
    if (!reference_db_) {
      auto db = OpenSqlite(path_, OpenMode::kReadOnly);
      EXPECT_TRUE(db.ok());
      if (!db.ok()) return {};
      reference_db_ = std::move(*db);
    }
    const std::string dir = descending ? " DESC" : " ASC";
    auto stmt = Statement::Prepare(reference_db_.get(), "SELECT t.seq FROM trials t" + (where.empty() ? "" : " WHERE " + where) +
                                                  " ORDER BY (" + expr + " IS NULL), " + expr + dir + ", t.seq" +
                                                  dir + " LIMIT " + std::to_string(limit) + " OFFSET " +
                                                  std::to_string(offset));
    EXPECT_TRUE(stmt.ok()) << stmt.status().message();
    std::vector<int64_t> seqs;
    while (true) {
      auto row = (*stmt)->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      seqs.push_back((*stmt)->ColumnInt(0));
    }
    return seqs;
  }

  static std::vector<int64_t> Seqs(const TrialPage& page) {
    std::vector<int64_t> seqs;
    for (const auto& t : page.trials) seqs.push_back(t.record.seq);
    return seqs;
  }

  std::string path_;
  SqliteHandle reference_db_;  // opened after the trials are written
};

struct FilterCase {
  TrialFilter filter;
  std::string where;  // the same filter in SQL, for the reference
};

std::vector<FilterCase> Filters() {
  std::vector<FilterCase> cases;
  cases.push_back({TrialFilter{}, ""});
  TrialFilter succeeded;
  succeeded.states = {TrialStatus::kSucceeded};
  cases.push_back({succeeded, "t.status = 'succeeded'"});
  TrialFilter running;
  running.states = {TrialStatus::kRunning};
  cases.push_back({running, "t.status = 'running'"});
  TrialFilter range;
  range.ranges.push_back(RangeFilter{RangeFilter::Kind::kParam, "x", 0.2, 0.7});
  cases.push_back({range, "json_extract(t.params, '$.x') BETWEEN 0.2 AND 0.7"});
  return cases;
}

TEST_F(TrialQuerySortTest, ParameterAndMetricSortsMatchJsonExtractOrder) {
  Fill();
  auto q = Query();
  ASSERT_NE(q, nullptr);
  const std::vector<std::pair<SortKind, std::string>> sorts = {
      {SortKind::kParam, "lr"},  {SortKind::kParam, "opt.momentum"}, {SortKind::kParam, "opt._name"},
      {SortKind::kParam, "mix"}, {SortKind::kParam, "a-b"},          {SortKind::kParam, "opt"},
      {SortKind::kParam, "x.y"}, {SortKind::kParam, "absent"},       {SortKind::kMetric, "loss"},
      {SortKind::kMetric, "default"}};
  int checked = 0;
  for (const auto& fc : Filters()) {
    auto total = q->Count(fc.filter, 2000);
    ASSERT_TRUE(total.ok());
    for (const auto& [kind, key] : sorts) {
      for (bool desc : {false, true}) {
        for (int64_t limit : {1, 7, 50}) {
          for (int64_t offset : {0, 3, 20, 44, 52, 59}) {
            TrialSort sort{.kind = kind, .path = key, .descending = desc};
            // known_total exercises the path where List does not count.
            for (std::optional<int64_t> known : {std::optional<int64_t>(), std::optional<int64_t>(*total)}) {
              auto page = q->List(fc.filter, sort, offset, limit, 2000, known);
              ASSERT_TRUE(page.ok()) << page.status().message();
              const std::string column = kind == SortKind::kParam ? "params" : "final_metrics";
              EXPECT_EQ(Seqs(*page), Reference(column, key, fc.where, desc, offset, limit))
                  << key << (desc ? " desc" : " asc") << " where '" << fc.where << "' offset " << offset
                  << " limit " << limit;
              EXPECT_EQ(page->total, *total);
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST_F(TrialQuerySortTest, UpdatesOfAFinalReportMoveTheTrial) {
  Fill(10);
  {
    auto storage = SqliteStorage::Open(path_, OpenMode::kReadWrite);
    ASSERT_TRUE(storage.ok());
    auto t = (*storage)->LoadTrial(8);  // running, no final report yet
    ASSERT_TRUE(t.ok() && t->has_value());
    TrialRecord r = **t;
    r.status = TrialStatus::kSucceeded;
    r.final_value = 0.5;
    r.final_metrics = {{"default", 0.5}, {"loss", -100}};
    r.ended_at = 2000;
    ASSERT_TRUE((*storage)->UpdateTrial(r).ok());
    ASSERT_TRUE((*storage)->Flush().ok());
  }
  auto q = Query();
  ASSERT_NE(q, nullptr);
  auto page = q->List(TrialFilter{}, TrialSort{.kind = SortKind::kMetric, .path = "loss"}, 0, 3, 3000);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_FALSE(page->trials.empty());
  EXPECT_EQ(page->trials[0].record.seq, 8);
  EXPECT_EQ(Seqs(*page), Reference("final_metrics", "loss", "", false, 0, 3));
}

TEST_F(TrialQuerySortTest, AnOlderDatabaseIsFilledByTheMigration) {
  Fill();
  // As a hone of schema version 2 left it.
  testing::DowngradeExperimentDb(path_, 2);
  auto q = Query();  // migrates through a read-write open
  ASSERT_NE(q, nullptr);
  for (bool desc : {false, true}) {
    auto page = q->List(TrialFilter{}, TrialSort{.kind = SortKind::kParam, .path = "lr", .descending = desc}, 10, 30,
                        2000);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_EQ(Seqs(*page), Reference("params", "lr", "", desc, 10, 30));
  }
}

// Pages from offset 1000 on may be read from the far end of the order, with the number
// of rows that have a value counted once per state of the trials.
TEST_F(TrialQuerySortTest, DeepPagesMatchTheReferenceAlsoAfterAChange) {
  const int n = 1100;
  Fill(n);
  auto q = Query();
  ASSERT_NE(q, nullptr);
  const std::vector<std::tuple<SortKind, std::string, std::string>> sorts = {
      {SortKind::kFinal, "", "t.final"},
      {SortKind::kSeq, "", "t.seq"},
      {SortKind::kStatus, "", "t.status"},
      {SortKind::kCreated, "", "t.created_at"},
      {SortKind::kEnded, "", "NULLIF(t.ended_at, 0)"},
      {SortKind::kParam, "lr", "json_extract(t.params, '$.\"lr\"')"},
      {SortKind::kParam, "opt.momentum", "json_extract(t.params, '$.\"opt\".\"momentum\"')"},
      {SortKind::kMetric, "loss", "json_extract(t.final_metrics, '$.\"loss\"')"}};
  auto check = [&](const std::string& when) {
    for (const auto& fc : Filters()) {
      for (const auto& [kind, key, expr] : sorts) {
        for (bool desc : {false, true}) {
          for (int64_t offset : {0, 999, 1000, 1030, 1049, 1060, 1098, 1100}) {
            TrialSort sort{.kind = kind, .path = key, .descending = desc};
            auto page = q->List(fc.filter, sort, offset, 50, 2000);
            ASSERT_TRUE(page.ok()) << page.status().message();
            EXPECT_EQ(Seqs(*page), ReferenceBy(expr, fc.where, desc, offset, 50))
                << when << ": " << expr << (desc ? " desc" : " asc") << " where '" << fc.where << "' offset "
                << offset;
          }
        }
      }
    }
  };
  check("as written");
  {
    // Trials gain and lose values: the remembered counts must not be used any more.
    auto storage = SqliteStorage::Open(path_, OpenMode::kReadWrite);
    ASSERT_TRUE(storage.ok());
    for (int64_t seq : {n - 3, n - 2}) {
      auto t = (*storage)->LoadTrial(seq);
      ASSERT_TRUE(t.ok() && t->has_value());
      TrialRecord r = **t;
      r.status = TrialStatus::kSucceeded;
      r.final_value = 0.25;
      r.final_metrics = {{"default", 0.25}, {"loss", 3}};
      r.ended_at = 5000;
      ASSERT_TRUE((*storage)->UpdateTrial(r).ok());
    }
    TrialRecord extra;
    extra.seq = n;
    extra.config_id = n;
    extra.id = std::to_string(n);
    extra.status = TrialStatus::kRunning;
    extra.params = {{"x", 0.5}, {"lr", 0.01}};
    extra.created_at = 5000;
    ASSERT_TRUE((*storage)->InsertTrial(extra).ok());
    ASSERT_TRUE((*storage)->Flush().ok());
  }
  check("after a change");
}

// The query plan's detail lines for `sql`.
std::vector<std::string> Plan(sqlite3* db, const sql::BoundSql& sql) {
  auto stmt = Statement::Prepare(db, "EXPLAIN QUERY PLAN " + sql.text);
  EXPECT_TRUE(stmt.ok()) << stmt.status().message();
  if (!stmt.ok()) return {};
  sql.BindTo(**stmt);
  std::vector<std::string> lines;
  while (true) {
    auto row = (*stmt)->Step();
    EXPECT_TRUE(row.ok());
    if (!row.ok() || !*row) break;
    lines.push_back((*stmt)->ColumnText(3));
  }
  return lines;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST_F(TrialQuerySortTest, APageBySortKeyIsReadFromAnIndex) {
  Fill();
  auto db = OpenSqlite(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(db.ok());
  sql::BoundSql no_filter;
  sql::BoundSql succeeded;
  TrialFilter f;
  f.states = {TrialStatus::kSucceeded};
  ASSERT_TRUE(sql::AppendFilter(f, 2000, &succeeded).ok());
  for (const sql::BoundSql* where : {&no_filter, &succeeded}) {
    for (bool desc : {false, true}) {
      for (auto [kind, key] : {std::pair{SortKind::kParam, "lr"}, std::pair{SortKind::kMetric, "loss"}}) {
        auto value_key = sql::ValueKeyOf(TrialSort{.kind = kind, .path = key});
        ASSERT_TRUE(value_key.ok() && value_key->has_value());
        std::string plan = Joined(Plan(db->get(), sql::ValuePageSql(*where, **value_key, desc, 50, 99000)));
        EXPECT_NE(plan.find("USING COVERING INDEX trial_values_order"), std::string::npos) << plan;
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;  // no sort step
        EXPECT_EQ(plan.find("SCAN t"), std::string::npos) << plan;        // no pass over trials
        plan = Joined(Plan(db->get(), sql::ValueCountSql(*where, **value_key)));
        EXPECT_NE(plan.find("trial_values_order"), std::string::npos) << plan;
      }
    }
  }
  // Without the filter the index alone answers: trials is not read at all.
  auto lr = sql::ValueKeyOf(TrialSort{.kind = SortKind::kParam, .path = "lr"});
  ASSERT_TRUE(lr.ok() && lr->has_value());
  auto plan = Plan(db->get(), sql::ValuePageSql(no_filter, **lr, true, 50, 0));
  ASSERT_EQ(plan.size(), 1u) << Joined(plan);
  EXPECT_NE(plan[0].find("SEARCH v USING COVERING INDEX trial_values_order"), std::string::npos) << plan[0];
}

TEST_F(TrialQuerySortTest, MalformedSortPathsAreRejected) {
  Fill(3);
  auto q = Query();
  ASSERT_NE(q, nullptr);
  for (const char* bad : {"", "a..b", "a'b", "a\"b", "a b"}) {
    auto page = q->List(TrialFilter{}, TrialSort{.kind = SortKind::kParam, .path = bad}, 0, 10, 0);
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << bad;
    page = q->List(TrialFilter{}, TrialSort{.kind = SortKind::kMetric, .path = bad}, 0, 10, 0);
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace hone
