// AMC as a hone tuner, in process (compress/amc/amc_policy_tuner.h): suggestions are
// policies the wall applied and that meet the budget; the agent learns from finished
// trials in seq order whatever order they finish in; and a fresh tuner given the whole
// history at once (hone's resume) suggests what the uninterrupted one suggests next.
#include "compress/amc/amc_policy_tuner.h"

#include <cmath>

#include <gtest/gtest.h>

#include "torch_test_util.h"

namespace hone::compress {
namespace {

AmcPolicyTuner MakeTuner(uint64_t seed, int warmup = 3) {
  testing::Net net = testing::ZooNet("resnet20", 8, 16);
  auto env = AmcEnvironment::Create(net.graph, AnalyzeChannels(net.graph), {.flops_ratio = 0.5, .round_to = 4});
  EXPECT_TRUE(env.ok()) << env.status().message();
  return AmcPolicyTuner(std::move(*env), {.agent = {.warmup_episodes = warmup, .seed = seed}});
}

// A toy reward peaked at keep ratio 0.6 everywhere.
double Reward(const std::vector<double>& keeps) {
  double r = 1;
  for (double k : keeps) r -= (k - 0.6) * (k - 0.6);
  return r;
}

// Runs `n` trials two at a time, the later of each pair finishing first; returns them.
std::vector<AmcFinishedTrial> RunPairs(AmcPolicyTuner& tuner, int n) {
  std::vector<AmcFinishedTrial> done;
  for (int64_t seq = 0; seq < n; seq += 2) {
    auto batch = tuner.Suggest(2);
    EXPECT_EQ(batch.size(), 2u);
    AmcFinishedTrial a{seq, batch[0], Reward(batch[0])}, b{seq + 1, batch[1], Reward(batch[1])};
    tuner.Update({b}, {{seq, batch[0]}});
    EXPECT_EQ(tuner.waiting(), 1) << "trial " << seq + 1 << " waits for trial " << seq;
    tuner.Update({a}, {});
    EXPECT_EQ(tuner.waiting(), 0);
    done.push_back(a);
    done.push_back(b);
  }
  return done;
}

TEST(AmcTunerResumeTest, SuggestionsAreAppliedKeepRatiosWithinTheBudget) {
  AmcPolicyTuner tuner = MakeTuner(1);
  AmcEnvironment env = tuner.env();
  for (const auto& policy : tuner.Suggest(8)) {
    ASSERT_EQ(policy.size(), env.layers().size());
    EXPECT_EQ(env.RunPolicy(policy), policy) << "the wall leaves an applied policy as it is";
    EXPECT_LE(env.Flops(), env.TargetFlops());
    for (size_t t = 0; t < policy.size(); ++t) EXPECT_GE(policy[t], 0.2 - 1e-9);
  }
}

TEST(AmcTunerResumeTest, SameSeedSameSuggestionsOtherSeedOthers) {
  AmcPolicyTuner a = MakeTuner(5), b = MakeTuner(5), c = MakeTuner(6);
  RunPairs(a, 6);
  RunPairs(b, 6);
  RunPairs(c, 6);
  auto next = a.Suggest(2);
  EXPECT_EQ(next, b.Suggest(2));
  EXPECT_NE(next, c.Suggest(2));
}

TEST(AmcTunerResumeTest, ResumedTunerSuggestsWhatTheUninterruptedOneWould) {
  AmcPolicyTuner uninterrupted = MakeTuner(7);
  std::vector<AmcFinishedTrial> history = RunPairs(uninterrupted, 10);
  ASSERT_EQ(uninterrupted.episodes(), 10);
  ASSERT_GT(uninterrupted.sigma(), 0) << "past the warm-up: the actor proposes";
  AmcPolicyTuner resumed = MakeTuner(7);
  resumed.Update(history, {});
  EXPECT_EQ(resumed.episodes(), 10);
  EXPECT_EQ(resumed.next_index(), uninterrupted.next_index());
  EXPECT_EQ(resumed.Suggest(3), uninterrupted.Suggest(3));
}

TEST(AmcTunerResumeTest, FailedTrialsAreSkippedAndDoNotBlockLaterOnes) {
  AmcPolicyTuner tuner = MakeTuner(2);
  auto batch = tuner.Suggest(3);
  tuner.Update({{0, batch[0], std::nullopt}, {1, batch[1], NAN}, {2, batch[2], 0.5}}, {});
  EXPECT_EQ(tuner.episodes(), 1);
  EXPECT_EQ(tuner.waiting(), 0);
}

TEST(AmcTunerResumeTest, NoPolicyIsSuggestedTwice) {
  AmcPolicyTuner tuner = MakeTuner(3, 0);  // no warm-up: the actor with noise from the start
  std::set<std::vector<double>> seen;
  for (int i = 0; i < 12; ++i)
    for (const auto& p : tuner.Suggest(1)) EXPECT_TRUE(seen.insert(p).second) << "suggestion " << i;
}

}  // namespace
}  // namespace hone::compress
