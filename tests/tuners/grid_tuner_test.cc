#include "tuners/grid_tuner.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;
using tuner_test::Take;

std::vector<double> Values(const std::vector<json>& configs, const char* key) {
  std::vector<double> out;
  for (const json& c : configs) out.push_back(c[key].get<double>());
  return out;
}

TEST(GridTunerTest, UniformIsSubdividedInHalvingEpochs) {
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [0, 1]}})");
  GridTuner tuner(space);
  EXPECT_EQ(Values(Take(tuner, 1), "x"), (std::vector<double>{0.5}));
  EXPECT_EQ(Values(Take(tuner, 2), "x"), (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(Values(Take(tuner, 4), "x"), (std::vector<double>{0.125, 0.375, 0.625, 0.875}));
  EXPECT_EQ(Values(Take(tuner, 1), "x"), (std::vector<double>{0.0625}));
  EXPECT_FALSE(tuner.IsExhausted());
}

TEST(GridTunerTest, UniformPointsScaleToTheRange) {
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [-2, 6]}})");
  GridTuner tuner(space);
  EXPECT_EQ(Values(Take(tuner, 3), "x"), (std::vector<double>{2, 0, 4}));
}

TEST(GridTunerTest, QuniformTakesEveryValueThenIsExhausted) {
  SearchSpace space = Space(R"({"x": {"_type": "quniform", "_value": [0, 10, 2.5]}})");
  GridTuner tuner(space);
  EXPECT_EQ(Values(Take(tuner, 10), "x"), (std::vector<double>{0, 2.5, 5, 7.5, 10}));
  EXPECT_TRUE(tuner.IsExhausted());
  auto more = tuner.Suggest(1);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kExhausted);
  EXPECT_NE(more.status().message().find("5 configurations"), std::string::npos);

  SearchSpace clipped = Space(R"({"x": {"_type": "quniform", "_value": [2, 10, 5]}})");
  GridTuner tuner2(clipped);
  EXPECT_EQ(Values(Take(tuner2, 10), "x"), (std::vector<double>{2, 5, 10}));
}

TEST(GridTunerTest, DiscreteDimsCombineWithTheLastVaryingFastest) {
  SearchSpace space = Space(R"({
    "a": {"_type": "choice", "_value": ["x", "y"]},
    "b": {"_type": "randint", "_value": [0, 3]}})");
  GridTuner tuner(space);
  std::vector<json> all = Take(tuner, 10);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0], json::parse(R"({"a": "x", "b": 0})"));
  EXPECT_EQ(all[1], json::parse(R"({"a": "x", "b": 1})"));
  EXPECT_EQ(all[3], json::parse(R"({"a": "y", "b": 0})"));
  EXPECT_EQ(all[5], json::parse(R"({"a": "y", "b": 2})"));
  EXPECT_TRUE(tuner.IsExhausted());
}

TEST(GridTunerTest, EachEpochEmitsOnlyCombinationsWithANewPoint) {
  SearchSpace space = Space(R"({
    "c": {"_type": "choice", "_value": ["a", "b"]},
    "x": {"_type": "uniform", "_value": [0, 1]}})");
  GridTuner tuner(space);
  std::vector<json> epoch1 = Take(tuner, 2);
  EXPECT_EQ(epoch1, (std::vector<json>{{{"c", "a"}, {"x", 0.5}}, {{"c", "b"}, {"x", 0.5}}}));
  std::vector<json> epoch2 = Take(tuner, 4);
  EXPECT_EQ(epoch2, (std::vector<json>{{{"c", "a"}, {"x", 0.25}}, {{"c", "a"}, {"x", 0.75}},
                                       {{"c", "b"}, {"x", 0.25}}, {{"c", "b"}, {"x", 0.75}}}));
  EXPECT_EQ(Take(tuner, 1), (std::vector<json>{{{"c", "a"}, {"x", 0.125}}}));
}

TEST(GridTunerTest, TwoContinuousDimsGiveEightNewCombinationsInEpochTwo) {
  SearchSpace space = Space(R"({
    "x": {"_type": "uniform", "_value": [0, 1]},
    "y": {"_type": "uniform", "_value": [0, 1]}})");
  GridTuner tuner(space);
  std::vector<json> configs = Take(tuner, 1 + 8 + 40);  // epochs 1, 2, 3 (7*7 - 3*3 = 40)
  std::set<std::string> keys;
  for (const json& c : configs) keys.insert(ConfigKey(c));
  EXPECT_EQ(keys.size(), configs.size());
  for (size_t i = 1; i < 9; ++i) {
    double x = configs[i]["x"], y = configs[i]["y"];
    for (double v : {x, y}) EXPECT_TRUE(v == 0.25 || v == 0.5 || v == 0.75);
  }
  for (size_t i = 9; i < configs.size(); ++i) {
    double x = configs[i]["x"], y = configs[i]["y"];
    bool new_point = std::fmod(x * 8, 2) == 1 || std::fmod(y * 8, 2) == 1;
    EXPECT_TRUE(new_point) << configs[i].dump();
  }
  EXPECT_EQ(Take(tuner, 1)[0], json::parse(R"({"x": 0.5, "y": 0.0625})"));
}

TEST(GridTunerTest, LogKindsAreSubdividedInLogSpace) {
  SearchSpace space = Space(R"({"x": {"_type": "loguniform", "_value": [1, 10000]}})");
  GridTuner tuner(space);
  std::vector<double> v = Values(Take(tuner, 3), "x");
  EXPECT_NEAR(v[0], 100, 1e-9);
  EXPECT_NEAR(v[1], 10, 1e-9);
  EXPECT_NEAR(v[2], 1000, 1e-9);
}

