#include "storage/sqlite_storage.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class SqliteStorageTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = dir_ + "/experiments/abc/hone.db";
  }

  std::unique_ptr<SqliteStorage> OpenOrDie(OpenMode mode = OpenMode::kReadWriteCreate) {
    auto storage = SqliteStorage::Open(path_, mode);
    EXPECT_TRUE(storage.ok()) << storage.status().message();
    return storage.ok() ? std::move(*storage) : nullptr;
  }

  std::string path_;
};

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// json's operator== says NaN != NaN; here NaN matches NaN.
bool SameJson(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return SameDouble(a.get<double>(), b.get<double>());
    return a == b;  // a parsed 5 is unsigned where the original may be signed
  }
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !SameJson(it.value(), b.at(it.key()))) return false;
    return true;
  }
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!SameJson(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

void ExpectSameTrial(const TrialRecord& want, const TrialRecord& got) {
  EXPECT_EQ(want.seq, got.seq);
  EXPECT_EQ(want.config_id, got.config_id);
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.status, got.status);
  EXPECT_TRUE(SameJson(want.params, got.params)) << got.params.dump();
  ASSERT_EQ(want.final_value.has_value(), got.final_value.has_value());
  if (want.final_value) {
    EXPECT_TRUE(SameDouble(*want.final_value, *got.final_value)) << *got.final_value;
    EXPECT_EQ(std::signbit(*want.final_value), std::signbit(*got.final_value));
  }
  EXPECT_TRUE(SameJson(want.final_metrics, got.final_metrics)) << got.final_metrics.dump();
  EXPECT_EQ(want.created_at, got.created_at);
  EXPECT_EQ(want.started_at, got.started_at);
  EXPECT_EQ(want.ended_at, got.ended_at);
  EXPECT_EQ(want.exit_code, got.exit_code);
  EXPECT_EQ(want.reason, got.reason);
  ASSERT_EQ(want.intermediate.size(), got.intermediate.size());
  for (size_t i = 0; i < want.intermediate.size(); ++i) {
    EXPECT_EQ(want.intermediate[i].step, got.intermediate[i].step);
    EXPECT_TRUE(SameDouble(want.intermediate[i].value, got.intermediate[i].value)) << got.intermediate[i].value;
    EXPECT_EQ(std::signbit(want.intermediate[i].value), std::signbit(got.intermediate[i].value));
  }
}

TrialRecord MakeTrial(int64_t seq, TrialStatus status = TrialStatus::kRunning) {
  TrialRecord t;
  t.seq = seq;
  t.config_id = seq + 100;
  t.id = std::to_string(seq);
  t.status = status;
  t.params = {{"lr", 0.01 * (seq + 1)}, {"layers", seq % 4}};
  t.created_at = 1700000000.25 + seq;
  return t;
}

// Arbitrary bytes as stderr produces them: invalid UTF-8, a NUL, a lone continuation.
const std::string kRawBytes("exit code 3: \xff\xfe garbage\0after nul \x80 and \xc3", 40);

TEST_F(SqliteStorageTest, RoundTripsEveryTrialField) {
  TrialRecord t = MakeTrial(7, TrialStatus::kSucceeded);
  t.params = {{"lr", 0.001},
              {"name", "réseau ✓ 网络"},
              {"nested", {{"a", json::array({1, 2.5, "x", nullptr, true})}}},
              {"big", int64_t{1} << 62},
              {"odd/key~", kNaN},
              {"list", json::array({kInf, -kInf, 0.1})}};
  t.final_value = 0.93;
  t.final_metrics = {{"default", 0.93}, {"loss", kNaN}, {"curve", json::array({1.0, kInf, -kInf})},
                     {"label", "ünï"}};
  t.started_at = 1700000001.5;
  t.ended_at = 1700000002.75;
  t.exit_code = -9;
  t.reason = kRawBytes;
  t.intermediate = {{0, 0.5}, {1, kNaN}, {2, kInf}, {3, -kInf}, {4, 5e-324}};

  auto storage = OpenOrDie();
  ASSERT_TRUE(storage->InsertTrial(t).ok());
  ASSERT_TRUE(storage->Flush().ok());
  storage.reset();

  auto reader = OpenOrDie(OpenMode::kReadOnly);
  auto loaded = reader->LoadTrial(7);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded->has_value());
  ExpectSameTrial(t, **loaded);
  auto all = reader->LoadTrials(true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  ExpectSameTrial(t, all->front());
}

