#include "compress/prune/pruner.h"

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Config;
using testing::Net;

Net Cnn2(int64_t width = 4) { return testing::ZooNet("cnn2", width, 8, /*seed=*/0); }

at::Tensor Weight(const ScriptModel& m, const std::string& layer) {
  return FindSubmodule(ModuleOf(m), layer)->attr("weight").toTensor();
}

TEST(PruneConfigTest, ParsesNniStyleConfigLists) {
  PruneConfig c = Config(R"(
pruner: fpgm
config_list:
  - op_types: [Conv2d]
    op_names: ['layer*']
    exclude_op_names: [layer1.b0.conv1]
    sparse_ratio: 0.5
  - op_names: [fc]
    exclude: true
  - op_types: [Linear]
    total_sparsity: 0.3
    max_sparse_ratio: 1
speedup: false
)");
  EXPECT_EQ(c.pruner, PrunerKind::kFpgm);
  ASSERT_EQ(c.rules.size(), 3u);
  EXPECT_DOUBLE_EQ(c.rules[0].sparse_ratio, 0.5);
  EXPECT_TRUE(RuleMatches(c.rules[0], "Conv2d", "layer2.b1.conv2"));
  EXPECT_FALSE(RuleMatches(c.rules[0], "Conv2d", "layer1.b0.conv1"));
  EXPECT_FALSE(RuleMatches(c.rules[0], "Linear", "layer2.fc"));
  EXPECT_FALSE(RuleMatches(c.rules[0], "Conv2d", "conv1"));
  EXPECT_TRUE(c.rules[1].exclude);
  EXPECT_TRUE(RuleMatches(c.rules[1], "Linear", "fc"));
  EXPECT_EQ(c.rules[2].global_group_id, "total_sparsity");  // NNI v2's total_sparsity is global
}

TEST(PruneConfigTest, ReportsEveryErrorWithItsPosition) {
  const std::string m = testing::ConfigError(R"(pruner: magic
config_list:
  - op_types: [Conv3d]
    sparse_ratio: 1.5
  - op_names: [a]
  - sparsee_ratio: 0.2
)", "p.yaml");
  EXPECT_NE(m.find("p.yaml:1:9: error: pruner: must be one of level, obs, l1, l2, fpgm, taylor, slim, apoz, mean_activation, "
                   "amc (or NNI's class name: L1NormPruner, FPGMPruner, ...), but got 'magic'"), std::string::npos) << m;
  EXPECT_NE(m.find("config_list[0].op_types: must list Conv2d, Linear or default, but got 'Conv3d'"), std::string::npos) << m;
  EXPECT_NE(m.find("config_list[0].sparse_ratio: must be a number in [0, 1), but got '1.5'"), std::string::npos) << m;
  EXPECT_NE(m.find("config_list[1]: needs sparse_ratio"), std::string::npos) << m;
  EXPECT_NE(m.find("config_list[2].sparsee_ratio: is not a config_list key"), std::string::npos) << m;
}

TEST(PrunerTest, LevelReachesTheRatioPerLayerAndRemovesTheSmallestWeights) {
  Net net = Cnn2();
  at::Tensor before = Weight(net.model, "conv2").clone();
  auto r = PruneWeights(net.model, net.graph, Config("pruner: level\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->layers.size(), 2u);
  // conv2: 8 x 4 x 3 x 3 = 288 weights, 144 zeroed.
  EXPECT_EQ(r->layers[1].name, "conv2");
  EXPECT_EQ(r->layers[1].zero_weights, 144);
  at::Tensor after = Weight(net.model, "conv2");
  double largest_removed = before.abs().masked_select(after.eq(0)).max().item<double>();
  double smallest_kept = before.abs().masked_select(after.ne(0)).min().item<double>();
  EXPECT_LE(largest_removed, smallest_kept);
  EXPECT_EQ(Weight(net.model, "fc1").eq(0).sum().item<int64_t>(), 0);  // Linear not selected
}

TEST(PrunerTest, GlobalLevelSparsityFollowsMagnitudeAcrossLayers) {
  Net net = Cnn2();
  torch::NoGradGuard no_grad;
  Weight(net.model, "conv1").fill_(0.001);  // 36 tiny weights: all go first
  Weight(net.model, "conv2").uniform_(0.5, 1.0);
  auto r = PruneWeights(net.model, net.graph,
                        Config("pruner: level\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.1, global_group_id: a}]"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  // 10% of 36 + 288 = 32 weights, all from conv1.
  EXPECT_EQ(r->layers[0].zero_weights, 32);
  EXPECT_EQ(r->layers[1].zero_weights, 0);
}

TEST(PrunerTest, L1AndL2RemoveTheFiltersOfSmallestNorm) {
  for (const std::string pruner : {"l1", "l2"}) {
    Net net = Cnn2();
    {
      torch::NoGradGuard no_grad;
      at::Tensor w = Weight(net.model, "conv2");  // 8 filters; filter i has all weights (i + 1) / 10
      for (int64_t i = 0; i < 8; ++i) w[i].fill_((8 - i) / 10.0);
    }
    auto r = PruneWeights(net.model, net.graph,
                          Config("pruner: " + pruner + "\nconfig_list: [{op_names: [conv2], sparse_ratio: 0.5}]"));
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->layers.size(), 1u);
    EXPECT_EQ(r->layers[0].kept_channels, (std::vector<int64_t>{0, 1, 2, 3})) << pruner;
    at::Tensor w = Weight(net.model, "conv2");
    EXPECT_EQ(w.slice(0, 4, 8).abs().sum().item<double>(), 0.0);
    EXPECT_GT(w.slice(0, 0, 4).abs().min().item<double>(), 0.0);
    auto bias = FindSubmodule(ModuleOf(net.model), "conv2")->attr("bias").toTensor();
    EXPECT_EQ(bias.slice(0, 4, 8).abs().sum().item<double>(), 0.0);
  }
}

TEST(PrunerTest, FpgmRemovesTheFiltersNearestTheGeometricMedian) {
  Net net = Cnn2();
  {
    torch::NoGradGuard no_grad;
    at::Tensor w = Weight(net.model, "conv2");
    // Filters at 0, 1, 2, ..., 7 (all weights equal): the middle ones (3, 4) are nearest
    // the others, the ends (0, 7) farthest, whatever their norms.
    for (int64_t i = 0; i < 8; ++i) w[i].fill_(static_cast<double>(i));
  }
  auto r = PruneWeights(net.model, net.graph, Config("pruner: fpgm\nconfig_list: [{op_names: [conv2], sparse_ratio: 0.25}]"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->layers[0].kept_channels, (std::vector<int64_t>{0, 1, 2, 5, 6, 7}));
}

TEST(PrunerTest, ExcludedLayersAndMaxRatioAreRespected) {
  Net net = Cnn2();
  auto r = PruneWeights(net.model, net.graph, Config(R"(pruner: l1
config_list:
  - {op_types: [default], sparse_ratio: 0.9, max_sparse_ratio: 0.5}
  - {op_names: [fc2], exclude: true}
)"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->layers.size(), 3u);  // conv1, conv2, fc1
  for (const LayerPruneResult& l : r->layers) {
    EXPECT_EQ(static_cast<int64_t>(l.kept_channels.size()), l.channels - l.channels / 2) << l.name;
  }
  auto none = PruneWeights(net.model, net.graph, Config("config_list: [{op_names: [nothing], sparse_ratio: 0.5}]"));
  EXPECT_FALSE(none.ok());
}

}  // namespace
}  // namespace hone::compress
