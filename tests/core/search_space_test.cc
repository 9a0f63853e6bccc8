// SearchSpace: NNI's ten types, q-rounding (half-to-even, then clip for the uniform
// kinds only), Contains, the JSON round trip, and invalid spaces as file:line:col errors.
#include "core/search_space.h"

#include <cmath>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace hone {
namespace {

using nlohmann::json;

SearchSpace Space(const json& j) {
  auto space = SearchSpace::FromJson(j);
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? std::move(*space) : SearchSpace();
}

const ParamSpec& Param(const SearchSpace& space, const std::string& name) {
  for (const auto& p : space.params())
    if (p.name == name) return p;
  ADD_FAILURE() << "no parameter " << name;
  static ParamSpec none;
  return none;
}

// Errors of parsing `yaml` as a search space in file "space.yaml".
std::string ParseErrors(const std::string& yaml) {
  Diagnostics diag;
  auto node = ConfigNode::Parse(yaml, "space.yaml", diag);
  if (!node) return diag.ToString();
  const bool syntax_errors = diag.has_errors();  // duplicate keys
  auto space = SearchSpace::Parse(*node, "searchSpace", diag);
  if (!syntax_errors) {
    EXPECT_EQ(space.has_value(), !diag.has_errors()) << diag.ToString();
  }
  return diag.ToString();
}

const json kAllTypes = json::parse(R"({
  "c": {"_type": "choice", "_value": ["a", 2, 3.5]},
  "ri": {"_type": "randint", "_value": [2, 9]},
  "u": {"_type": "uniform", "_value": [-1, 1]},
  "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
  "lu": {"_type": "loguniform", "_value": [0.001, 1]},
  "qlu": {"_type": "qloguniform", "_value": [1, 100, 5]},
  "nm": {"_type": "normal", "_value": [0, 2]},
  "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
  "ln": {"_type": "lognormal", "_value": [0, 1]},
  "qln": {"_type": "qlognormal", "_value": [1, 0.5, 1]},
  "opt": {"_type": "choice", "_value": [
    {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}},
    {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]}},
    {"_name": "plain"}]}})");

TEST(SearchSpaceTest, ParsesEveryTypeWithItsBounds) {
  SearchSpace s = Space(kAllTypes);
  ASSERT_EQ(s.params().size(), 11u);
  const std::map<std::string, ParamType> types = {
      {"c", ParamType::kChoice},        {"ri", ParamType::kRandint},    {"u", ParamType::kUniform},
      {"qu", ParamType::kQuniform},     {"lu", ParamType::kLoguniform}, {"qlu", ParamType::kQloguniform},
      {"nm", ParamType::kNormal},       {"qn", ParamType::kQnormal},    {"ln", ParamType::kLognormal},
      {"qln", ParamType::kQlognormal},  {"opt", ParamType::kChoice}};
  for (const auto& [name, type] : types) EXPECT_EQ(Param(s, name).type, type) << name;
  EXPECT_EQ(Param(s, "qu").a, 0);
  EXPECT_EQ(Param(s, "qu").b, 10);
  EXPECT_EQ(Param(s, "qu").q, 2.5);
  EXPECT_EQ(Param(s, "qn").a, 10);  // mu
  EXPECT_EQ(Param(s, "qn").b, 3);   // sigma
  EXPECT_EQ(Param(s, "c").options, (std::vector<json>{"a", 2, 3.5}));
  EXPECT_FALSE(Param(s, "c").IsNestedChoice());
  EXPECT_TRUE(Param(s, "opt").IsNestedChoice());
  ASSERT_EQ(Param(s, "opt").nested.size(), 3u);
  EXPECT_EQ(Param(s, "opt").options, (std::vector<json>{"sgd", "adam", "plain"}));
  EXPECT_EQ(Param(s, "opt").nested[0].params().at(0).name, "lr");
  EXPECT_TRUE(Param(s, "opt").nested[2].empty());
}

// 8 and 8.0 are two options (as in NNI, where a float arrives as a float); the stored
// JSON form must read back the same.
TEST(SearchSpaceTest, ChoiceKeepsIntegerAndFloatOptionsApartThroughJson) {
  auto space = SearchSpace::FromJson(nlohmann::json::parse(R"({"b": {"_type": "choice", "_value": [8, 2.0, 8.0]}})"));
  ASSERT_TRUE(space.ok()) << space.status().message();
  auto again = SearchSpace::FromJson(space->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->ToJson().dump(), R"({"b":{"_type":"choice","_value":[8,2.0,8.0]}})");
  EXPECT_TRUE(again->params()[0].options[1].is_number_float());
}

