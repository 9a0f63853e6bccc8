// AMC's environment on real zoo models: the FLOPs model against the graph of the
// sped-up model, the state features against hand-derived numbers, and the action wall
// against many random policies.
#include "compress/amc/amc_environment.h"

#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "compress/prune/speedup.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::FirstChannels;
using testing::ZooNet;

TEST(AmcGroupFlopsTest, MatchesTheGraphOfTheSpedUpModel) {
  std::mt19937_64 rng(7);
  for (const char* name : {"resnet20", "mobilenetv2-small", "vgg-small"}) {
    testing::Net net = ZooNet(name, 8, 16);
    ChannelAnalysis groups = AnalyzeChannels(net.graph);
    GroupFlopsModel flops(net.graph, groups);
    EXPECT_EQ(flops.DenseFlops(), net.graph.total_flops) << name;
    EXPECT_EQ(flops.Flops(flops.DenseWidths()), net.graph.total_flops) << name;
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<int64_t> widths = flops.DenseWidths();
      for (const ChannelGroup& g : groups.groups) {
        if (g.prunable) widths[static_cast<size_t>(g.id)] = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(g.channels));
      }
      auto fast = Speedup(net.model, net.graph, groups, FirstChannels(groups, widths));
      ASSERT_TRUE(fast.ok()) << fast.status().message();
      auto after = BuildLayerGraph(*fast, net.graph.input_shape);
      ASSERT_TRUE(after.ok()) << after.status().message();
      EXPECT_EQ(flops.Flops(widths), after->total_flops) << name << " trial " << trial;
    }
  }
}

AmcEnvironment Env(const testing::Net& net, const AmcOptions& options = {}) {
  auto env = AmcEnvironment::Create(net.graph, AnalyzeChannels(net.graph), options);
  EXPECT_TRUE(env.ok()) << env.status().message();
  return std::move(*env);
}

std::vector<std::string> LayerNames(const AmcEnvironment& env) {
  std::vector<std::string> names;
  for (const AmcLayer& l : env.layers()) names.push_back(l.name);
  return names;
}

// ResNet-20 (width 16) on 28x28 images: 12 decisions (3 residual groups, 9 inner convs).
TEST(AmcEnvironmentTest, ResNet20LayersAndStateMatchHandDerivedNumbers) {
  testing::Net net = ZooNet("resnet20", 16, 28);
  AmcEnvironment env = Env(net);
  EXPECT_EQ(LayerNames(env),
            (std::vector<std::string>{"conv1", "layer1.b0.conv1", "layer1.b1.conv1", "layer1.b2.conv1",
                                      "layer2.b0.conv1", "layer2.b0.conv2", "layer2.b1.conv1", "layer2.b2.conv1",
                                      "layer3.b0.conv1", "layer3.b0.conv2", "layer3.b1.conv1", "layer3.b2.conv1"}));
  const AmcLayer& stem = env.layers()[0];  // conv1 + the three layer1 conv2s, 16 channels
  EXPECT_EQ(stem.type, AmcLayerType::kConv);
  EXPECT_EQ(stem.in_channels, 1);
  EXPECT_EQ(stem.out_channels, 16);
  EXPECT_EQ(stem.weights, 1 * 16 * 9 + 3 * 16 * 16 * 9);
  // conv1 784 x 16 x 9, four batch norms 2 x 16 x 784, three conv2 784 x 16 x 16 x 9.
  EXPECT_EQ(stem.flops, 784 * 16 * 9 + 4 * 2 * 16 * 784 + 3 * 784 * 16 * 16 * 9);
  const AmcLayer& down = env.layers()[4];  // layer2.b0.conv1: 16 -> 32, stride 2, 14x14
  EXPECT_EQ(down.in_channels, 16);
  EXPECT_EQ(down.out_channels, 32);
  EXPECT_EQ(down.stride, 2);
  EXPECT_EQ(down.kernel, 3);
  EXPECT_EQ(down.weights, 16 * 32 * 9);
  EXPECT_EQ(down.flops, 196 * 32 * 16 * 9 + 2 * 32 * 196);
  const AmcLayer& res2 = env.layers()[5];  // three conv2 32 -> 32 and the 1x1 shortcut 16 -> 32
  EXPECT_EQ(res2.weights, 3 * 32 * 32 * 9 + 16 * 32);
  EXPECT_EQ(res2.flops, 3 * (196 * 32 * 32 * 9 + 2 * 32 * 196) + 196 * 32 * 16 + 2 * 32 * 196);

  // Normalised: index t / 11, in channels (in - 1) / (64 - 1), out (out - 16) / 48,
  // stride (s - 1) / 1, kernel and type constant.
  std::vector<float> s = env.State();
  ASSERT_EQ(s.size(), static_cast<size_t>(AmcEnvironment::kStateSize));
  EXPECT_FLOAT_EQ(s[0], 0.0f);
  EXPECT_FLOAT_EQ(s[2], 0.0f);
  EXPECT_FLOAT_EQ(s[8], 0.0f);  // nothing removed yet
  int64_t rest = 0;
  for (size_t t = 1; t < env.layers().size(); ++t) rest += env.layers()[t].flops;
  const double dense = static_cast<double>(net.graph.total_flops);
  EXPECT_NEAR(s[9], static_cast<double>(rest) / dense, 1e-6);
  EXPECT_FLOAT_EQ(s[10], 1.0f);

  EXPECT_DOUBLE_EQ(env.Step(0.5), 0.5);  // the stem group keeps 8 of 16 channels
  s = env.State();
  EXPECT_NEAR(s[0], 1.0 / 11, 1e-6);
  EXPECT_NEAR(s[2], 15.0 / 63, 1e-6);
  EXPECT_FLOAT_EQ(s[1], 0.0f);
  EXPECT_FLOAT_EQ(s[5], 0.0f);
  // Removed: half of the group's output side, half the inputs of the three layer1 conv1s,
  // of layer2.b0.conv1 and of its 1x1 shortcut.
  const int64_t removed = stem.flops / 2 + 3 * 784 * 16 * 16 * 9 / 2 + 196 * 32 * 16 * 9 / 2 + 196 * 32 * 16 / 2;
  EXPECT_NEAR(s[8], static_cast<double>(removed) / dense, 1e-6);
  EXPECT_FLOAT_EQ(s[10], 0.5f);
  for (int t = 1; t < 4; ++t) env.Step(1.0);
  s = env.State();  // layer2.b0.conv1
  EXPECT_NEAR(s[3], (32.0 - 16) / 48, 1e-6);
  EXPECT_FLOAT_EQ(s[4], 1.0f);
  EXPECT_FLOAT_EQ(s[10], 1.0f);
}

