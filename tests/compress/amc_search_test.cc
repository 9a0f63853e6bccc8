// AMC searches in process: determinism and the budget on resnet20, and (Slow) a search
// on a trained vgg-small against random policies and a uniform one.
#include "compress/amc/amc_search.h"

#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "compress/amc/policy_evaluator.h"
#include "compress/train/trainer.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

// A reward peaked where every decision keeps 60% of its channels.
StatusOr<double> PeakedAt60(const AmcEnvironment& env, const std::vector<int64_t>& widths) {
  double r = 0;
  for (const AmcLayer& l : env.layers()) {
    r -= std::abs(static_cast<double>(widths[static_cast<size_t>(l.group)]) / static_cast<double>(l.out_channels) - 0.6);
  }
  return r;
}

TEST(AmcSearchTest, IsDeterministicAndEveryPolicyMeetsTheBudget) {
  testing::Net net = testing::ZooNet("resnet20", 8, 16);
  auto env = AmcEnvironment::Create(net.graph, AnalyzeChannels(net.graph), {.flops_ratio = 0.5, .round_to = 2});
  ASSERT_TRUE(env.ok()) << env.status().message();
  auto reward = [&](const std::vector<int64_t>& w) { return PeakedAt60(*env, w); };
  int seen = 0;
  auto a = RunAmcSearch(*env, {.warmup_episodes = 3, .seed = 4}, 8, reward, [&](const AmcEpisode&) { ++seen; });
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(seen, 8);
  auto b = RunAmcSearch(*env, {.warmup_episodes = 3, .seed = 4}, 8, reward);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->history.size(), 8u);
  double best = -1e9;
  for (size_t e = 0; e < a->history.size(); ++e) {
    EXPECT_EQ(a->history[e].widths, b->history[e].widths) << "episode " << e;
    EXPECT_LE(a->history[e].flops, env->TargetFlops());
    EXPECT_EQ(a->history[e].keeps.size(), env->layers().size());
    best = std::max(best, a->history[e].reward);
  }
  EXPECT_EQ(a->best.reward, best);
  auto failing = RunAmcSearch(*env, {}, 2, [](const std::vector<int64_t>&) -> StatusOr<double> {
    return InvalidArgument("no images");
  });
  ASSERT_FALSE(failing.ok());
  EXPECT_EQ(failing.status().message(), "amc episode 0: no images");
}

const Normalization kFashionNorm{{0.2860f}, {0.3530f}};

// Prints AMC's best accuracy at half the FLOPs against random search over as many
// policies and a uniform keep ratio, on vgg-small (width 16) after two epochs on 5,000
// images; 500 held-out training images score the policies.
TEST(AmcSearchSlowTest, VggSmallAtHalfTheFlops) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  testing::Net net = testing::ZooNet("vgg-small", 16, 28);
  ImageSet train = testing::FashionMnist(Split::kTrain, 5500);
  ImageSet held_out = train;
  held_out.pixels.erase(held_out.pixels.begin(), held_out.pixels.begin() + 5000 * 28 * 28);
  held_out.labels.erase(held_out.labels.begin(), held_out.labels.begin() + 5000);
  held_out.count = 500;
  TruncateImageSet(train, 5000);
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 2e-3;
  opt.epochs = 2;
  opt.batch_size = 64;
  opt.threads = 2;
  ASSERT_TRUE(Train(net.model, train, nullptr, kFashionNorm, opt).ok());
  ChannelAnalysis groups = AnalyzeChannels(net.graph);
  auto eval = PolicyEvaluator::Create(net.model, net.graph, groups, held_out, kFashionNorm, {.threads = 2});
  ASSERT_TRUE(eval.ok()) << eval.status().message();
  auto env = AmcEnvironment::Create(net.graph, groups, {.flops_ratio = 0.5, .round_to = 4});
  ASSERT_TRUE(env.ok());
  auto accuracy = [&](const std::vector<int64_t>& w) { return eval->Accuracy(w); };
  constexpr int kEpisodes = 60;
  auto amc = RunAmcSearch(*env, {.warmup_episodes = 20, .seed = 1}, kEpisodes, accuracy);
  ASSERT_TRUE(amc.ok()) << amc.status().message();

  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  double random_best = 0;
  for (int e = 0; e < kEpisodes; ++e) {
    std::vector<double> actions;
    for (size_t t = 0; t < env->layers().size(); ++t) actions.push_back(u(rng));
    env->RunPolicy(actions);
    random_best = std::max(random_best, *eval->Accuracy(env->Widths()));
  }
  env->RunPolicy(std::vector<double>(env->layers().size(), std::sqrt(0.5)));
  const double uniform = *eval->Accuracy(env->Widths());
  const double dense = *eval->Accuracy(env->flops_model().DenseWidths());
  std::printf("vgg-small 50%% FLOPs, no fine-tuning: dense %.4f, uniform %.4f, random best %.4f, amc best %.4f\n",
              dense, uniform, random_best, amc->best.reward);
  EXPECT_LE(amc->best.flops, env->TargetFlops());
  EXPECT_GT(amc->best.reward, uniform);
}

}  // namespace
}  // namespace hone::compress
