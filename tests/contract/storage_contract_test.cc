// The Storage contract (core/storage.h), run over every Storage implementation: a new
// backend is covered by adding it to Backends().
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/storage.h"
#include "storage/sqlite_storage.h"
#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

using nlohmann::json;

struct Backend {
  std::string name;
  // The storage of one experiment whose files (if any) live under `dir`.
  std::function<StatusOr<std::unique_ptr<Storage>>(const std::string& dir)> open;
  // Another process's view of the same experiment (read-only), or null where no other
  // connection can reach the data (an in-memory database).
  std::function<StatusOr<std::unique_ptr<Storage>>(const std::string& dir)> open_reader;
  // Queues a command by a name this hone does not know, as a newer hone would.
  std::function<Status(Storage& storage, const std::string& name)> push_unknown;
};

template <typename T>
StatusOr<std::unique_ptr<Storage>> Upcast(StatusOr<std::unique_ptr<T>> opened) {
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<Storage>(std::move(*opened));
}

Status PushUnknownSqlite(Storage& storage, const std::string& name) {
  return static_cast<SqliteStorage&>(storage).PushCommandNamed(name, json::object());
}

std::vector<Backend> Backends() {
  return {
      {"SqliteFile",
       [](const std::string& dir) { return Upcast(SqliteStorage::Open(dir + "/hone.db", OpenMode::kReadWriteCreate)); },
       [](const std::string& dir) { return Upcast(SqliteStorage::Open(dir + "/hone.db", OpenMode::kReadOnly)); },
       PushUnknownSqlite},
      {"SqliteInMemory",
       [](const std::string&) { return Upcast(SqliteStorage::Open(kInMemoryPath, OpenMode::kReadWriteCreate)); },
       nullptr, PushUnknownSqlite},
  };
}

class StorageContractTest : public testing::TempDirTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    storage_ = std::move(*opened);
  }
  void TearDown() override {
    storage_.reset();
    TempDirTest::TearDown();
  }

  std::unique_ptr<Storage> Reader() {
    auto opened = GetParam().open_reader(dir_);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static TrialRecord Trial(int64_t seq, TrialStatus status = TrialStatus::kWaiting) {
    TrialRecord t;
    t.seq = seq;
    t.config_id = seq;
    t.id = std::to_string(seq);
    t.status = status;
    t.params = {{"x", 0.25 * static_cast<double>(seq)}};
    t.created_at = 100 + static_cast<double>(seq);
    return t;
  }

  std::vector<TrialRecord> Load(bool with_intermediate) {
    auto trials = storage_->LoadTrials(with_intermediate);
    EXPECT_TRUE(trials.ok()) << trials.status().message();
    return trials.ok() ? std::move(*trials) : std::vector<TrialRecord>();
  }

  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageContractTest, ASecondTrialWithTheSameSeqIsRefused) {
  ASSERT_TRUE(storage_->InsertTrial(Trial(1)).ok());
  TrialRecord again = Trial(1);
  again.params = {{"x", 99}};
  EXPECT_EQ(storage_->InsertTrial(again).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(storage_->Flush().ok());
  auto trials = Load(false);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].params, Trial(1).params);
}

TEST_P(StorageContractTest, ATerminalTrialIsNeverRewritten) {
  TrialRecord t = Trial(2, TrialStatus::kRunning);
  ASSERT_TRUE(storage_->InsertTrial(t).ok());
  t.status = TrialStatus::kSucceeded;
  t.final_value = 0.5;
  t.final_metrics = {{"default", 0.5}};
  t.ended_at = 200;
  ASSERT_TRUE(storage_->UpdateTrial(t).ok());
  TrialRecord later = t;
  later.status = TrialStatus::kFailed;
  later.final_value = 0.1;
  later.reason = "rewritten";
  EXPECT_EQ(storage_->UpdateTrial(later).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(storage_->Flush().ok());
  auto loaded = storage_->LoadTrial(2);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->status, TrialStatus::kSucceeded);
  EXPECT_EQ((*loaded)->final_value, 0.5);
  EXPECT_EQ((*loaded)->reason, "");
}

TEST_P(StorageContractTest, UpdatingAnUnknownTrialFails) {
  EXPECT_FALSE(storage_->UpdateTrial(Trial(7, TrialStatus::kRunning)).ok());
}