TEST(SearchSpaceTest, TypeNamesRoundTripAndKindsAreClassified) {
  for (auto name : {"choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal",
                    "lognormal", "qlognormal"}) {
    auto type = ParseParamType(name);
    ASSERT_TRUE(type) << name;
    EXPECT_EQ(ParamTypeName(*type), name);
  }
  EXPECT_FALSE(ParseParamType("Choice"));  // NNI's _type names are lowercase only
  EXPECT_TRUE(IsNormalKind(ParamType::kQlognormal));
  EXPECT_FALSE(IsNormalKind(ParamType::kQloguniform));
  EXPECT_TRUE(IsLogKind(ParamType::kLognormal));
  EXPECT_FALSE(IsLogKind(ParamType::kQnormal));
  EXPECT_TRUE(IsQuantized(ParamType::kQnormal));
  EXPECT_FALSE(IsQuantized(ParamType::kRandint));
}

TEST(SearchSpaceTest, QRoundIsRoundHalfToEven) {
  // Python: round(0.5) == 0, round(1.5) == 2, round(2.5) == 2, round(-0.5) == 0.
  EXPECT_EQ(QRound(0.5, 1), 0);
  EXPECT_EQ(QRound(1.5, 1), 2);
  EXPECT_EQ(QRound(2.5, 1), 2);
  EXPECT_EQ(QRound(3.5, 1), 4);
  EXPECT_EQ(QRound(-2.5, 1), -2);
  EXPECT_EQ(QRound(5, 2), 4);    // 2.5 steps -> 2
  EXPECT_EQ(QRound(7, 2), 8);    // 3.5 steps -> 4
  EXPECT_EQ(QRound(3.7, 0.5), 3.5);
}

TEST(SearchSpaceTest, QuniformFinishRoundsThenClipsToBounds) {
  // NNI's doc example: [2, 10, 5] takes the values 2, 5 and 10.
  SearchSpace s = Space({{"q", {{"_type", "quniform"}, {"_value", {2, 10, 5}}}}});
  const ParamSpec& q = s.params()[0];
  EXPECT_EQ(q.Finish(2.1), 2);    // round(0.42) * 5 = 0, clipped up to low
  EXPECT_EQ(q.Finish(7.5), 10);   // 1.5 steps -> 2 (half to even)
  EXPECT_EQ(q.Finish(12.5), 10);  // 2.5 steps -> 2 (half to even), no clip needed
  EXPECT_EQ(q.Finish(6), 5);
  EXPECT_EQ(q.DiscreteCount(), 3);
  EXPECT_TRUE(q.Finish(6).is_number_float());  // NNI hands out 5.0, a float
}

TEST(SearchSpaceTest, QuniformWithQuarterStepsHasNNIsFiveValues) {
  // NNI's doc example: [0, 10, 2.5] takes 0, 2.5, 5, 7.5, 10.
  SearchSpace s = Space({{"q", {{"_type", "quniform"}, {"_value", {0, 10, 2.5}}}}});
  EXPECT_EQ(s.params()[0].DiscreteCount(), 5);
  EXPECT_EQ(s.DiscreteSize(), 5);
  std::mt19937_64 rng(3);
  std::set<double> seen;
  for (int i = 0; i < 400; ++i) seen.insert(s.Sample(rng)["q"].get<double>());
  EXPECT_EQ(seen, (std::set<double>{0, 2.5, 5, 7.5, 10}));
}

TEST(SearchSpaceTest, QloguniformClipsToTheOriginalBounds) {
  SearchSpace s = Space({{"q", {{"_type", "qloguniform"}, {"_value", {3, 100, 10}}}}});
  const ParamSpec& q = s.params()[0];
  EXPECT_EQ(q.Finish(3.2), 3);     // round(0.32) * 10 = 0 -> clipped to low 3
  EXPECT_EQ(q.Finish(25), 20);     // 2.5 steps -> 2
  EXPECT_EQ(q.Finish(99), 100);
}

