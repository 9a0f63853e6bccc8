#include "tuners/config_key.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

using nlohmann::json;

TEST(ConfigKeyTest, EqualJsonGivesEqualKey) {
  EXPECT_EQ(ConfigKey(json{{"a", 5}, {"b", "x"}}), ConfigKey(json{{"b", "x"}, {"a", 5.0}}));
  EXPECT_EQ(ConfigKey(json{{"a", -0.0}}), ConfigKey(json{{"a", 0}}));
  EXPECT_EQ(ConfigKey(json{{"n", {{"_name", "sgd"}, {"lr", 0.1}}}}),
            ConfigKey(json::parse(R"({"n": {"lr": 0.1, "_name": "sgd"}})")));
}

TEST(ConfigKeyTest, DifferentJsonGivesDifferentKey) {
  EXPECT_NE(ConfigKey(json{{"a", 5}}), ConfigKey(json{{"a", 5.5}}));
  EXPECT_NE(ConfigKey(json{{"a", 5}}), ConfigKey(json{{"a", "5"}}));
  EXPECT_NE(ConfigKey(json{{"a", 0.1}}), ConfigKey(json{{"a", 0.1 + 1e-16}}));
  EXPECT_NE(ConfigKey(json{{"a", 1}}), ConfigKey(json{{"b", 1}}));
  EXPECT_NE(ConfigKey(json{{"a", {{"_name", "x"}}}}), ConfigKey(json{{"a", {{"_name", "y"}}}}));
}

}  // namespace
}  // namespace hone