TEST_P(StorageContractTest, LiveTrialsRoundTripEveryUpdatedField) {
  TrialRecord t = Trial(3);
  ASSERT_TRUE(storage_->InsertTrial(t).ok());
  t.status = TrialStatus::kRunning;
  t.started_at = 150.5;
  t.pid = 4242;
  ASSERT_TRUE(storage_->UpdateTrial(t).ok());
  t.status = TrialStatus::kTimeout;
  t.ended_at = 170.25;
  t.exit_code = -9;
  t.reason = "ran past maxTrialDuration";
  t.final_value = -std::numeric_limits<double>::infinity();
  t.final_metrics = {{"default", -std::numeric_limits<double>::infinity()}, {"loss", 2}};
  ASSERT_TRUE(storage_->UpdateTrial(t).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  auto loaded = storage_->LoadTrial(3);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().message();
  const TrialRecord& back = **loaded;
  EXPECT_EQ(back.id, "3");
  EXPECT_EQ(back.config_id, 3);
  EXPECT_EQ(back.status, TrialStatus::kTimeout);
  EXPECT_EQ(back.params, t.params);
  EXPECT_EQ(back.created_at, 103);
  EXPECT_EQ(back.started_at, 150.5);
  EXPECT_EQ(back.ended_at, 170.25);
  EXPECT_EQ(back.exit_code, -9);
  EXPECT_EQ(back.reason, "ran past maxTrialDuration");
  ASSERT_TRUE(back.final_value.has_value());
  EXPECT_EQ(*back.final_value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.final_metrics["loss"], 2);
}

TEST_P(StorageContractTest, ThePidRoundTripsAndOutlivesTheEnd) {
  TrialRecord t = Trial(4);
  ASSERT_TRUE(storage_->InsertTrial(t).ok());
  t.status = TrialStatus::kRunning;
  t.pid = 31337;
  ASSERT_TRUE(storage_->UpdateTrial(t).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  auto running = storage_->LoadTrial(4);
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->pid, 31337);
  t.status = TrialStatus::kSucceeded;
  ASSERT_TRUE(storage_->UpdateTrial(t).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  auto trials = Load(false);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].pid, 31337);
  TrialRecord fresh = Trial(5);
  fresh.pid = 77;  // a pid given at insert is kept too
  ASSERT_TRUE(storage_->InsertTrial(fresh).ok());
  auto inserted = storage_->LoadTrial(5);
  ASSERT_TRUE(inserted.ok() && inserted->has_value());
  EXPECT_EQ((*inserted)->pid, 77);
}

TEST_P(StorageContractTest, TrialsComeOrderedBySeqWithIntermediatesOnlyWhenAsked) {
  for (int64_t seq : {5, 1, 3}) ASSERT_TRUE(storage_->InsertTrial(Trial(seq, TrialStatus::kRunning)).ok());
  // Steps out of order, and two reports of step 1: ordered by step, then report order.
  ASSERT_TRUE(storage_->AppendIntermediate(3, 2, 0.2, "{}").ok());
  ASSERT_TRUE(storage_->AppendIntermediate(3, 1, 0.11, "{}").ok());
  ASSERT_TRUE(storage_->AppendIntermediate(3, 1, 0.12, "{}").ok());
  ASSERT_TRUE(storage_->AppendIntermediate(1, 0, std::nan(""), "{}").ok());
  ASSERT_TRUE(storage_->Flush().ok());

  auto without = Load(false);
  ASSERT_EQ(without.size(), 3u);
  EXPECT_EQ(without[0].seq, 1);
  EXPECT_EQ(without[1].seq, 3);
  EXPECT_EQ(without[2].seq, 5);
  for (const auto& t : without) EXPECT_TRUE(t.intermediate.empty()) << "trial " << t.seq;

  auto with = Load(true);
  ASSERT_EQ(with.size(), 3u);
  ASSERT_EQ(with[1].intermediate.size(), 3u);
  EXPECT_EQ(with[1].intermediate[0].step, 1);
  EXPECT_EQ(with[1].intermediate[0].value, 0.11);
  EXPECT_EQ(with[1].intermediate[1].value, 0.12);
  EXPECT_EQ(with[1].intermediate[2].step, 2);
  ASSERT_EQ(with[0].intermediate.size(), 1u);
  EXPECT_TRUE(std::isnan(with[0].intermediate[0].value));
  EXPECT_TRUE(with[2].intermediate.empty());

  auto one = storage_->LoadTrial(3);
  ASSERT_TRUE(one.ok() && one->has_value());
  ASSERT_EQ((*one)->intermediate.size(), 3u);
  EXPECT_EQ((*one)->intermediate[2].value, 0.2);
  auto missing = storage_->LoadTrial(42);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StorageContractTest, EventsComePerTrialOldestFirst) {
  ASSERT_TRUE(storage_->AddEvent({10, 1, "started", "pid 7"}).ok());
  ASSERT_TRUE(storage_->AddEvent({11, -1, "resumed", ""}).ok());
  ASSERT_TRUE(storage_->AddEvent({12, 1, "succeeded", "exit code 0"}).ok());
  ASSERT_TRUE(storage_->AddEvent({13, 2, "started", "pid 8"}).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  auto trial = storage_->LoadEvents(1);
  ASSERT_TRUE(trial.ok()) << trial.status().message();
  ASSERT_EQ(trial->size(), 2u);
  EXPECT_EQ((*trial)[0].kind, "started");
  EXPECT_EQ((*trial)[0].detail, "pid 7");
  EXPECT_EQ((*trial)[0].time, 10);
  EXPECT_EQ((*trial)[1].kind, "succeeded");
  auto experiment = storage_->LoadEvents(-1);
  ASSERT_TRUE(experiment.ok());
  ASSERT_EQ(experiment->size(), 1u);
  EXPECT_EQ((*experiment)[0].kind, "resumed");
  EXPECT_EQ((*experiment)[0].seq, -1);
}

TEST_P(StorageContractTest, MetaRoundTripsAndOverwrites) {
  EXPECT_EQ(storage_->GetMeta("status"), std::nullopt);
  ASSERT_TRUE(storage_->PutMeta("status", "running").ok());
  ASSERT_TRUE(storage_->PutMeta("config", R"({"a":1})").ok());
  ASSERT_TRUE(storage_->PutMeta("status", "done").ok());
  ASSERT_TRUE(storage_->Flush().ok());
  EXPECT_EQ(storage_->GetMeta("status"), "done");
  EXPECT_EQ(storage_->GetMeta("config"), R"({"a":1})");
  EXPECT_EQ(storage_->GetMeta("seed"), std::nullopt);
}

TEST_P(StorageContractTest, CommandsAreDeliveredInOrderOnce) {
  ASSERT_TRUE(storage_->PushCommand(CommandKind::kKillTrial, {{"seq", 3}}).ok());
  ASSERT_TRUE(storage_->PushCommand(CommandKind::kSetConcurrency, {{"value", 4}}).ok());
  ASSERT_TRUE(storage_->PushCommand(CommandKind::kStop, json::object()).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  auto taken = storage_->TakeCommands();
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  ASSERT_EQ(taken->size(), 3u);
  EXPECT_EQ((*taken)[0].kind, CommandKind::kKillTrial);
  EXPECT_EQ((*taken)[0].name, "kill_trial");
  EXPECT_EQ((*taken)[0].args["seq"], 3);
  EXPECT_EQ((*taken)[1].kind, CommandKind::kSetConcurrency);
  EXPECT_EQ((*taken)[1].args["value"], 4);
  EXPECT_EQ((*taken)[2].kind, CommandKind::kStop);
  EXPECT_LT((*taken)[0].id, (*taken)[1].id);
  EXPECT_LT((*taken)[1].id, (*taken)[2].id);
  ASSERT_TRUE(storage_->Flush().ok());

  auto again = storage_->TakeCommands();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty()) << again->size() << " command(s) delivered twice";
  ASSERT_TRUE(storage_->PushCommand(CommandKind::kAddTrial, {{"parameters", {{"x", 0.5}}}}).ok());
  auto next = storage_->TakeCommands();
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].kind, CommandKind::kAddTrial);
  EXPECT_EQ((*next)[0].args["parameters"]["x"], 0.5);
}