TEST(SearchSpaceTest, NormalKindsAreQuantizedButNeverClipped) {
  SearchSpace s = Space({{"qn", {{"_type", "qnormal"}, {"_value", {0, 1, 2}}}},
                         {"qln", {{"_type", "qlognormal"}, {"_value", {0, 1, 4}}}},
                         {"nm", {{"_type", "normal"}, {"_value", {0, 1}}}}});
  EXPECT_EQ(Param(s, "qn").Finish(-101), -100);  // 50.5 steps -> 50 (half to even)
  EXPECT_EQ(Param(s, "qn").Finish(3), 4);        // 1.5 steps -> 2
  EXPECT_EQ(Param(s, "qln").Finish(1.9), 0);     // round(0.475) -> 0: no clip to a positive bound
  EXPECT_EQ(Param(s, "qln").Finish(1000), 1000);
  EXPECT_EQ(Param(s, "nm").Finish(-1e6), -1e6);
  EXPECT_FALSE(Param(s, "qn").DiscreteCount().has_value());  // unbounded
  EXPECT_FALSE(s.DiscreteSize().has_value());
}

TEST(SearchSpaceTest, RandintIsLowInclusiveHighExclusive) {
  SearchSpace s = Space({{"r", {{"_type", "randint"}, {"_value", {2, 5}}}}});
  EXPECT_EQ(s.params()[0].DiscreteCount(), 3);
  std::mt19937_64 rng(1);
  std::set<int64_t> seen;
  for (int i = 0; i < 300; ++i) {
    json v = s.Sample(rng)["r"];
    ASSERT_TRUE(v.is_number_integer()) << v;
    seen.insert(v.get<int64_t>());
  }
  EXPECT_EQ(seen, (std::set<int64_t>{2, 3, 4}));
  EXPECT_TRUE(s.Contains({{"r", 2}}));
  EXPECT_TRUE(s.Contains({{"r", 4}}));
  EXPECT_FALSE(s.Contains({{"r", 5}}));
  EXPECT_FALSE(s.Contains({{"r", 1}}));
  EXPECT_FALSE(s.Contains({{"r", 3.0}}));  // an integer parameter takes integers
}

TEST(SearchSpaceTest, SamplesStayInsideTheSpace) {
  SearchSpace s = Space(kAllTypes);
  std::mt19937_64 rng(42);
  std::set<std::string> nested_names;
  for (int i = 0; i < 500; ++i) {
    json config = s.Sample(rng);
    std::string why;
    ASSERT_TRUE(s.Contains(config, &why)) << config << ": " << why;
    EXPECT_GT(config["lu"].get<double>(), 0);
    EXPECT_GE(config["ln"].get<double>(), 0);
    nested_names.insert(config["opt"]["_name"].get<std::string>());
  }
  EXPECT_EQ(nested_names, (std::set<std::string>{"sgd", "adam", "plain"}));
}

TEST(SearchSpaceTest, NestedChoiceValueCarriesNameAndTheOptionsOwnParameters) {
  SearchSpace s = Space(kAllTypes);
  std::mt19937_64 rng(5);
  json base = s.Sample(rng);
  base["opt"] = {{"_name", "sgd"}, {"lr", 0.01}};
  std::string why;
  EXPECT_TRUE(s.Contains(base, &why)) << why;
  base["opt"] = {{"_name", "sgd"}, {"beta", 0.9}};  // adam's parameter under sgd
  EXPECT_FALSE(s.Contains(base, &why));
  EXPECT_NE(why.find("opt"), std::string::npos) << why;
  base["opt"] = {{"_name", "rmsprop"}};
  EXPECT_FALSE(s.Contains(base, &why));
  EXPECT_NE(why.find("rmsprop"), std::string::npos) << why;
  base["opt"] = "plain";  // a nested choice's value is an object
  EXPECT_FALSE(s.Contains(base));
  base["opt"] = {{"_name", "plain"}};
  EXPECT_TRUE(s.Contains(base));
}

