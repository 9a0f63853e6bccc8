#include "assessors/asha_assessor.h"

#include <limits>

#include <gtest/gtest.h>

#include "assessor_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using testing_util::History;
using testing_util::Running;

std::unique_ptr<Assessor> Make(json args, OptimizeMode mode = OptimizeMode::kMaximize) {
  AssessorContext ctx;
  ctx.class_args = std::move(args);
  ctx.mode = mode;
  auto a = AshaAssessor::Create(ctx);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return a.ok() ? std::move(*a) : nullptr;
}

TEST(AshaAssessorTest, RungsAreGraceTimesPowersOfTheReductionFactorBelowMaxResource) {
  AshaAssessor a(OptimizeMode::kMaximize, 27, 3, 1);
  EXPECT_EQ(a.rungs(), (std::vector<int64_t>{1, 3, 9}));
  AshaAssessor b(OptimizeMode::kMaximize, 100, 4, 2);
  EXPECT_EQ(b.rungs(), (std::vector<int64_t>{2, 8, 32}));
  AshaAssessor c(OptimizeMode::kMaximize, 1, 4, 1);
  EXPECT_TRUE(c.rungs().empty());
}

TEST(AshaAssessorTest, KeepsTheTopFractionAtARung) {
  auto a = Make({{"max_resource", 27}, {"reduction_factor", 3}, {"grace_period", 1}});
  // Third values 0.5, 0.6, 0.9 -> cutoff at the 66.7th percentile: 0.7.
  std::vector<TrialRecord> done = {History({0.1, 0.2, 0.5}), History({0.1, 0.2, 0.6, 0.7}),
                                   History({0.3, 0.5, 0.9, 0.9}, TrialStatus::kEarlyStopped)};
  EXPECT_EQ(a->Assess(Running({0.1, 0.2, 0.65}), done), Verdict::kStop);
  EXPECT_EQ(a->Assess(Running({0.1, 0.2, 0.75}), done), Verdict::kContinue);
  // Four values: not a rung, whatever the value.
  EXPECT_EQ(a->Assess(Running({0.1, 0.2, 0.75, 0.0}), done), Verdict::kContinue);
}

TEST(AshaAssessorTest, MinimizeKeepsTheLowestValues) {
  auto a = Make({{"max_resource", 27}, {"reduction_factor", 3}}, OptimizeMode::kMinimize);
  std::vector<TrialRecord> done = {History({0.5}), History({0.6}), History({0.9})};
  // Negated: -0.5, -0.6, -0.9 -> cutoff -0.6 (66.7th percentile of -0.9, -0.6, -0.5 is -0.5667).
  EXPECT_EQ(a->Assess(Running({0.55}), done), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.58}), done), Verdict::kStop);
}

TEST(AshaAssessorTest, FirstTrialAtARungAndTrialsShorterThanTheRungDoNotCount) {
  auto a = Make({{"max_resource", 27}, {"reduction_factor", 3}});
  EXPECT_EQ(a->Assess(Running({0.1}), {}), Verdict::kContinue);
  std::vector<TrialRecord> shorter = {History({0.9, 0.9}, TrialStatus::kEarlyStopped)};
  EXPECT_EQ(a->Assess(Running({0.1, 0.1, 0.1}), shorter), Verdict::kContinue);
}

TEST(AshaAssessorTest, NanAtARungStopsWhenThereIsACutoff) {
  auto a = Make({{"max_resource", 27}, {"reduction_factor", 3}});
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<TrialRecord> one = {History({0.5})};
  EXPECT_EQ(a->Assess(Running({nan}), one), Verdict::kStop);
  EXPECT_EQ(a->Assess(Running({nan}), {}), Verdict::kContinue);
}

TEST(AshaAssessorTest, CreateRejectsBadClassArgs) {
  for (const json& args : {json{{"reduction_factor", 1}}, json{{"max_resource", 0}}, json{{"grace_period", 1.5}},
                           json{{"optimize_mode", "maximise"}}}) {
    AssessorContext ctx;
    ctx.class_args = args;
    EXPECT_FALSE(AshaAssessor::Create(ctx).ok()) << args.dump();
  }
}

}  // namespace
}  // namespace hone
