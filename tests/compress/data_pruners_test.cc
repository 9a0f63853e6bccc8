// The data-driven pruners (taylor, apoz, mean_activation, slim) on constructed cases:
// the filter the criterion marks as least useful must be the first removed.
#include "compress/prune/data_pruners.h"

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/scored_groups.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Config;
using testing::kNorm;
using testing::Net;
using testing::Noise;
using testing::ZooNet;

at::Tensor Param(const ScriptModel& m, const std::string& layer, const std::string& name = "weight") {
  return FindSubmodule(ModuleOf(m), layer)->attr(name).toTensor();
}

StatusOr<PruneResult> ScoreAndPrune(Net& net, const ImageSet& data, const std::string& yaml,
                                    FilterScoreMap* scores_out = nullptr) {
  PruneConfig config = Config(yaml);
  auto scores = DataFilterScores(net.model, net.graph, config, {.train = &data, .norm = kNorm, .threads = 1});
  if (!scores.ok()) return scores.status();
  if (scores_out != nullptr) *scores_out = *scores;
  return PruneWeights(net.model, net.graph, config, &*scores);
}

// Filter 0 of cnn2's conv1 has the largest weights (l1 keeps it) but a bias that keeps
// its relu at zero on every image: no gradient reaches it and its activation is all zeros.
void KillConv1Filter0(Net& net) {
  torch::NoGradGuard no_grad;
  Param(net.model, "conv1")[0].fill_(0.9);
  Param(net.model, "conv1", "bias")[0].fill_(-1000);
}

TEST(DataPrunerTest, TaylorRemovesTheFilterWithZeroWeightTimesGradient) {
  Net net = ZooNet("cnn2");
  KillConv1Filter0(net);
  at::Tensor before = Param(net.model, "conv2").clone();
  ImageSet data = Noise(64, 8);
  FilterScoreMap scores;
  auto r = ScoreAndPrune(net, data, "pruner: taylor\npruner_options: {batches: 2, batch_size: 32}\n"
                                    "config_list: [{op_names: [conv1, conv2], sparse_ratio: 0.25}]", &scores);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(scores["conv1"][0], 0.0);
  for (size_t c = 1; c < 4; ++c) EXPECT_GT(scores["conv1"][c], 0.0) << c;
  EXPECT_EQ(r->layers[0].kept_channels, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r->layers[1].kept_channels.size(), 6u);  // conv2: 8 - 2 filters
  // Scoring leaves the weights and their gradients as they were.
  at::Tensor w2 = Param(net.model, "conv2");
  std::vector<int64_t> kept = r->layers[1].kept_channels;
  EXPECT_TRUE(w2.index_select(0, torch::tensor(kept)).equal(before.index_select(0, torch::tensor(kept))));
  EXPECT_FALSE(w2.grad().defined());

  // The same filter by l1 would be the last to go.
  Net l1 = ZooNet("cnn2");
  KillConv1Filter0(l1);
  auto byl1 = PruneWeights(l1.model, l1.graph, Config("pruner: l1\nconfig_list: [{op_names: [conv1], sparse_ratio: 0.25}]"));
  ASSERT_TRUE(byl1.ok());
  EXPECT_EQ(byl1->layers[0].kept_channels.front(), 0);
}

TEST(DataPrunerTest, ApozAndMeanActivationRemoveTheFilterThatNeverFires) {
  for (const std::string pruner : {"apoz", "mean_activation"}) {
    Net net = ZooNet("cnn2");
    KillConv1Filter0(net);
    ImageSet data = Noise(40, 8);
    FilterScoreMap scores;
    auto r = ScoreAndPrune(net, data, "pruner: " + pruner + "\npruner_options: {batches: 3, batch_size: 16}\n"
                                      "config_list: [{op_names: [conv1], sparse_ratio: 0.25}]", &scores);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(scores["conv1"][0], 0.0) << pruner;  // 1 - APoZ, or the mean: both 0
    EXPECT_EQ(r->layers[0].kept_channels, (std::vector<int64_t>{1, 2, 3})) << pruner;
  }
}

