#include "tuners/ask_tell.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "tuners/builtin_tuners.h"
#include "tuners/config_key.h"

namespace hone {
namespace {

using nlohmann::json;

const json kSpace = json::parse(R"({
  "x": {"_type": "uniform", "_value": [-5, 5]},
  "c": {"_type": "choice", "_value": ["a", "b"]}})");

class AskTellTest : public testing::Test {
 protected:
  AskTellTest() { RegisterBuiltinTuners(registry_); }
  std::unique_ptr<AskTellStudy> Study(const std::string& tuner, json args = json::object(),
                                      OptimizeMode mode = OptimizeMode::kMinimize) {
    auto s = AskTellStudy::Create(registry_, tuner, kSpace, args, 3, mode);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  Registry registry_;
};

TEST_F(AskTellTest, NumbersTrialsAndTracksTheBest) {
  auto study = Study("random");
  auto batch = study->Ask(3);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*batch)[i].trial, i);
  ASSERT_TRUE(study->Tell(1, 2.0).ok());
  ASSERT_TRUE(study->Tell(0, 5.0).ok());
  ASSERT_TRUE(study->TellFailed(2).ok());
  ASSERT_TRUE(study->best().has_value());
  EXPECT_EQ(study->best()->trial, 1);
  EXPECT_EQ(study->best()->value, 2.0);
  EXPECT_EQ(study->best()->params, (*batch)[1].params);
  EXPECT_EQ(study->asked(), 3);
}

TEST_F(AskTellTest, MaximizeKeepsTheLargest) {
  auto study = Study("random", json::object(), OptimizeMode::kMaximize);
  auto batch = study->Ask(2);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(study->Tell(0, 1.0).ok());
  ASSERT_TRUE(study->Tell(1, 4.0).ok());
  EXPECT_EQ(study->best()->trial, 1);
}

TEST_F(AskTellTest, NanIsNeverTheBest) {
  auto study = Study("random");
  ASSERT_TRUE(study->Ask(2).ok());
  ASSERT_TRUE(study->Tell(0, NAN).ok());
  EXPECT_FALSE(study->best().has_value());
  ASSERT_TRUE(study->Tell(1, 3.0).ok());
  EXPECT_EQ(study->best()->trial, 1);
}

TEST_F(AskTellTest, RejectsUnknownOrRepeatedTrials) {
  auto study = Study("random");
  ASSERT_TRUE(study->Ask(1).ok());
  EXPECT_EQ(study->Tell(7, 1.0).code(), StatusCode::kNotFound);
  ASSERT_TRUE(study->Tell(0, 1.0).ok());
  EXPECT_EQ(study->Tell(0, 1.0).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(study->TellFailed(0).code(), StatusCode::kFailedPrecondition);
}

TEST_F(AskTellTest, ValidatesTunerArgsAndSpace) {
  auto bad = [&](const std::string& tuner, json args, json space = kSpace) {
    auto s = AskTellStudy::Create(registry_, tuner, space, args, 1, OptimizeMode::kMinimize);
    EXPECT_FALSE(s.ok()) << tuner << " " << args.dump();
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    }
    return s.ok() ? std::string() : s.status().message();
  };
  EXPECT_NE(bad("nosuch", json::object()).find("unknown tuner"), std::string::npos);
  EXPECT_NE(bad("random", {{"sede", 1}}).find("classArgs.sede"), std::string::npos);
  EXPECT_NE(bad("random", {{"seed", "x"}}).find("integer"), std::string::npos);
  EXPECT_NE(bad("evolution", {{"population_size", 0}}).find("population_size"), std::string::npos);
  bad("random", {{"optimize_mode", "sideways"}});
  bad("random", {{"optimize_mode", "maximize"}});  // contradicts kMinimize
  bad("random", json::object(), json::parse(R"({"x": {"_type": "uniform", "_value": [1]}})"));
  EXPECT_TRUE(AskTellStudy::Create(registry_, "Evolution", kSpace, {{"optimize_mode", "minimize"}}, 1,
                                   OptimizeMode::kMinimize).ok());
}

TEST_F(AskTellTest, SameSeedSameSequence) {
  auto run = [&] {
    auto study = Study("evolution", {{"population_size", 4}});
    std::vector<json> seen;
    for (int i = 0; i < 20; ++i) {
      auto batch = study->Ask(1);
      EXPECT_TRUE(batch.ok() && batch->size() == 1u);
      if (!batch.ok() || batch->empty()) break;
      const json& p = (*batch)[0].params;
      seen.push_back(p);
      EXPECT_TRUE(study->Tell((*batch)[0].trial, p["x"].get<double>() * p["x"].get<double>()).ok());
    }
    return seen;
  };
  EXPECT_EQ(run(), run());
}

TEST_F(AskTellTest, ExhaustedFiniteSpaceIsReported) {
  json space = json::parse(R"({"c": {"_type": "choice", "_value": [1, 2, 3]}})");
  auto s = AskTellStudy::Create(registry_, "grid", space, json::object(), 1, OptimizeMode::kMinimize);
  ASSERT_TRUE(s.ok());
  auto batch = (*s)->Ask(5);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->size(), 3u);
  for (const auto& sug : *batch) ASSERT_TRUE((*s)->Tell(sug.trial, 1.0).ok());
  EXPECT_EQ((*s)->Ask(1).status().code(), StatusCode::kExhausted);
}

}  // namespace
}  // namespace hone