// MobileNetV2-small (width 16) on 28x28: the stem and block0's projection form one group
// that block0's depthwise convolution filters; block0's projection reads and writes it.
TEST(AmcEnvironmentTest, MobileNetV2LayersMatchHandDerivedNumbers) {
  testing::Net net = ZooNet("mobilenetv2-small", 16, 28);
  AmcEnvironment env = Env(net);
  ASSERT_EQ(env.layers().size(), 13u);
  const AmcLayer& stem = env.layers()[0];
  EXPECT_EQ(stem.name, "stem_conv");
  EXPECT_EQ(stem.type, AmcLayerType::kDepthwise);
  EXPECT_EQ(stem.weights, 16 * 9 + 16 * 16 + 16 * 9);  // stem, projection, depthwise
  // stem, depthwise (784 x 16 x 9 each), projection 784 x 16 x 16, three batch norms.
  EXPECT_EQ(stem.flops, 2 * 784 * 16 * 9 + 784 * 16 * 16 + 3 * 2 * 16 * 784);
  const AmcLayer& expand = env.layers()[1];  // block1: 1x1 16 -> 96, depthwise stride 2 to 14x14
  EXPECT_EQ(expand.name, "block1.expand_conv");
  EXPECT_EQ(expand.type, AmcLayerType::kDepthwise);
  EXPECT_EQ(expand.in_channels, 16);
  EXPECT_EQ(expand.out_channels, 96);
  EXPECT_EQ(expand.kernel, 1);
  EXPECT_EQ(expand.weights, 16 * 96 + 96 * 9);
  EXPECT_EQ(expand.flops, 784 * 96 * 16 + 2 * 96 * 784 + 196 * 96 * 9 + 2 * 96 * 196);
  EXPECT_EQ(env.layers().back().name, "head_conv");
  EXPECT_EQ(env.layers().back().type, AmcLayerType::kConv);
  std::vector<float> s = env.State();
  EXPECT_FLOAT_EQ(s[1], 1.0f);  // types seen: conv (0, the head) and depthwise (1); no linear
  // The stem group at 8: the projection (quadratic in the width) costs a quarter.
  env.Step(0.5);
  const int64_t removed = 784 * 8 * 9 * 2 + 3 * 2 * 8 * 784 + (784 * 16 * 16 - 784 * 8 * 8) + 784 * 96 * 8;
  EXPECT_NEAR(env.State()[8], static_cast<double>(removed) / static_cast<double>(net.graph.total_flops), 1e-6);
}

