#include "tuners/builtin_tuners.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

const ArgSpec* FindArg(const TunerInfo& info, const std::string& key) {
  for (const auto& a : info.args)
    if (a.key == key) return &a;
  return nullptr;
}

TEST(BuiltinTunersTest, RegistersRandomAndGridUnderNniNames) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  std::vector<std::string> names = registry.TunerNames();
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(names[0], "random");
  EXPECT_EQ(names[1], "grid");
  ASSERT_NE(registry.FindTuner("Random"), nullptr);
  EXPECT_EQ(registry.FindTuner("Random")->name, "random");
  ASSERT_NE(registry.FindTuner("GridSearch"), nullptr);
  EXPECT_EQ(registry.FindTuner("gridsearch")->name, "grid");
  EXPECT_EQ(registry.FindTuner("GRID")->name, "grid");
  ASSERT_NE(registry.FindTuner("TPE"), nullptr);
  EXPECT_EQ(registry.FindTuner("TPE")->name, "tpe");
}

TEST(BuiltinTunersTest, DeclaresClassArgs) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  const TunerInfo& random = *registry.FindTuner("random");
  ASSERT_NE(FindArg(random, "seed"), nullptr);
  EXPECT_EQ(FindArg(random, "seed")->kind, ArgSpec::Kind::kInt);
  ASSERT_NE(FindArg(random, "optimize_mode"), nullptr);
  EXPECT_EQ(FindArg(random, "optimize_mode")->kind, ArgSpec::Kind::kEnum);
  EXPECT_EQ(FindArg(random, "optimize_mode")->choices, (std::vector<std::string>{"maximize", "minimize"}));
  EXPECT_FALSE(random.uses_optimize_mode);
  const TunerInfo& grid = *registry.FindTuner("grid");
  ASSERT_NE(FindArg(grid, "optimize_mode"), nullptr);
  EXPECT_EQ(FindArg(grid, "seed"), nullptr);
  EXPECT_FALSE(grid.uses_optimize_mode);
}

}  // namespace
}  // namespace hone
