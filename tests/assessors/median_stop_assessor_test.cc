#include "assessors/median_stop_assessor.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "assessors/builtin_assessors.h"
#include "core/arg_spec.h"

namespace hone {
namespace {

using nlohmann::json;

TrialRecord WithHistory(std::vector<double> values, TrialStatus status = TrialStatus::kSucceeded) {
  TrialRecord r;
  r.status = status;
  for (size_t i = 0; i < values.size(); ++i) r.intermediate.push_back({static_cast<int64_t>(i), values[i]});
  if (status == TrialStatus::kSucceeded && !values.empty()) r.final_value = values.back();
  return r;
}

std::unique_ptr<Assessor> Make(json args, OptimizeMode mode = OptimizeMode::kMaximize) {
  AssessorContext ctx;
  ctx.class_args = std::move(args);
  ctx.mode = mode;
  auto a = MedianStopAssessor::Create(ctx);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return a.ok() ? std::move(*a) : nullptr;
}

// Running means at step 2: 2, 3, 6 (and 5 with the fourth trial).
std::vector<TrialRecord> Finished() {
  return {WithHistory({1, 3, 100}), WithHistory({2, 4}), WithHistory({5, 7, 0})};
}

TEST(MedianStopAssessorTest, MaximizeStopsBelowTheLowerMedian) {
  auto a = Make(json::object());
  std::vector<TrialRecord> done = Finished();
  // Means at step 2: [2, 3, 6]; median (n-1)/2 -> 3.
  EXPECT_EQ(a->Assess(WithHistory({1, 2.5}, TrialStatus::kRunning), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(WithHistory({1, 3}, TrialStatus::kRunning), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(WithHistory({3, 1}, TrialStatus::kRunning), done), Verdict::kContinue);
  // With four means [2, 3, 5, 6] the lower median is still 3.
  done.push_back(WithHistory({4, 6}));
  EXPECT_EQ(a->Assess(WithHistory({2.9, 0}, TrialStatus::kRunning), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(WithHistory({3.1, 0}, TrialStatus::kRunning), done), Verdict::kContinue);
}

TEST(MedianStopAssessorTest, MinimizeStopsAboveTheUpperMedian) {
  auto a = Make({{"optimize_mode", "minimize"}});
  std::vector<TrialRecord> done = Finished();
  done.push_back(WithHistory({4, 6}));
  // Means at step 2: [2, 3, 5, 6]; median n/2 -> 5; best is the minimum.
  EXPECT_EQ(a->Assess(WithHistory({9, 5.5}, TrialStatus::kRunning), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(WithHistory({9, 5}, TrialStatus::kRunning), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(WithHistory({4.9, 9}, TrialStatus::kRunning), done), Verdict::kContinue);
  // Maximize ranks the same history by its maximum, 9: above any median here.
  EXPECT_EQ(Make(json::object())->Assess(WithHistory({9, 5.5}, TrialStatus::kRunning), done),
            Verdict::kContinue);
}

TEST(MedianStopAssessorTest, OnlyLongEnoughSucceededTrialsCount) {
  auto a = Make(json::object());
  std::vector<TrialRecord> done = {
      WithHistory({10, 10, 10}, TrialStatus::kFailed),
      WithHistory({10, 10, 10}, TrialStatus::kEarlyStopped),
      WithHistory({10, 10}),  // too short for step 3
      WithHistory({1, 2, 3}),  // mean 2
  };
  EXPECT_EQ(a->Assess(WithHistory({1, 1, 1.5}, TrialStatus::kRunning), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(WithHistory({1, 1, 2}, TrialStatus::kRunning), done), Verdict::kContinue);
  // At step 4 no succeeded trial has four values: nothing to compare with.
  EXPECT_EQ(a->Assess(WithHistory({0, 0, 0, 0}, TrialStatus::kRunning), done), Verdict::kContinue);
}

TEST(MedianStopAssessorTest, StartStepDelaysTheFirstDecision) {
  auto a = Make({{"start_step", 3}});
  std::vector<TrialRecord> done = {WithHistory({5, 5, 5, 5})};
  EXPECT_EQ(a->Assess(WithHistory({1}, TrialStatus::kRunning), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(WithHistory({1, 1}, TrialStatus::kRunning), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(WithHistory({1, 1, 1}, TrialStatus::kRunning), done), Verdict::kStop);
  // start_step 0 (the default) already decides at the first value.
  EXPECT_EQ(Make(json::object())->Assess(WithHistory({1}, TrialStatus::kRunning), done), Verdict::kStop);
}

TEST(MedianStopAssessorTest, NoFinishedTrialsOrNoHistoryMeansContinue) {
  auto a = Make(json::object());
  EXPECT_EQ(a->Assess(WithHistory({-1e9}, TrialStatus::kRunning), {}), Verdict::kContinue);
  std::vector<TrialRecord> done = Finished();
  EXPECT_EQ(a->Assess(WithHistory({}, TrialStatus::kRunning), done), Verdict::kContinue);
}

TEST(MedianStopAssessorTest, NonFiniteValuesAreNeverRanked) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto a = Make(json::object());
  std::vector<TrialRecord> done = Finished();  // median at step 2: 3
  // This trial's NaN/Inf are skipped: its best is 2.
  EXPECT_EQ(a->Assess(WithHistory({kNan, 2}, TrialStatus::kRunning), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(WithHistory({2, kInf}, TrialStatus::kRunning), done), Verdict::kStop);
  // Nothing finite: no basis for stopping.
  EXPECT_EQ(a->Assess(WithHistory({kNan, kNan}, TrialStatus::kRunning), done), Verdict::kContinue);
  // A succeeded trial with NaN in its first two values gives no mean: means [2, 3]
  // -> lower median 2, so 2.5 now survives.
  done[2] = WithHistory({kNan, 7, 0});
  EXPECT_EQ(a->Assess(WithHistory({1, 2.5}, TrialStatus::kRunning), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(WithHistory({1, 1.5}, TrialStatus::kRunning), done), Verdict::kStop);
}

TEST(MedianStopAssessorTest, ContextModeIsTheDefaultAndClassArgsOverrideIt) {
  std::vector<TrialRecord> done = {WithHistory({5})};
  auto low = WithHistory({1}, TrialStatus::kRunning);
  EXPECT_EQ(Make(json::object(), OptimizeMode::kMinimize)->Assess(low, done), Verdict::kContinue);
  EXPECT_EQ(Make(json::object(), OptimizeMode::kMaximize)->Assess(low, done), Verdict::kStop);
  EXPECT_EQ(Make({{"optimize_mode", "maximize"}}, OptimizeMode::kMinimize)->Assess(low, done),
            Verdict::kStop);
}

TEST(MedianStopAssessorTest, ArgSpecsRejectBadClassArgs) {
  Registry registry;
  RegisterBuiltinAssessors(registry);
  const AssessorInfo& info = *registry.FindAssessor("medianstop");
  for (json args : {json{{"optimize_mode", "maximise"}}, json{{"start_step", -1}},
                    json{{"start_step", 1.5}}, json{{"start_step", "3"}}}) {
    Status status = CheckArgsJson(args, "classArgs", info.args);
    ASSERT_FALSE(status.ok()) << args.dump();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace hone