TEST(GridTunerTest, NormalKindsUseQuantilesOfThePoints) {
  SearchSpace space = Space(R"({
    "l": {"_type": "lognormal", "_value": [1, 0.5]},
    "n": {"_type": "normal", "_value": [10, 2]}})");
  GridTuner tuner(space);
  std::vector<json> configs = Take(tuner, 1 + 8);
  EXPECT_NEAR(configs[0]["n"].get<double>(), 10, 1e-12);
  EXPECT_NEAR(configs[0]["l"].get<double>(), std::exp(1.0), 1e-12);
  // Epoch 2 order: l at its old point first, n at the quartiles.
  EXPECT_NEAR(configs[1]["n"].get<double>(), 10 - 2 * 0.6744897501960817, 1e-9);
  EXPECT_NEAR(configs[2]["n"].get<double>(), 10 + 2 * 0.6744897501960817, 1e-9);
  EXPECT_NEAR(configs[3]["l"].get<double>(), std::exp(1 - 0.5 * 0.6744897501960817), 1e-9);
}

TEST(GridTunerTest, QRoundingDuplicatesAreDropped) {
  // qnormal(0, 1, 1): 0; then -1, 1; the 1/8 points all round onto those; the 1/16
  // points reach -2 and 2.
  SearchSpace space = Space(R"({"x": {"_type": "qnormal", "_value": [0, 1, 1]}})");
  GridTuner tuner(space);
  EXPECT_EQ(Values(Take(tuner, 5), "x"), (std::vector<double>{0, -1, 1, -2, 2}));
  EXPECT_FALSE(tuner.IsExhausted());
}

TEST(GridTunerTest, NestedChoiceEnumeratesEachOptionsOwnSubSpace) {
  SearchSpace space = Space(R"({
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "choice", "_value": [0.1, 0.01]},
                       "nesterov": {"_type": "choice", "_value": [true, false]}},
      {"_name": "adam"}]},
    "z": {"_type": "randint", "_value": [0, 2]}})");
  GridTuner tuner(space);
  std::vector<json> all = Take(tuner, 100);
  ASSERT_EQ(all.size(), (4u + 1u) * 2u);
  std::set<std::string> keys;
  for (const json& c : all) {
    std::string why;
    EXPECT_TRUE(space.Contains(c, &why)) << c.dump() << ": " << why;
    keys.insert(ConfigKey(c));
    EXPECT_EQ(c["opt"].size(), c["opt"]["_name"] == "sgd" ? 3u : 1u) << c.dump();
  }
  EXPECT_EQ(keys.size(), all.size());
  EXPECT_EQ(all[0], json::parse(R"({"opt": {"_name": "sgd", "lr": 0.1, "nesterov": true}, "z": 0})"));
  EXPECT_EQ(all.back(), json::parse(R"({"opt": {"_name": "adam"}, "z": 1})"));
  EXPECT_TRUE(tuner.IsExhausted());
}

TEST(GridTunerTest, NestedContinuousParamsAreSubdividedOnlyUnderTheirOption) {
  SearchSpace space = Space(R"({
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "uniform", "_value": [0, 1]}},
      {"_name": "adam"}]}})");
  GridTuner tuner(space);
  std::vector<json> configs = Take(tuner, 4);
  EXPECT_EQ(configs, (std::vector<json>{json::parse(R"({"opt": {"_name": "sgd", "lr": 0.5}})"),
                                        json::parse(R"({"opt": {"_name": "adam"}})"),
                                        json::parse(R"({"opt": {"_name": "sgd", "lr": 0.25}})"),
                                        json::parse(R"({"opt": {"_name": "sgd", "lr": 0.75}})")}));
}

TEST(GridTunerTest, ResumeSkipsReplayedConfigurationsAndKeepsTheOrder) {
  SearchSpace space = Space(R"({
    "c": {"_type": "choice", "_value": ["a", "b"]},
    "x": {"_type": "uniform", "_value": [0, 1]}})");
  GridTuner uninterrupted(space);
  std::vector<json> all = Take(uninterrupted, 10);
  std::vector<TrialRecord> finished;
  for (size_t i = 0; i < 5; ++i) {
    TrialRecord r;
    r.seq = i;
    r.status = i == 2 ? TrialStatus::kFailed : TrialStatus::kSucceeded;
    r.params = all[i];
    if (i != 2) r.final_value = 1.0 * i;
    finished.push_back(r);
  }
  GridTuner resumed(space);
  resumed.Update(finished, {});
  EXPECT_EQ(Take(resumed, 5), std::vector<json>(all.begin() + 5, all.end()));
}

TEST(GridTunerTest, SeedIsIgnoredAndCreateAcceptsOptimizeMode) {
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [0, 1]}})");
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = 1;
  ctx.class_args = {{"optimize_mode", "minimize"}};
  auto a = GridTuner::Create(ctx);
  ctx.seed = 2;
  auto b = GridTuner::Create(ctx);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Take(**a, 7), Take(**b, 7));
}

TEST(GridTunerTest, EmptySpaceYieldsOneEmptyConfiguration) {
  SearchSpace space;
  GridTuner tuner(space);
  EXPECT_EQ(Take(tuner, 3), std::vector<json>{json::object()});
  EXPECT_TRUE(tuner.IsExhausted());
}

}  // namespace
}  // namespace hone