TEST(DataPrunerTest, ApozObservesTheActivationAfterBatchNormAndLinearLayers) {
  Net net = ZooNet("vgg-small");
  {
    torch::NoGradGuard no_grad;
    Param(net.model, "bn3", "bias")[5].fill_(-1000);  // conv3's channel 5 dies after bn3 and relu
    Param(net.model, "fc1", "bias")[2].fill_(-1000);  // fc1's feature 2 dies after relu
  }
  ImageSet data = Noise(32, 8);
  FilterScoreMap scores;
  auto r = ScoreAndPrune(net, data, "pruner: apoz\npruner_options: {batches: 2, batch_size: 16}\n"
                                    "config_list: [{op_names: [conv3, fc1], sparse_ratio: 0.1}]", &scores);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->layers.size(), 2u);
  EXPECT_EQ(scores["conv3"][5], 0.0);
  EXPECT_EQ(scores["fc1"][2], 0.0);
  // conv3: 8 filters, floor(0.8) = 0 removed at 0.1; fc1: 32 features, 3 removed, 2 first.
  EXPECT_EQ(r->layers[0].kept_channels.size(), 8u);
  ASSERT_EQ(r->layers[1].kept_channels.size(), 29u);
  EXPECT_EQ(std::count(r->layers[1].kept_channels.begin(), r->layers[1].kept_channels.end(), 2), 0);
}

TEST(DataPrunerTest, SlimRemovesTheSmallestBatchNormScalesAcrossLayers) {
  Net net = ZooNet("vgg-small");
  {
    torch::NoGradGuard no_grad;
    for (int i = 1; i <= 6; ++i) Param(net.model, "bn" + std::to_string(i)).uniform_(0.5, 1.0);
    Param(net.model, "bn2")[1].fill_(1e-4);
    Param(net.model, "bn5")[7].fill_(-2e-4);  // |gamma| ranks, not gamma
  }
  ImageSet data = Noise(16, 8);
  // 4 + 4 + 8 + 8 + 16 + 16 = 56 channels, 5%: 2 removed, ranked over all six layers.
  auto r = ScoreAndPrune(net, data, "pruner: slim\npruner_options: {sparsity_epochs: 0}\n"
                                    "config_list: [{op_types: [Conv2d], sparse_ratio: 0.05}]");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->layers.size(), 6u);
  for (const LayerPruneResult& l : r->layers) {
    const bool hit = l.name == "conv2" || l.name == "conv5";
    EXPECT_EQ(static_cast<int64_t>(l.kept_channels.size()), l.channels - (hit ? 1 : 0)) << l.name;
  }
  EXPECT_EQ(std::count(r->layers[1].kept_channels.begin(), r->layers[1].kept_channels.end(), 1), 0);
  EXPECT_EQ(std::count(r->layers[4].kept_channels.begin(), r->layers[4].kept_channels.end(), 7), 0);

  Net plain = ZooNet("cnn2");
  auto none = DataFilterScores(plain.model, plain.graph, Config("pruner: slim\nconfig_list: [{op_names: [conv1], sparse_ratio: 0.5}]"),
                               {.train = &data, .norm = kNorm, .threads = 1});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("layer conv1 has no batch norm after it"), std::string::npos)
      << none.status().message();
}

TEST(DataPrunerTest, NeedsDataAndScores) {
  Net net = ZooNet("cnn2");
  PruneConfig config = Config("pruner: taylor\nconfig_list: [{op_names: [conv1], sparse_ratio: 0.5}]");
  auto no_data = DataFilterScores(net.model, net.graph, config, {});
  ASSERT_FALSE(no_data.ok());
  EXPECT_NE(no_data.status().message().find("needs training data"), std::string::npos);
  auto no_scores = PruneWeights(net.model, net.graph, config);
  ASSERT_FALSE(no_scores.ok());
  FilterScoreMap wrong{{"conv1", {1.0, 2.0}}};
  auto short_scores = PruneWeights(net.model, net.graph, config, &wrong);
  ASSERT_FALSE(short_scores.ok());
  EXPECT_NE(short_scores.status().message().find("4 filters of layer conv1"), std::string::npos)
      << short_scores.status().message();
}