TEST_F(SqliteStorageTest, FinalValueRoundTripsNonFiniteAndAbsent) {
  const std::optional<double> finals[] = {std::nullopt, kNaN, kInf, -kInf, 0.0, -1.5, 1e308, 5e-324};
  auto storage = OpenOrDie();
  for (size_t i = 0; i < std::size(finals); ++i) {
    TrialRecord t = MakeTrial(static_cast<int64_t>(i), TrialStatus::kRunning);
    ASSERT_TRUE(storage->InsertTrial(t).ok());
    t.status = TrialStatus::kSucceeded;
    t.final_value = finals[i];
    if (finals[i]) t.final_metrics = {{"default", *finals[i]}};
    ASSERT_TRUE(storage->UpdateTrial(t).ok());
  }
  ASSERT_TRUE(storage->Flush().ok());
  auto trials = storage->LoadTrials(false);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), std::size(finals));
  for (size_t i = 0; i < std::size(finals); ++i) {
    const TrialRecord& got = (*trials)[i];
    ASSERT_EQ(got.final_value.has_value(), finals[i].has_value()) << i;
    if (!finals[i]) {
      EXPECT_TRUE(got.final_metrics.is_null());
      continue;
    }
    EXPECT_TRUE(SameDouble(*got.final_value, *finals[i])) << i << ": " << *got.final_value;
    EXPECT_TRUE(SameDouble(got.final_metrics["default"].get<double>(), *finals[i])) << i;
  }
}

TEST_F(SqliteStorageTest, IntermediateValuesRoundTripAndComeSortedByStep) {
  auto storage = OpenOrDie();
  ASSERT_TRUE(storage->InsertTrial(MakeTrial(0)).ok());
  ASSERT_TRUE(storage->InsertTrial(MakeTrial(1)).ok());
  ASSERT_TRUE(storage->AppendIntermediate(1, 3, -kInf, "@hone {\"value\": -Infinity}").ok());
  ASSERT_TRUE(storage->AppendIntermediate(0, 0, 1.0, "").ok());
  ASSERT_TRUE(storage->AppendIntermediate(1, 1, kNaN, kRawBytes).ok());
  ASSERT_TRUE(storage->AppendIntermediate(1, 2, kInf, "").ok());
  ASSERT_TRUE(storage->AppendIntermediate(1, 2, 0.25, "second report of step 2").ok());
  ASSERT_TRUE(storage->Flush().ok());

  auto trials = storage->LoadTrials(true);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 2u);
  ASSERT_EQ((*trials)[0].intermediate.size(), 1u);
  const auto& m = (*trials)[1].intermediate;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].step, 1);
  EXPECT_TRUE(std::isnan(m[0].value));
  EXPECT_EQ(m[1].step, 2);
  EXPECT_EQ(m[1].value, kInf);
  EXPECT_EQ(m[2].step, 2);
  EXPECT_EQ(m[2].value, 0.25);
  EXPECT_EQ(m[3].step, 3);
  EXPECT_EQ(m[3].value, -kInf);

  auto one = storage->LoadTrial(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  ExpectSameTrial((*trials)[1], **one);

  auto without = storage->LoadTrials(false);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE((*without)[1].intermediate.empty());
}

