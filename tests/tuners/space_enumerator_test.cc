#include "tuners/space_enumerator.h"

#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;

TEST(DiscreteValuesTest, ListsEachDiscreteKind) {
  SearchSpace space = Space(R"({
    "c": {"_type": "choice", "_value": ["x", 2]},
    "q": {"_type": "quniform", "_value": [0, 10, 2.5]},
    "q2": {"_type": "quniform", "_value": [2, 10, 5]},
    "r": {"_type": "randint", "_value": [-1, 2]},
    "u": {"_type": "uniform", "_value": [0, 1]}})");
  const auto& p = space.params();  // alphabetical: c, q, q2, r, u
  EXPECT_EQ(*DiscreteValues(p[0]), (std::vector<json>{"x", 2}));
  EXPECT_EQ(*DiscreteValues(p[1]), (std::vector<json>{0.0, 2.5, 5.0, 7.5, 10.0}));
  EXPECT_EQ(*DiscreteValues(p[2]), (std::vector<json>{2.0, 5.0, 10.0}));
  EXPECT_EQ(*DiscreteValues(p[3]), (std::vector<json>{-1, 0, 1}));
  EXPECT_FALSE(DiscreteValues(p[4]).has_value());
}

TEST(DiscreteValuesTest, QuantizedBoundsAreOnlyListedWhenReachable) {
  // x in [3, 10]: round(x / 5) is 1 or 2, so 3 itself never comes up.
  SearchSpace space = Space(R"({"q": {"_type": "quniform", "_value": [3, 10, 5]}})");
  EXPECT_EQ(*DiscreteValues(space.params()[0]), (std::vector<json>{5.0, 10.0}));
  EXPECT_EQ(space.DiscreteSize(), 2.0);
}

TEST(SpaceEnumeratorTest, NumbersEveryConfigurationOnce) {
  SearchSpace space = Space(R"({
    "a": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "choice", "_value": [0.1, 0.01]},
                       "m": {"_type": "randint", "_value": [0, 3]}},
      {"_name": "adam"}]},
    "b": {"_type": "quniform", "_value": [0, 1, 0.5]}})");
  auto e = SpaceEnumerator::Create(space);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->size(), (2 * 3 + 1) * 3u);
  EXPECT_EQ(static_cast<double>(e->size()), *space.DiscreteSize());
  std::set<std::string> keys;
  for (uint64_t i = 0; i < e->size(); ++i) {
    json config = e->At(i);
    std::string why;
    EXPECT_TRUE(space.Contains(config, &why)) << config.dump() << ": " << why;
    EXPECT_EQ(e->IndexOf(config), i) << config.dump();
    keys.insert(ConfigKey(config));
  }
  EXPECT_EQ(keys.size(), e->size());
  EXPECT_EQ(e->At(0), json::parse(R"({"a": {"_name": "sgd", "lr": 0.1, "m": 0}, "b": 0.0})"));
}

TEST(SpaceEnumeratorTest, IndexOfRejectsConfigurationsOutsideTheEnumeration) {
  SearchSpace space = Space(R"({
    "a": {"_type": "choice", "_value": [{"_name": "sgd", "lr": {"_type": "choice", "_value": [1, 2]}}, {"_name": "adam"}]},
    "b": {"_type": "randint", "_value": [0, 2]}})");
  auto e = SpaceEnumerator::Create(space);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->IndexOf(json::parse(R"({"a": {"_name": "adam"}, "b": 1})")).has_value());
  EXPECT_TRUE(e->IndexOf(json::parse(R"({"a": {"_name": "adam"}, "b": 1.0})")).has_value());
  EXPECT_FALSE(e->IndexOf(json::parse(R"({"a": {"_name": "adam"}, "b": 2})")).has_value());
  EXPECT_FALSE(e->IndexOf(json::parse(R"({"a": {"_name": "adam", "lr": 1}, "b": 1})")).has_value());
  EXPECT_FALSE(e->IndexOf(json::parse(R"({"a": {"_name": "sgd"}, "b": 1})")).has_value());
  EXPECT_FALSE(e->IndexOf(json::parse(R"({"a": {"_name": "adam"}, "b": 1, "c": 0})")).has_value());
  EXPECT_FALSE(e->IndexOf(json::parse(R"({"b": 1})")).has_value());
}

TEST(SpaceEnumeratorTest, OnlyFiniteSpacesUpToTwoToThe62AreEnumerated) {
  EXPECT_FALSE(SpaceEnumerator::Create(Space(R"({"u": {"_type": "uniform", "_value": [0, 1]}})")));
  EXPECT_FALSE(SpaceEnumerator::Create(Space(R"({"q": {"_type": "qnormal", "_value": [0, 1, 1]}})")));
  EXPECT_FALSE(SpaceEnumerator::Create(Space(R"({
    "a": {"_type": "randint", "_value": [0, 1000000]}, "b": {"_type": "randint", "_value": [0, 1000000]},
    "c": {"_type": "randint", "_value": [0, 1000000]}, "d": {"_type": "randint", "_value": [0, 1000000]}})")));
  SearchSpace wide_space = Space(R"({"a": {"_type": "randint", "_value": [0, 1000000000]},
                                     "q": {"_type": "qloguniform", "_value": [1, 1000000, 0.5]}})");
  auto wide = SpaceEnumerator::Create(wide_space);
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->size(), 1000000000ull * 1999999ull);
  json last = wide->At(wide->size() - 1);
  EXPECT_EQ(last, json::parse(R"({"a": 999999999, "q": 1000000.0})"));
  EXPECT_EQ(wide->IndexOf(last), wide->size() - 1);
  EXPECT_EQ(wide->At(0), json::parse(R"({"a": 0, "q": 1.0})"));
  SearchSpace empty_space;
  auto empty = SpaceEnumerator::Create(empty_space);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->size(), 1u);
  EXPECT_EQ(empty->At(0), json::object());
}

}  // namespace
}  // namespace hone
