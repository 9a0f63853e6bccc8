// Search-space edge cases NNI's tuners take: a range with low == high (one value), null
// as a choice option, and floats such as 2.0 that must stay floats from the YAML or JSON
// text through the stored config (ToJson, FromJson) to the configuration a trial gets.
#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/search_space.h"

namespace hone {
namespace {

using nlohmann::json;

std::optional<SearchSpace> ParseYaml(const std::string& yaml, std::string* errors = nullptr) {
  Diagnostics diag;
  auto node = ConfigNode::Parse(yaml, "space.yaml", diag);
  std::optional<SearchSpace> space;
  if (node) space = SearchSpace::Parse(*node, "searchSpace", diag);
  if (errors) *errors = diag.ToString();
  return diag.has_errors() ? std::nullopt : space;
}

// Every value `space` can give `name` over many draws, as JSON text.
std::set<std::string> Drawn(const SearchSpace& space, const std::string& name) {
  std::mt19937_64 rng(7);
  std::set<std::string> out;
  for (int i = 0; i < 200; ++i) out.insert(space.Sample(rng)[name].dump());
  return out;
}

TEST(SearchSpaceEdgeTest, RangeWithLowEqualHighIsThatOneFloat) {
  std::string errors;
  auto space = ParseYaml(
      "u: {_type: uniform, _value: [2, 2]}\n"
      "q: {_type: quniform, _value: [3.5, 3.5, 1]}\n"
      "lu: {_type: loguniform, _value: [0.01, 0.01]}\n"
      "qlu: {_type: qloguniform, _value: [8, 8, 4]}\n",
      &errors);
  ASSERT_TRUE(space) << errors;
  EXPECT_EQ(Drawn(*space, "u"), std::set<std::string>{"2.0"});
  EXPECT_EQ(Drawn(*space, "q"), std::set<std::string>{"3.5"});
  EXPECT_EQ(Drawn(*space, "lu"), std::set<std::string>{"0.01"});
  EXPECT_EQ(Drawn(*space, "qlu"), std::set<std::string>{"8.0"});
  EXPECT_EQ(space->DiscreteSize(), 1.0);
  EXPECT_TRUE(space->Contains({{"u", 2.0}, {"q", 3.5}, {"lu", 0.01}, {"qlu", 8.0}}));
  EXPECT_FALSE(space->Contains({{"u", 2.5}, {"q", 3.5}, {"lu", 0.01}, {"qlu", 8.0}}));
}

TEST(SearchSpaceEdgeTest, PointRangeKeepsItsTypeInTheStoredSpace) {
  auto space = ParseYaml("u: {_type: uniform, _value: [2, 2]}\nq: {_type: quniform, _value: [1, 1, 0.5]}\n");
  ASSERT_TRUE(space);
  json stored = space->ToJson();
  EXPECT_EQ(stored["u"], json::parse(R"({"_type": "uniform", "_value": [2.0, 2.0]})"));
  EXPECT_EQ(stored["q"], json::parse(R"({"_type": "quniform", "_value": [1.0, 1.0, 0.5]})"));
  auto again = SearchSpace::FromJson(stored);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->ToJson(), stored);
  EXPECT_EQ(Drawn(*again, "u"), std::set<std::string>{"2.0"});
}

TEST(SearchSpaceEdgeTest, PointRangeStillNeedsWhatItsTypeNeeds) {
  std::string errors;
  EXPECT_FALSE(ParseYaml("lu: {_type: loguniform, _value: [0, 0]}\n", &errors));
  EXPECT_NE(errors.find("loguniform needs low > 0"), std::string::npos) << errors;
  EXPECT_FALSE(ParseYaml("q: {_type: quniform, _value: [1, 1, 0]}\n", &errors));
  EXPECT_NE(errors.find("q > 0 must hold"), std::string::npos) << errors;
  // randint's upper bound is exclusive: [4, 4] holds no integer, and the message says
  // how to write the single value.
  EXPECT_FALSE(ParseYaml("n: {_type: randint, _value: [4, 4]}\n", &errors));
  EXPECT_NE(errors.find("[4, 5] holds just 4"), std::string::npos) << errors;
}

// YAML can write infinity and NaN, JSON (where spaces are stored) cannot: such an option
// would come back as null. Found by fuzz_search_space.
TEST(SearchSpaceEdgeTest, ChoiceOptionsMustBeFinite) {
  std::string errors;
  EXPECT_FALSE(ParseYaml("b: {_type: choice, _value: [-.Inf, 32, 64]}\n", &errors));
  EXPECT_NE(errors.find("space.yaml:1:29: error: searchSpace.b._value[0]: choice options must be finite"),
            std::string::npos)
      << errors;
  errors.clear();
  EXPECT_FALSE(ParseYaml("b: {_type: choice, _value: [{_name: .nan}]}\n", &errors));
  EXPECT_NE(errors.find("searchSpace.b._value[0]._name: must be finite, but got .nan"), std::string::npos) << errors;
  EXPECT_TRUE(ParseYaml("b: {_type: choice, _value: ['-.Inf', 32]}\n"));  // a string
  // Two nested options of one name: a draw of the second would read back as the first.
  errors.clear();
  EXPECT_FALSE(ParseYaml("m: {_type: choice, _value: [{_name: cnn, k: {_type: randint, _value: [0, 4]}}, {_name: cnn}]}\n",
                         &errors));
  EXPECT_NE(errors.find("searchSpace.m._value[1]._name: duplicate nested choice option \"cnn\""), std::string::npos)
      << errors;
}

// Far from zero, round(x/q)*q and x/q are both rounded to doubles, so the quotient of a
// grid value misses an integer by a few of its ulps. Found by fuzz_search_space.
TEST(SearchSpaceEdgeTest, LargeGridValuesAreOnTheirGrid) {
  std::string errors;
  auto space = ParseYaml("x: {_type: qnormal, _value: [1.9e20, 1e18, 2.54741e8]}\n", &errors);
  ASSERT_TRUE(space) << errors;
  const double q = 2.54741e8;
  const double on_grid = 740000000000.0 * q;  // x/q is 740000000000 - 1.2e-4 in doubles
  std::string why;
  EXPECT_TRUE(space->Contains({{"x", on_grid}}, &why)) << why;
  EXPECT_FALSE(space->Contains({{"x", on_grid + q / 2}}));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) {
    const auto draw = space->Sample(rng);
    EXPECT_TRUE(space->Contains(draw, &why)) << draw.dump() << ": " << why;
  }
}