TEST_F(SqliteStorageTest, ArbitraryBytesInTextFieldsRoundTrip) {
  auto storage = OpenOrDie();
  ASSERT_TRUE(storage->PutMeta("config", kRawBytes).ok());
  ASSERT_TRUE(storage->PutMeta("status", "running").ok());
  ASSERT_TRUE(storage->PutMeta("status", "done").ok());
  ASSERT_TRUE(storage->AddEvent({12.5, 3, "trial_failed", kRawBytes}).ok());
  ASSERT_TRUE(storage->AddEvent({13.0, -1, "warning", "élan"}).ok());
  ASSERT_TRUE(storage->AddEvent({14.0, 3, "trial_ended", "second"}).ok());
  ASSERT_TRUE(storage->Flush().ok());

  EXPECT_EQ(storage->GetMeta("config"), kRawBytes);
  EXPECT_EQ(storage->GetMeta("status"), "done");
  EXPECT_EQ(storage->GetMeta("missing"), std::nullopt);

  auto events = storage->LoadEvents(3);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].time, 12.5);
  EXPECT_EQ((*events)[0].seq, 3);
  EXPECT_EQ((*events)[0].kind, "trial_failed");
  EXPECT_EQ((*events)[0].detail, kRawBytes);
  EXPECT_EQ((*events)[1].detail, "second");
  auto experiment_events = storage->LoadEvents(-1);
  ASSERT_TRUE(experiment_events.ok());
  ASSERT_EQ(experiment_events->size(), 1u);
  EXPECT_EQ((*experiment_events)[0].detail, "élan");
}

TEST_F(SqliteStorageTest, InvalidUtf8InsideJsonIsReplacedNotThrown) {
  auto storage = OpenOrDie();
  TrialRecord t = MakeTrial(0, TrialStatus::kRunning);
  t.params = {{"path", std::string("bad \xff byte")}};
  ASSERT_TRUE(storage->InsertTrial(t).ok());
  t.status = TrialStatus::kFailed;
  t.final_metrics = {{std::string("k\xfe"), std::string("\xc3")}};
  ASSERT_TRUE(storage->UpdateTrial(t).ok());
  ASSERT_TRUE(storage->PushCommand(CommandKind::kAddTrial, {{"text", std::string("\xff")}}).ok());
  auto loaded = storage->LoadTrial(0);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((**loaded).params["path"], "bad \xEF\xBF\xBD byte");
  EXPECT_EQ((**loaded).final_metrics["k\xEF\xBF\xBD"], "\xEF\xBF\xBD");
}

TEST_F(SqliteStorageTest, WritesAreInvisibleToOtherConnectionsUntilFlush) {
  auto writer = OpenOrDie();
  auto reader = OpenOrDie(OpenMode::kReadOnly);
  ASSERT_TRUE(writer->InsertTrial(MakeTrial(0)).ok());
  ASSERT_TRUE(writer->AppendIntermediate(0, 1, 0.5, "").ok());
  ASSERT_TRUE(writer->PutMeta("status", "running").ok());
  EXPECT_TRUE(writer->in_batch());

  auto before = reader->LoadTrials(true);
  ASSERT_TRUE(before.ok()) << before.status().message();
  EXPECT_TRUE(before->empty());
  EXPECT_EQ(reader->GetMeta("status"), std::nullopt);
  auto own = writer->LoadTrials(true);  // the writer sees its own batch
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->size(), 1u);

  ASSERT_TRUE(writer->Flush().ok());
  EXPECT_FALSE(writer->in_batch());
  auto after = reader->LoadTrials(true);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().intermediate.size(), 1u);
  EXPECT_EQ(reader->GetMeta("status"), "running");
}

TEST_F(SqliteStorageTest, DestructorFlushesThePendingBatch) {
  {
    auto writer = OpenOrDie();
    ASSERT_TRUE(writer->InsertTrial(MakeTrial(0)).ok());
  }
  auto reader = OpenOrDie(OpenMode::kReadOnly);
  auto trials = reader->LoadTrials(false);
  ASSERT_TRUE(trials.ok());
  EXPECT_EQ(trials->size(), 1u);
}

