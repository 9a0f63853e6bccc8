#include "assessors/patience_assessor.h"

#include <limits>

#include <gtest/gtest.h>

#include "assessor_test_util.h"
#include "assessors/builtin_assessors.h"
#include "core/registry.h"

namespace hone {
namespace {

using nlohmann::json;
using testing_util::History;
using testing_util::Running;

class PatienceAssessorTest : public testing::Test {
 protected:
  PatienceAssessorTest() { RegisterBuiltinAssessors(registry_); }
  std::unique_ptr<Assessor> Make(json args, OptimizeMode mode = OptimizeMode::kMaximize) {
    AssessorContext ctx;
    ctx.class_args = std::move(args);
    ctx.mode = mode;
    auto a = PatienceAssessor::Create(ctx, registry_);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? std::move(*a) : nullptr;
  }
  Registry registry_;
};

TEST_F(PatienceAssessorTest, StopsWhenTheLastWindowDidNotImprove) {
  auto a = Make({{"patience", 2}});
  EXPECT_EQ(a->Assess(Running({0.5, 0.6, 0.6}), {}), Verdict::kContinue);  // needs patience + 2 values
  EXPECT_EQ(a->Assess(Running({0.5, 0.6, 0.6, 0.55}), {}), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.5, 0.6, 0.55, 0.55, 0.58}), {}), Verdict::kStop);
  // A plateau at exactly the old best is not stopped (Optuna's strict comparison).
  EXPECT_EQ(a->Assess(Running({0.5, 0.6, 0.6, 0.55, 0.58}), {}), Verdict::kContinue);
}

TEST_F(PatienceAssessorTest, MinDeltaToleratesASmallDrop) {
  auto a = Make({{"patience", 1}, {"min_delta", 0.05}});
  // Best before the window 0.56, best in it 0.53: a drop within min_delta -> continue.
  EXPECT_EQ(a->Assess(Running({0.56, 0.52, 0.53}), {}), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.6, 0.52, 0.53}), {}), Verdict::kStop);
  auto loss = Make({{"patience", 1}}, OptimizeMode::kMinimize);
  EXPECT_EQ(loss->Assess(Running({1.0, 1.2, 1.1}), {}), Verdict::kStop);
  EXPECT_EQ(loss->Assess(Running({1.0, 1.2, 0.9}), {}), Verdict::kContinue);
}

TEST_F(PatienceAssessorTest, WrappedAssessorDecidesOnceTheTrialStalled) {
  // Stalled trials stop only when also below the threshold.
  auto a = Make({{"patience", 1}, {"wrapped", {{"name", "threshold"}, {"classArgs", {{"threshold", 0.5}}}}}});
  EXPECT_EQ(a->Assess(Running({0.7, 0.6, 0.6}), {}), Verdict::kContinue);  // stalled, above 0.5
  EXPECT_EQ(a->Assess(Running({0.45, 0.4, 0.4}), {}), Verdict::kStop);     // stalled, below 0.5
  EXPECT_EQ(a->Assess(Running({0.1, 0.2, 0.3}), {}), Verdict::kContinue);  // improving, below 0.5
}

TEST_F(PatienceAssessorTest, BadWrappedConfigIsAnError) {
  for (const json& wrapped : {json("medianstop"), json{{"name", "nosuch"}},
                              json{{"name", "threshold"}, {"classArgs", {{"threshold", 1}, {"bogus", 1}}}},
                              json{{"name", "threshold"}}}) {
    AssessorContext ctx;
    ctx.class_args = {{"wrapped", wrapped}};
    EXPECT_FALSE(PatienceAssessor::Create(ctx, registry_).ok()) << wrapped.dump();
  }
}

TEST_F(PatienceAssessorTest, NanValuesAreIgnored) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  auto a = Make({{"patience", 1}});
  EXPECT_EQ(a->Assess(Running({nan, nan, nan}), {}), Verdict::kContinue);
  EXPECT_EQ(a->Assess(Running({0.9, nan, 0.5}), {}), Verdict::kStop);
}

}  // namespace
}  // namespace hone