// Draws of a normal kind must be finite doubles, and so must exp of a log kind's.
// Found by fuzz_search_space (qlognormal with mu 5422494 drew null).
TEST(SearchSpaceEdgeTest, NormalKindsWhoseDrawsOverflowAreErrors) {
  std::string errors;
  EXPECT_FALSE(ParseYaml("qln: {_type: qlognormal, _value: [5422494, 0.3, 0.5]}\n", &errors));
  EXPECT_NE(errors.find("searchSpace.qln._value: qlognormal draws exp(mu + z sigma), which overflows a double past "
                        "709: mu + 10 sigma must be at most that, but got mu=5.42249e+06, sigma=0.3"),
            std::string::npos)
      << errors;
  errors.clear();
  EXPECT_FALSE(ParseYaml("n: {_type: normal, _value: [1e308, 1e308]}\n", &errors));
  EXPECT_NE(errors.find("|mu| + 10 sigma must be a finite number"), std::string::npos) << errors;
  auto edge = ParseYaml("ln: {_type: lognormal, _value: [600, 10]}\nn: {_type: normal, _value: [-1e300, 1e298]}\n");
  ASSERT_TRUE(edge);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    const auto draw = edge->Sample(rng);
    EXPECT_TRUE(std::isfinite(draw["ln"].get<double>()) && std::isfinite(draw["n"].get<double>())) << draw.dump();
  }
}

TEST(SearchSpaceEdgeTest, NullIsAChoiceOption) {
  std::string errors;
  auto space = ParseYaml("act: {_type: choice, _value: [relu, null, ~, 2.0]}\n", &errors);
  EXPECT_FALSE(space);  // null and ~ are the same option
  EXPECT_NE(errors.find("duplicate choice option null"), std::string::npos) << errors;
  space = ParseYaml("act: {_type: choice, _value: [relu, null, 2.0, true]}\n", &errors);
  ASSERT_TRUE(space) << errors;
  EXPECT_EQ(Drawn(*space, "act"), (std::set<std::string>{"\"relu\"", "null", "2.0", "true"}));
  EXPECT_TRUE(space->Contains({{"act", nullptr}}));
  EXPECT_EQ(space->ToJson()["act"]["_value"], json::parse(R"(["relu", null, 2.0, true])"));
  auto again = SearchSpace::FromJson(space->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(Drawn(*again, "act"), (std::set<std::string>{"\"relu\"", "null", "2.0", "true"}));
}

TEST(SearchSpaceEdgeTest, FloatChoiceOptionsStayFloatsFromYamlAndJson) {
  // YAML (block and flow) and JSON text: 2.0 is a float, 3 an integer.
  for (const char* text : {"x:\n  _type: choice\n  _value:\n    - 2.0\n    - 3\n    - 1e3\n",
                           "x: {_type: choice, _value: [2.0, 3, 1e3]}\n",
                           R"({"x": {"_type": "choice", "_value": [2.0, 3, 1e3]}})"}) {
    std::string errors;
    auto space = ParseYaml(text, &errors);
    ASSERT_TRUE(space) << errors << text;
    EXPECT_EQ(space->ToJson()["x"]["_value"].dump(), "[2.0,3,1000.0]") << text;
    EXPECT_EQ(Drawn(*space, "x"), (std::set<std::string>{"2.0", "3", "1000.0"})) << text;
    auto again = SearchSpace::FromJson(json::parse(space->ToJson().dump()));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ToJson()["x"]["_value"].dump(), "[2.0,3,1000.0]") << text;
  }
}

}  // namespace
}  // namespace hone