TEST_F(SqliteStorageTest, RefusesToRewriteATerminalTrial) {
  auto storage = OpenOrDie();
  TrialRecord t = MakeTrial(4, TrialStatus::kWaiting);
  ASSERT_TRUE(storage->InsertTrial(t).ok());
  t.status = TrialStatus::kRunning;
  t.started_at = 5;
  ASSERT_TRUE(storage->UpdateTrial(t).ok());
  t.status = TrialStatus::kSucceeded;
  t.final_value = 0.8;
  t.ended_at = 9;
  ASSERT_TRUE(storage->UpdateTrial(t).ok());
  ASSERT_TRUE(storage->Flush().ok());

  TrialRecord rewrite = t;
  rewrite.status = TrialStatus::kFailed;
  rewrite.final_value = 0.1;
  rewrite.reason = "late";
  Status refused = storage->UpdateTrial(rewrite);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.message();
  EXPECT_NE(refused.message().find("already succeeded"), std::string::npos) << refused.message();
  rewrite.status = TrialStatus::kRunning;  // not even back to a live status
  EXPECT_EQ(storage->UpdateTrial(rewrite).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(storage->Flush().ok());

  auto stored = storage->LoadTrial(4);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((**stored).status, TrialStatus::kSucceeded);
  EXPECT_EQ((**stored).final_value, 0.8);
  EXPECT_EQ((**stored).reason, "");
  EXPECT_EQ((**stored).started_at, 5);
  EXPECT_EQ((**stored).ended_at, 9);

  TrialRecord unknown = MakeTrial(99);
  EXPECT_EQ(storage->UpdateTrial(unknown).code(), StatusCode::kNotFound);
}

TEST_F(SqliteStorageTest, DuplicateSeqIsAlreadyExistsAndKeepsTheBatch) {
  auto storage = OpenOrDie();
  ASSERT_TRUE(storage->InsertTrial(MakeTrial(0)).ok());
  ASSERT_TRUE(storage->InsertTrial(MakeTrial(1)).ok());
  Status dup = storage->InsertTrial(MakeTrial(1));
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.message();
  EXPECT_TRUE(storage->in_batch());
  ASSERT_TRUE(storage->Flush().ok());
  auto reader = OpenOrDie(OpenMode::kReadOnly);
  auto trials = reader->LoadTrials(false);
  ASSERT_TRUE(trials.ok());
  EXPECT_EQ(trials->size(), 2u);
  EXPECT_EQ(trials->back().config_id, 101);
}

TEST_F(SqliteStorageTest, ReadOnlyStorageRefusesWrites) {
  OpenOrDie();  // create the file
  auto reader = OpenOrDie(OpenMode::kReadOnly);
  EXPECT_EQ(reader->InsertTrial(MakeTrial(0)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->PutMeta("k", "v").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->PushCommand(CommandKind::kStop, json::object()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->TakeCommands().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(reader->Flush().ok());
}

TEST_F(SqliteStorageTest, OpeningAMissingFileWithoutCreateIsNotFound) {
  EXPECT_EQ(SqliteStorage::Open(path_, OpenMode::kReadOnly).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SqliteStorage::Open(path_, OpenMode::kReadWrite).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteStorageTest, OpeningAFileThatIsNotADatabaseIsAnError) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  FILE* f = fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is a text file, not SQLite, and it is long enough to have a header ......", f);
  fclose(f);
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadWrite);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), StatusCode::kIo) << storage.status().message();
}

TEST_F(SqliteStorageTest, CommandsPushedByAnotherInstanceAreTakenOnce) {
  auto manager = OpenOrDie();
  auto cli = OpenOrDie(OpenMode::kReadWrite);
  auto none = manager->TakeCommands();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(manager->in_batch());  // an empty queue takes no lock

  ASSERT_TRUE(cli->PushCommand(CommandKind::kKillTrial, {{"seq", 3}}).ok());
  ASSERT_TRUE(cli->PushCommand(CommandKind::kStop, json::object()).ok());
  EXPECT_FALSE(cli->in_batch());  // committed on return

  auto taken = manager->TakeCommands();
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].kind, CommandKind::kKillTrial);
  EXPECT_EQ((*taken)[0].name, "kill_trial");
  EXPECT_EQ((*taken)[0].args, json({{"seq", 3}}));
  EXPECT_EQ((*taken)[1].kind, CommandKind::kStop);
  EXPECT_LT((*taken)[0].id, (*taken)[1].id);
  auto again = manager->TakeCommands();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  ASSERT_TRUE(manager->Flush().ok());

  auto other_manager = OpenOrDie(OpenMode::kReadWrite);
  auto elsewhere = other_manager->TakeCommands();
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(elsewhere->empty());

  ASSERT_TRUE(cli->PushCommand(CommandKind::kStop, json::object()).ok());
  auto later = manager->TakeCommands();
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_GT(later->front().id, (*taken)[1].id);  // ids are never reused
}

