// medianstop against NNI's documented rule, transcribed independently from NNI's
// MedianstopAssessor (nni/algorithms/hpo/medianstop_assessor.py): a trial at step S is
// stopped when its best value so far is strictly worse than the median of the running
// averages, at step S, of the completed trials that reached S (lower median for
// maximize, upper for minimize). Random histories, both modes, several start steps.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "assessors/median_stop_assessor.h"
#include "assessor_test_util.h"

namespace hone {
namespace {

using testing_util::History;
using testing_util::Running;

// NNI: _completed_avg_history[id] = running averages; assess_trial as in NNI's source.
Verdict NniRule(const std::vector<double>& trial, const std::vector<std::vector<double>>& completed,
                bool high_better, size_t start_step) {
  size_t curr_step = trial.size();
  if (curr_step < start_step) return Verdict::kContinue;
  double best = high_better ? *std::max_element(trial.begin(), trial.end()) : *std::min_element(trial.begin(), trial.end());
  std::vector<double> avg_array;
  for (const auto& history : completed) {
    std::vector<double> avg;
    double sum = 0;
    for (size_t i = 0; i < history.size(); ++i) avg.push_back((sum += history[i]) / static_cast<double>(i + 1));
    if (avg.size() >= curr_step) avg_array.push_back(avg[curr_step - 1]);
  }
  if (avg_array.empty()) return Verdict::kContinue;
  std::sort(avg_array.begin(), avg_array.end());
  if (high_better) {
    double median = avg_array[(avg_array.size() - 1) / 2];
    return best < median ? Verdict::kStop : Verdict::kContinue;
  }
  double median = avg_array[avg_array.size() / 2];
  return best > median ? Verdict::kStop : Verdict::kContinue;
}

TEST(MedianStopNniRuleTest, VerdictsMatchNnisRuleOnRandomHistories) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> value(0, 1);
  std::uniform_int_distribution<int> length(1, 8), count(0, 7), start(0, 4);
  int stops = 0, total = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::vector<double>> completed(count(rng));
    std::vector<TrialRecord> finished;
    for (auto& h : completed) {
      h.resize(length(rng));
      for (double& v : h) v = value(rng);
      finished.push_back(History(h));
    }
    // A failed trial and an early-stopped one: NNI only averages completed trials.
    finished.push_back(History({0.99, 0.99, 0.99}, TrialStatus::kFailed));
    finished.push_back(History({0.0, 0.0, 0.0}, TrialStatus::kEarlyStopped));
    std::vector<double> trial(length(rng));
    for (double& v : trial) v = 0.7 * value(rng);  // a weaker trial, so that both verdicts occur
    size_t start_step = static_cast<size_t>(start(rng));
    for (bool high_better : {true, false}) {
      AssessorContext ctx;
      ctx.mode = high_better ? OptimizeMode::kMaximize : OptimizeMode::kMinimize;
      ctx.class_args = {{"start_step", start_step}};
      auto assessor = MedianStopAssessor::Create(ctx);
      ASSERT_TRUE(assessor.ok());
      Verdict want = NniRule(trial, completed, high_better, start_step);
      EXPECT_EQ((*assessor)->Assess(Running(trial), finished), want) << "round " << round;
      stops += want == Verdict::kStop;
      ++total;
    }
  }
  // The comparison means something only when both verdicts occur often.
  EXPECT_GT(stops, total / 20);
  EXPECT_LT(stops, total * 9 / 10);
}

}  // namespace
}  // namespace hone