TEST(SearchSpaceTest, ContainsRejectsWhatIsOutside) {
  SearchSpace s = Space({{"u", {{"_type", "uniform"}, {"_value", {-1, 1}}}},
                         {"q", {{"_type", "quniform"}, {"_value", {2, 10, 5}}}},
                         {"c", {{"_type", "choice"}, {"_value", {"a", 2}}}},
                         {"ln", {{"_type", "lognormal"}, {"_value", {0, 1}}}}});
  json ok = {{"u", 0.5}, {"q", 5.0}, {"c", "a"}, {"ln", 3.0}};
  std::string why;
  ASSERT_TRUE(s.Contains(ok, &why)) << why;
  auto with = [&](const std::string& key, json value) {
    json c = ok;
    c[key] = std::move(value);
    return c;
  };
  EXPECT_TRUE(s.Contains(with("q", 2)));     // the clipped low bound is a value
  EXPECT_TRUE(s.Contains(with("q", 10)));
  EXPECT_TRUE(s.Contains(with("c", 2.0)));  // 2 == 2.0
  EXPECT_TRUE(s.Contains(with("u", 1)));    // bounds are inside
  EXPECT_FALSE(s.Contains(with("u", 1.0001), &why));
  EXPECT_NE(why.find("outside"), std::string::npos) << why;
  EXPECT_FALSE(s.Contains(with("q", 7.5), &why));
  EXPECT_NE(why.find("multiple of q"), std::string::npos) << why;
  EXPECT_FALSE(s.Contains(with("c", "b")));
  EXPECT_FALSE(s.Contains(with("u", "0.5")));
  EXPECT_FALSE(s.Contains(with("ln", -1.0)));
  EXPECT_FALSE(s.Contains(with("extra", 1), &why));
  EXPECT_NE(why.find("unknown parameter 'extra'"), std::string::npos) << why;
  json missing = ok;
  missing.erase("c");
  EXPECT_FALSE(s.Contains(missing, &why));
  EXPECT_NE(why.find("missing parameter 'c'"), std::string::npos) << why;
  EXPECT_FALSE(s.Contains(json::array()));
}

TEST(SearchSpaceTest, ToJsonRoundTrips) {
  SearchSpace s = Space(kAllTypes);
  json out = s.ToJson();
  EXPECT_EQ(out, kAllTypes);
  SearchSpace again = Space(out);
  EXPECT_EQ(again.ToJson(), out);
  EXPECT_EQ(out["ri"]["_value"], (json{2, 9}));
  EXPECT_TRUE(out["ri"]["_value"][0].is_number_integer());
}

TEST(SearchSpaceTest, DiscreteSizeSumsNestedOptions) {
  SearchSpace s = Space(json::parse(R"({
    "c": {"_type": "choice", "_value": ["a", "b", "c"]},
    "r": {"_type": "randint", "_value": [0, 2]},
    "q": {"_type": "quniform", "_value": [0, 1, 0.5]},
    "n": {"_type": "choice", "_value": [
      {"_name": "x", "k": {"_type": "choice", "_value": [1, 2]}},
      {"_name": "y"}]}})"));
  EXPECT_EQ(s.DiscreteSize(), 3 * 2 * 3 * (2 + 1));
}

TEST(SearchSpaceTest, EmptyOrNullSpaceIsValidAndEmpty) {
  EXPECT_TRUE(Space(json::object()).empty());
  Diagnostics diag;
  auto space = SearchSpace::Parse(ConfigNode::Null({"x.yaml", 1, 1}), "searchSpace", diag);
  ASSERT_TRUE(space.has_value());
  EXPECT_TRUE(space->empty());
  EXPECT_TRUE(space->Contains(json::object()));
}

// Each invalid spec, with the exact diagnostic (file:line:col: error: path: message).
struct BadSpace {
  const char* name;
  const char* yaml;
  const char* expected;
};