TEST_F(SqliteStorageTest, CommandsTakenButNeverFlushedAreTakenAgain) {
  {
    auto cli = OpenOrDie();
    ASSERT_TRUE(cli->PushCommand(CommandKind::kStop, json::object()).ok());
  }
  // A manager that takes the command and dies before its Flush.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto manager = SqliteStorage::Open(path_, OpenMode::kReadWrite);
    if (!manager.ok()) _exit(2);
    auto taken = (*manager)->TakeCommands();
    if (!taken.ok() || taken->size() != 1) _exit(3);
    _exit(0);  // no destructor: the batch is never committed
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);

  auto manager = OpenOrDie(OpenMode::kReadWrite);
  auto taken = manager->TakeCommands();
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(taken->front().kind, CommandKind::kStop);
}

TEST_F(SqliteStorageTest, PushCommandInsideABatchJoinsIt) {
  auto manager = OpenOrDie();
  auto reader = OpenOrDie(OpenMode::kReadWrite);
  ASSERT_TRUE(manager->InsertTrial(MakeTrial(0)).ok());
  ASSERT_TRUE(manager->PushCommand(CommandKind::kStop, json::object()).ok());
  EXPECT_TRUE(manager->in_batch());
  ASSERT_TRUE(manager->Flush().ok());
  auto taken = reader->TakeCommands();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 1u);
}

TEST_F(SqliteStorageTest, ReadOnlyOpenOfACleanlyClosedDatabaseWorks) {
  {
    auto writer = OpenOrDie();
    ASSERT_TRUE(writer->InsertTrial(MakeTrial(0)).ok());
  }
  // The last close checkpoints and removes -wal and -shm; a reader must cope.
  auto reader = OpenOrDie(OpenMode::kReadOnly);
  auto trials = reader->LoadTrials(false);
  ASSERT_TRUE(trials.ok()) << trials.status().message();
  EXPECT_EQ(trials->size(), 1u);
}

TEST_F(SqliteStorageTest, LoadsManyTrialsWithTheirMetrics) {
  constexpr int kTrials = 2000;
  auto storage = OpenOrDie();
  for (int i = 0; i < kTrials; ++i) ASSERT_TRUE(storage->InsertTrial(MakeTrial(i)).ok());
  // Interleaved as concurrent trials report them.
  for (int step = 0; step < 5; ++step)
    for (int i = 0; i < kTrials; ++i)
      ASSERT_TRUE(storage->AppendIntermediate(i, step, i + step * 0.1, "").ok());
  ASSERT_TRUE(storage->Flush().ok());
  auto trials = storage->LoadTrials(true);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), static_cast<size_t>(kTrials));
  for (int i = 0; i < kTrials; ++i) {
    const TrialRecord& t = (*trials)[i];
    ASSERT_EQ(t.seq, i);
    ASSERT_EQ(t.intermediate.size(), 5u);
    for (int step = 0; step < 5; ++step) {
      EXPECT_EQ(t.intermediate[step].step, step);
      EXPECT_EQ(t.intermediate[step].value, i + step * 0.1);
    }
  }
}

}  // namespace
}  // namespace hone
