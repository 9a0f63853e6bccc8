#include "assessors/builtin_assessors.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

TEST(BuiltinAssessorsTest, RegistersEveryBuiltinWithNniAliases) {
  Registry registry;
  RegisterBuiltinAssessors(registry);
  EXPECT_EQ(registry.AssessorNames(), (std::vector<std::string>{"none", "medianstop", "curvefitting", "percentile",
                                                                "threshold", "patience", "asha"}));
  ASSERT_NE(registry.FindAssessor("Medianstop"), nullptr);
  EXPECT_EQ(registry.FindAssessor("MedianStop")->name, "medianstop");
  ASSERT_NE(registry.FindAssessor("Curvefitting"), nullptr);
  EXPECT_EQ(registry.FindAssessor("Curvefitting")->name, "curvefitting");
}

TEST(BuiltinAssessorsTest, MedianstopDeclaresClassArgs) {
  Registry registry;
  RegisterBuiltinAssessors(registry);
  const AssessorInfo& info = *registry.FindAssessor("medianstop");
  ASSERT_EQ(info.args.size(), 2u);
  EXPECT_EQ(info.args[0].key, "optimize_mode");
  EXPECT_EQ(info.args[0].kind, ArgSpec::Kind::kEnum);
  EXPECT_EQ(info.args[0].choices, (std::vector<std::string>{"maximize", "minimize"}));
  EXPECT_EQ(info.args[1].key, "start_step");
  EXPECT_EQ(info.args[1].kind, ArgSpec::Kind::kInt);
  EXPECT_EQ(info.args[1].min, 0.0);
  EXPECT_TRUE(registry.FindAssessor("none")->args.empty());
}

}  // namespace
}  // namespace hone