// Random, extreme and NaN actions under several budgets and roundings: the finished
// policy never exceeds the budget, and every width is allowed and within its bounds.
void ExpectWallHolds(const testing::Net& net, const AmcOptions& options, uint64_t seed) {
  AmcEnvironment env = Env(net, options);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.5, 1.5);
  for (int episode = 0; episode < 60; ++episode) {
    std::vector<double> actions;
    for (size_t t = 0; t < env.layers().size(); ++t) {
      const int kind = episode % 4;
      actions.push_back(kind == 0 ? 1.0 : kind == 1 && t % 3 == 0 ? std::numeric_limits<double>::quiet_NaN() : u(rng));
    }
    env.RunPolicy(actions);
    ASSERT_TRUE(env.Done());
    EXPECT_LE(env.Flops(), env.TargetFlops()) << "episode " << episode;
    for (const AmcLayer& l : env.layers()) {
      const int64_t w = env.Widths()[static_cast<size_t>(l.group)];
      EXPECT_GE(w, 1);
      EXPECT_LE(w, l.out_channels);
      EXPECT_GE(static_cast<double>(w), options.lower_keep * static_cast<double>(l.out_channels) - 1e-9) << l.name;
      EXPECT_TRUE(w % options.round_to == 0 || w == l.out_channels) << l.name << " " << w;
    }
  }
}

TEST(AmcActionWallTest, NoPolicyMissesTheBudgetOrEmptiesALayer) {
  testing::Net resnet = ZooNet("resnet20", 16, 28);
  testing::Net mobilenet = ZooNet("mobilenetv2-small", 16, 28);
  for (const AmcOptions& o : {AmcOptions{.flops_ratio = 0.5}, AmcOptions{.flops_ratio = 0.3, .round_to = 4},
                              AmcOptions{.flops_ratio = 0.7, .lower_keep = 0.3, .round_to = 1},
                              AmcOptions{.flops_ratio = 0.4, .lower_keep = 0.1, .upper_keep = 0.9, .round_to = 2}}) {
    ExpectWallHolds(resnet, o, 1);
    ExpectWallHolds(mobilenet, o, 2);
  }
}

TEST(AmcActionWallTest, KeepsWhatTheBudgetAllowsAndRoundsToNearestWidth) {
  testing::Net net = ZooNet("resnet20", 16, 28);
  AmcEnvironment env = Env(net, {.flops_ratio = 0.5});
  // All at 1: the early layers keep everything the budget allows, the last ones pay.
  std::vector<double> keeps = env.RunPolicy(std::vector<double>(env.layers().size(), 1.0));
  EXPECT_DOUBLE_EQ(keeps[0], 1.0);
  EXPECT_LT(keeps.back(), 1.0);
  EXPECT_GT(env.Flops(), env.TargetFlops() * 9 / 10);
  // A generous budget: 0.3 x 64 = 19.2 channels rounds to 16, 0.4 x 64 = 25.6 to 24, and a
  // keep below the bound rises to it (0.2 x 16 = 3.2 -> 8).
  AmcEnvironment loose = Env(net, {.flops_ratio = 1.0});
  loose.RunPolicy({0.0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.3, 0.4});
  EXPECT_EQ(loose.Widths()[static_cast<size_t>(loose.layers()[0].group)], 8);
  EXPECT_EQ(loose.Widths()[static_cast<size_t>(loose.layers()[10].group)], 16);
  EXPECT_EQ(loose.Widths()[static_cast<size_t>(loose.layers()[11].group)], 24);
}

TEST(AmcActionWallTest, RefusesABudgetBelowTheLowestWidths) {
  testing::Net net = ZooNet("resnet20", 16, 28);
  auto env = AmcEnvironment::Create(net.graph, AnalyzeChannels(net.graph), {.flops_ratio = 0.05});
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("lowest width"), std::string::npos) << env.status().message();
  auto bad = AmcEnvironment::Create(net.graph, AnalyzeChannels(net.graph), {.lower_keep = 0});
  EXPECT_FALSE(bad.ok());
}

// Width 4 with round_to 8: stage-1 groups (4 channels) and stage-2 groups (8) have one
// allowed width and are no decisions; stage 3 (16 channels) remains.
TEST(AmcEnvironmentTest, GroupsNarrowerThanTheRoundingAreNoDecisions) {
  testing::Net net = ZooNet("resnet20", 4, 8);
  AmcEnvironment env = Env(net, {.flops_ratio = 1.0});
  EXPECT_EQ(LayerNames(env), (std::vector<std::string>{"layer3.b0.conv1", "layer3.b0.conv2", "layer3.b1.conv1",
                                                        "layer3.b2.conv1"}));
}

}  // namespace
}  // namespace hone::compress