TEST_P(StorageContractTest, AnUnknownCommandNameComesBackWithoutAKind) {
  ASSERT_TRUE(GetParam().push_unknown(*storage_, "reticulate").ok());
  ASSERT_TRUE(storage_->PushCommand(CommandKind::kStop, json::object()).ok());
  auto taken = storage_->TakeCommands();
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].kind, std::nullopt);
  EXPECT_EQ((*taken)[0].name, "reticulate");
  EXPECT_EQ((*taken)[1].kind, CommandKind::kStop);
}

TEST_P(StorageContractTest, TheWriterReadsItsOwnBatchBeforeFlush) {
  ASSERT_TRUE(storage_->InsertTrial(Trial(1)).ok());
  ASSERT_TRUE(storage_->PutMeta("status", "running").ok());
  EXPECT_EQ(Load(false).size(), 1u);
  EXPECT_EQ(storage_->GetMeta("status"), "running");
}

TEST_P(StorageContractTest, OtherReadersSeeOnlyFlushedWrites) {
  if (!GetParam().open_reader) GTEST_SKIP() << GetParam().name << " has no other readers";
  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(storage_->InsertTrial(Trial(1)).ok());
  ASSERT_TRUE(storage_->AppendIntermediate(1, 0, 0.5, "{}").ok());
  ASSERT_TRUE(storage_->PutMeta("status", "running").ok());
  auto before = reader->LoadTrials(true);
  ASSERT_TRUE(before.ok()) << before.status().message();
  EXPECT_TRUE(before->empty());
  EXPECT_EQ(reader->GetMeta("status"), std::nullopt);

  ASSERT_TRUE(storage_->Flush().ok());
  auto after = reader->LoadTrials(true);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].intermediate.size(), 1u);
  EXPECT_EQ(reader->GetMeta("status"), "running");
}

TEST_P(StorageContractTest, FlushedWritesSurviveReopening) {
  if (!GetParam().open_reader) GTEST_SKIP() << GetParam().name << " keeps nothing after closing";
  TrialRecord t = Trial(6, TrialStatus::kRunning);
  t.pid = 99;
  ASSERT_TRUE(storage_->InsertTrial(t).ok());
  ASSERT_TRUE(storage_->AddEvent({1, 6, "started", "pid 99"}).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  storage_.reset();
  auto reopened = GetParam().open(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  auto trial = (*reopened)->LoadTrial(6);
  ASSERT_TRUE(trial.ok() && trial->has_value());
  EXPECT_EQ((*trial)->pid, 99);
  auto events = (*reopened)->LoadEvents(6);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StorageContractTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace hone
