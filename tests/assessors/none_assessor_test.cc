#include "assessors/none_assessor.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

TEST(NoneAssessorTest, NeverStops) {
  auto a = NoneAssessor::Create(AssessorContext{});
  ASSERT_TRUE(a.ok());
  TrialRecord bad;
  bad.status = TrialStatus::kRunning;
  bad.intermediate = {{0, -1e300}, {1, -1e300}};
  TrialRecord good;
  good.status = TrialStatus::kSucceeded;
  good.intermediate = {{0, 1e300}, {1, 1e300}};
  good.final_value = 1e300;
  std::vector<TrialRecord> finished(5, good);
  EXPECT_EQ((*a)->Assess(bad, finished), Verdict::kContinue);
  EXPECT_EQ((*a)->Name(), "none");
}

}  // namespace
}  // namespace hone