const BadSpace kBadSpaces[] = {
    {"NotAMap", "[1, 2]\n", "space.yaml:1:1: error: searchSpace: a search space must be a map"},
    {"SpecNotAMap", "lr: 0.1\n", "space.yaml:1:5: error: searchSpace.lr: expected a map with '_type' and '_value'"},
    {"MissingType", "lr:\n  _value: [0, 1]\n", "space.yaml:2:3: error: searchSpace.lr: missing '_type'"},
    {"MissingValue", "lr:\n  _type: uniform\n", "space.yaml:2:3: error: searchSpace.lr: missing '_value'"},
    {"UnknownTypeDidYouMean", "lr:\n  _type: unifrom\n  _value: [0, 1]\n",
     "space.yaml:2:10: error: searchSpace.lr._type: expected one of {choice, randint, uniform"},
    {"UnknownKeyDidYouMean", "lr:\n  _type: uniform\n  _values: [0, 1]\n",
     "space.yaml:3:3: error: searchSpace.lr._values: unknown key in a parameter spec (expected '_type' and "
     "'_value'); did you mean '_value'?"},
    {"ValueNotAList", "lr:\n  _type: uniform\n  _value: 3\n",
     "space.yaml:3:11: error: searchSpace.lr._value: must be a list, but got the integer 3"},
    {"WrongArity", "lr:\n  _type: quniform\n  _value: [0, 1]\n",
     "space.yaml:3:11: error: searchSpace.lr._value: quniform needs 3 values [low, high, q], but got 2"},
    {"NotANumber", "lr:\n  _type: uniform\n  _value: [0, abc]\n",
     "space.yaml:3:15: error: searchSpace.lr._value[1]: must be a finite number, but got the string 'abc'"},
    {"LowAboveHigh", "lr:\n  _type: uniform\n  _value: [2, 1]\n",
     "space.yaml:3:11: error: searchSpace.lr._value: low <= high must hold, but got low=2, high=1"},
    {"LogNeedsPositiveLow", "lr:\n  _type: loguniform\n  _value: [0, 1]\n",
     "space.yaml:3:12: error: searchSpace.lr._value[0]: loguniform needs low > 0, but got 0"},
    {"SigmaPositive", "lr:\n  _type: normal\n  _value: [0, -1]\n",
     "space.yaml:3:15: error: searchSpace.lr._value[1]: sigma > 0 must hold, but got -1"},
    {"QPositive", "lr:\n  _type: qnormal\n  _value: [0, 1, 0]\n",
     "space.yaml:3:18: error: searchSpace.lr._value[2]: q > 0 must hold, but got 0"},
    {"RandintFloatBounds", "n:\n  _type: randint\n  _value: [1.5, 4]\n",
     "space.yaml:3:11: error: searchSpace.n._value: randint bounds must be integers"},
    {"RandintEmptyRange", "n:\n  _type: randint\n  _value: [4, 4]\n",
     "space.yaml:3:11: error: searchSpace.n._value: randint needs lower < upper (upper is exclusive, so this range "
     "holds no integer; [4, 5] holds just 4), but got [4, 4]"},
    {"RandintReversedRange", "n:\n  _type: randint\n  _value: [5, 4]\n",
     "space.yaml:3:11: error: searchSpace.n._value: randint needs lower < upper (upper is exclusive), but got [5, 4]"},
    {"EmptyChoice", "c:\n  _type: choice\n  _value: []\n",
     "space.yaml:3:11: error: searchSpace.c._value: choice needs at least one option"},
    {"DuplicateChoice", "c:\n  _type: choice\n  _value: [a, b, a]\n",
     "space.yaml:3:18: error: searchSpace.c._value[2]: duplicate choice option \"a\""},
    {"ChoiceOfLists", "c:\n  _type: choice\n  _value: [[1, 2]]\n",
     "space.yaml:3:12: error: searchSpace.c._value[0]: choice options must be numbers, strings, booleans or null"},
    {"MixedNestedChoice", "c:\n  _type: choice\n  _value: [{_name: a}, b]\n",
     "space.yaml:3:11: error: searchSpace.c._value: a nested choice needs every option to be a map with '_name'"},
    {"BadSpecInsideNestedChoice", "c:\n  _type: choice\n  _value:\n    - _name: a\n      lr: {_type: uniform, _value: [2, 1]}\n",
     "space.yaml:5:36: error: searchSpace.c._value[0].lr._value: low <= high must hold"},
    {"DuplicateParameter", "lr:\n  _type: uniform\n  _value: [0, 1]\nlr:\n  _type: uniform\n  _value: [0, 2]\n",
     "space.yaml:4:1: error: lr: duplicate key"},
};

void PrintTo(const BadSpace& bad, std::ostream* os) { *os << bad.name; }

class SearchSpaceInvalidTest : public ::testing::TestWithParam<BadSpace> {};

TEST_P(SearchSpaceInvalidTest, IsAnErrorAtItsPosition) {
  std::string errors = ParseErrors(GetParam().yaml);
  EXPECT_NE(errors.find(GetParam().expected), std::string::npos) << "got:\n" << errors;
}

INSTANTIATE_TEST_SUITE_P(BadSpaces, SearchSpaceInvalidTest, ::testing::ValuesIn(kBadSpaces),
                         [](const ::testing::TestParamInfo<BadSpace>& info) { return info.param.name; });

TEST(SearchSpaceTest, ReportsEveryErrorAtOnce) {
  std::string errors = ParseErrors("a:\n  _type: uniform\n  _value: [1, 0]\nb:\n  _type: nope\n  _value: [0]\n");
  EXPECT_NE(errors.find("space.yaml:3:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("space.yaml:5:"), std::string::npos) << errors;
}

TEST(SearchSpaceTest, FromJsonErrorsAreInvalidArgument) {
  auto s = SearchSpace::FromJson({{"lr", {{"_type", "uniform"}, {"_value", {1, 0}}}}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("lr._value: low <= high must hold"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace hone
