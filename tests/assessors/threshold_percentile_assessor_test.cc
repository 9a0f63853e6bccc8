#include <limits>

#include <gtest/gtest.h>

#include "assessor_test_util.h"
#include "assessors/percentile_assessor.h"
#include "assessors/threshold_assessor.h"

namespace hone {
namespace {

using nlohmann::json;
using testing_util::History;
using testing_util::Running;

template <typename T>
std::unique_ptr<Assessor> Make(json args, OptimizeMode mode = OptimizeMode::kMaximize) {
  AssessorContext ctx;
  ctx.class_args = std::move(args);
  ctx.mode = mode;
  auto a = T::Create(ctx);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return a.ok() ? std::move(*a) : nullptr;
}

TEST(ThresholdAssessorTest, StopsWhenTheLatestValueIsWorseThanTheThreshold) {
  auto a = Make<ThresholdAssessor>({{"threshold", 0.2}, {"start_step", 2}});
  EXPECT_EQ(a->Assess(Running({0.1}), {}), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.1, 0.15}), {}), Verdict::kStop);
  EXPECT_EQ(a->Assess(Running({0.1, 0.3}), {}), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.3, std::numeric_limits<double>::quiet_NaN()}), {}), Verdict::kStop);
  auto loss = Make<ThresholdAssessor>({{"threshold", 2.0}}, OptimizeMode::kMinimize);
  EXPECT_EQ(loss->Assess(Running({2.5}), {}), Verdict::kStop);
  EXPECT_EQ(loss->Assess(Running({1.5}), {}), Verdict::kContinue);
}

TEST(ThresholdAssessorTest, ThresholdIsRequired) {
  AssessorContext ctx;
  auto a = ThresholdAssessor::Create(ctx);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("threshold"), std::string::npos);
}

TEST(PercentileAssessorTest, SortedPercentileInterpolatesLinearlyAsNumpy) {
  EXPECT_DOUBLE_EQ(SortedPercentile({0.4, 0.6, 0.8}, 75), 0.7);
  EXPECT_DOUBLE_EQ(SortedPercentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(SortedPercentile({5}, 10), 5);
  EXPECT_DOUBLE_EQ(SortedPercentile({1, 2}, 100), 2);
}

TEST(PercentileAssessorTest, StopsTheBottomPercentileAtTheSameStep) {
  auto a = Make<PercentileAssessor>({{"percentile", 25}, {"min_trials", 3}});
  std::vector<TrialRecord> done = {History({0.1, 0.4, 0.9}), History({0.2, 0.6}), History({0.3, 0.8, 0.1})};
  // Second values 0.4, 0.6, 0.8 -> 75th percentile 0.7.
  EXPECT_EQ(a->Assess(Running({0.5, 0.65}), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(Running({0.5, 0.75}), done), Verdict::kContinue);
  // The best so far counts, not the latest value.
  EXPECT_EQ(a->Assess(Running({0.72, 0.1}), done), Verdict::kContinue);
  // Too few trials at step 3 (only two reached it).
  EXPECT_EQ(a->Assess(Running({0.0, 0.0, 0.0}), done), Verdict::kContinue);
}

TEST(PercentileAssessorTest, MinimizeStopsAboveThePercentile) {
  auto a = Make<PercentileAssessor>({{"percentile", 50}, {"min_trials", 1}}, OptimizeMode::kMinimize);
  std::vector<TrialRecord> done = {History({1.0}), History({2.0}), History({3.0})};
  EXPECT_EQ(a->Assess(Running({2.5}), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(Running({1.5}), done), Verdict::kContinue);
}

TEST(PercentileAssessorTest, OnlySucceededTrialsAndFiniteValuesCount) {
  auto a = Make<PercentileAssessor>({{"percentile", 50}, {"min_trials", 2}});
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<TrialRecord> done = {History({0.9}, TrialStatus::kEarlyStopped), History({0.9}, TrialStatus::kFailed),
                                   History({nan}), History({0.5})};
  EXPECT_EQ(a->Assess(Running({0.1}), done), Verdict::kContinue);  // one usable trial < min_trials
  done.push_back(History({0.7}));
  EXPECT_EQ(a->Assess(Running({0.1}), done), Verdict::kStop);
}

}  // namespace
}  // namespace hone