// With speedup, data scores rank the channel groups; the masked and the smaller model agree.
TEST(DataPrunerTest, ScoredGroupsSpeedUpAndAgreeWithTheMaskedModel) {
  for (const std::string pruner : {"taylor", "apoz", "mean_activation", "slim"}) {
    auto m = BuildZooModel({.name = "resnet20", .height = 8, .width = 8, .base_width = 4, .seed = 5});
    ASSERT_TRUE(m.ok());
    auto g = BuildLayerGraph(*m, {2, 1, 8, 8});
    ASSERT_TRUE(g.ok());
    testing::RandomizeBatchNorms(*m, /*positive_scales=*/true);
    {
      torch::NoGradGuard no_grad;
      // layer2.b1.conv1's channel 3: zero scale and a negative shift after its batch
      // norm: dead after relu, and without gradient.
      auto bn = FindSubmodule(ModuleOf(*m), "layer2.b1.bn1");
      bn->attr("weight").toTensor()[3].fill_(0);
      bn->attr("bias").toTensor()[3].fill_(-5);
    }
    PruneConfig config = Config("pruner: " + pruner + R"(
pruner_options: {batches: 2, batch_size: 8, sparsity_epochs: 0}
config_list:
  - {op_types: [Conv2d], op_names: ['layer*.conv1'], sparse_ratio: 0.25}
speedup: true
)");
    ImageSet data = Noise(16, 8);
    ScriptModel& model = *m;
    auto scores = DataFilterScores(model, *g, config, {.train = &data, .norm = kNorm, .threads = 1});
    ASSERT_TRUE(scores.ok()) << pruner << ": " << scores.status().message();
    ChannelAnalysis groups = AnalyzeChannels(*g);
    auto pruned = PruneChannelGroupsByScore(model, *g, groups, config, *scores);
    ASSERT_TRUE(pruned.ok()) << pruned.status().message();
    // Nine groups of 4, 8 and 16 channels; slim ranks them together: 21 of 84 removed.
    bool found = false;
    int64_t removed = 0;
    for (const LayerPruneResult& l : pruned->report.layers) {
      const int64_t gone = l.channels - static_cast<int64_t>(l.kept_channels.size());
      removed += gone;
      if (pruner != "slim") {
        EXPECT_EQ(gone, l.channels / 4) << pruner << " " << l.name;
      }
      if (l.name == "layer2.b1.conv1") {
        found = true;
        EXPECT_EQ(std::count(l.kept_channels.begin(), l.kept_channels.end(), 3), 0) << pruner;
      }
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(removed, 21) << pruner;
    auto fast = Speedup(model, *g, groups, pruned->kept);
    ASSERT_TRUE(fast.ok()) << fast.status().message();
    EXPECT_LT(fast->NumParameters(), model.NumParameters());
    torch::NoGradGuard no_grad;
    at::Tensor x = torch::randn({4, 1, 8, 8});
    ModuleOf(model).eval();
    ModuleOf(*fast).eval();
    at::Tensor a = ModuleOf(model).forward({x}).toTensor();
    at::Tensor b = ModuleOf(*fast).forward({x}).toTensor();
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-4) << pruner;
  }
}

// Sparsity training pulls the batch-norm scales toward zero.
TEST(DataPrunerSlowTest, SlimSparsityTrainingShrinksTheScales) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet train = testing::FashionMnist(Split::kTrain, 256);
  Normalization norm = DatasetNormalization("fashion-mnist", 1);
  double l1[2];
  for (int i = 0; i < 2; ++i) {
    auto m = BuildZooModel({.name = "vgg-small", .base_width = 4, .seed = 2});
    ASSERT_TRUE(m.ok());
    auto g = BuildLayerGraph(*m, {1, 1, 28, 28});
    ASSERT_TRUE(g.ok());
    PruneConfig config = Config(std::string("pruner: slim\npruner_options: {sparsity_epochs: 1, batch_size: 32, lr: 0.05, ") +
                                (i == 0 ? "sparsity_lambda: 0" : "sparsity_lambda: 1") +
                                "}\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.3}]");
    auto scores = DataFilterScores(*m, *g, config, {.train = &train, .norm = norm, .threads = 1, .seed = 4});
    ASSERT_TRUE(scores.ok()) << scores.status().message();
    l1[i] = 0;
    for (const auto& [name, s] : *scores) {
      for (double v : s) l1[i] += v;
    }
  }
  // 8 steps of lr x lambda = 0.05 each pull every |gamma| down by up to 0.4 on top of the loss.
  EXPECT_LT(l1[1], 0.8 * l1[0]) << l1[0] << " " << l1[1];
}

}  // namespace
}  // namespace hone::compress
