// The Assessor contract (assessors/assessor.h), run over every assessor
// RegisterBuiltinAssessors adds: a new built-in is covered by adding it to the table.
#include <limits>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "assessors/builtin_assessors.h"

namespace hone {
namespace {

using nlohmann::json;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// classArgs an assessor cannot do without (every other one runs on its defaults).
const std::map<std::string, json> kRequiredArgs = {{"threshold", {{"threshold", 0.5}}}};

std::vector<std::string> BuiltinAssessorNames() {
  Registry registry;
  RegisterBuiltinAssessors(registry);
  return registry.AssessorNames();
}

TrialRecord Trial(std::vector<double> values, TrialStatus status, int64_t seq) {
  TrialRecord r;
  r.seq = seq;
  r.id = std::to_string(seq);
  r.status = status;
  for (size_t i = 0; i < values.size(); ++i) r.intermediate.push_back({static_cast<int64_t>(i + 1), values[i]});
  if (status == TrialStatus::kSucceeded && !values.empty()) r.final_value = values.back();
  return r;
}

// Finished trials of every kind, including ones without any metric and with NaN/Inf.
std::vector<TrialRecord> MixedFinished() {
  std::vector<TrialRecord> out = {
      Trial({0.1, 0.3, 0.5, 0.6}, TrialStatus::kSucceeded, 0),
      Trial({0.2, 0.4, 0.7, 0.9}, TrialStatus::kSucceeded, 1),
      Trial({0.5, 0.6, 0.8, 0.8}, TrialStatus::kSucceeded, 2),
      Trial({}, TrialStatus::kFailed, 3),
      Trial({0.05}, TrialStatus::kEarlyStopped, 4),
      Trial({kNan, kNan, kNan, kNan}, TrialStatus::kSucceeded, 5),
      Trial({kInf, -kInf, 0.1, kNan}, TrialStatus::kSucceeded, 6),
      Trial({0.3, 0.3}, TrialStatus::kTimeout, 7),
  };
  out[5].final_value = kNan;
  return out;
}

class AssessorContractTest : public testing::TestWithParam<std::string> {
 protected:
  AssessorContractTest() { RegisterBuiltinAssessors(registry_); }

  std::unique_ptr<Assessor> Make(OptimizeMode mode = OptimizeMode::kMaximize) {
    const AssessorInfo* info = registry_.FindAssessor(GetParam());
    EXPECT_NE(info, nullptr);
    if (!info) return nullptr;
    AssessorContext ctx;
    ctx.mode = mode;
    if (auto it = kRequiredArgs.find(GetParam()); it != kRequiredArgs.end()) ctx.class_args = it->second;
    auto assessor = info->create(ctx);
    EXPECT_TRUE(assessor.ok()) << assessor.status().message();
    return assessor.ok() ? std::move(*assessor) : nullptr;
  }

  // Every running history the contract cares about, step by step.
  static std::vector<TrialRecord> RunningTrials() {
    std::vector<TrialRecord> out;
    for (const auto& values : std::vector<std::vector<double>>{
             {0.01, 0.02, 0.03, 0.04}, {0.9, 0.95, 0.99, 1.0}, {kNan, 0.5, kNan, 0.5},
             {kInf, -kInf, 0.2, 0.2}, {kNan, kNan, kNan, kNan}, {-1e308, 1e308, 0, 0}}) {
      for (size_t n = 1; n <= values.size(); ++n)
        out.push_back(Trial(std::vector<double>(values.begin(), values.begin() + n),
                            TrialStatus::kRunning, 100));
    }
    return out;
  }

  Registry registry_;
};

TEST_P(AssessorContractTest, NameIsTheRegisteredName) { EXPECT_EQ(Make()->Name(), GetParam()); }

TEST_P(AssessorContractTest, NoHistoryMeansContinue) {
  for (OptimizeMode mode : {OptimizeMode::kMaximize, OptimizeMode::kMinimize}) {
    auto assessor = Make(mode);
    TrialRecord empty = Trial({}, TrialStatus::kRunning, 100);
    EXPECT_EQ(assessor->Assess(empty, {}), Verdict::kContinue);
    EXPECT_EQ(assessor->Assess(empty, MixedFinished()), Verdict::kContinue);
  }
}

TEST_P(AssessorContractTest, AnyHistoryGetsAVerdictWithOrWithoutFinishedTrials) {
  auto assessor = Make();
  std::vector<TrialRecord> finished = MixedFinished();
  for (const TrialRecord& trial : RunningTrials()) {
    for (std::span<const TrialRecord> f : {std::span<const TrialRecord>(), std::span<const TrialRecord>(finished)}) {
      Verdict v = assessor->Assess(trial, f);
      EXPECT_TRUE(v == Verdict::kContinue || v == Verdict::kStop);
    }
  }
}

TEST_P(AssessorContractTest, VerdictsAreDeterministicAndStateless) {
  std::vector<TrialRecord> finished = MixedFinished();
  for (OptimizeMode mode : {OptimizeMode::kMaximize, OptimizeMode::kMinimize}) {
    auto first = Make(mode);
    std::vector<Verdict> a, b, c;
    for (const TrialRecord& t : RunningTrials()) a.push_back(first->Assess(t, finished));
    for (const TrialRecord& t : RunningTrials()) b.push_back(first->Assess(t, finished));
    // A fresh assessor that has never seen the earlier steps decides the same.
    auto fresh = Make(mode);
    std::vector<TrialRecord> trials = RunningTrials();
    for (size_t i = trials.size(); i-- > 0;) c.insert(c.begin(), fresh->Assess(trials[i], finished));
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, c);
  }
}

INSTANTIATE_TEST_SUITE_P(Builtin, AssessorContractTest, testing::ValuesIn(BuiltinAssessorNames()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace hone
