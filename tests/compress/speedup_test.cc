#include "compress/prune/speedup.h"

#include <fstream>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;
using testing::Config;
using testing::RandomizeBatchNorms;
using testing::Forward;

const ChannelGroup* GroupOf(const ChannelAnalysis& a, const LayerGraph& g, const std::string& producer) {
  for (const ChannelGroup& group : a.groups) {
    for (int p : group.producers) {
      if (g.nodes[static_cast<size_t>(p)].name == producer) return &group;
    }
  }
  return nullptr;
}

std::vector<std::string> Producers(const ChannelGroup& group, const LayerGraph& g) {
  std::vector<std::string> names;
  for (int p : group.producers) names.push_back(g.nodes[static_cast<size_t>(p)].name);
  return names;
}

struct Pruned {
  ScriptModel masked;
  ScriptModel fast;
  LayerGraph before;
  LayerGraph after;
};

Pruned PruneAndSpeedUp(ScriptModel model, const std::vector<int64_t>& shape, const std::string& yaml) {
  auto graph = BuildLayerGraph(model, shape);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  ChannelAnalysis groups = AnalyzeChannels(*graph);
  auto pruned = PruneChannelGroups(model, *graph, groups, Config(yaml));
  EXPECT_TRUE(pruned.ok()) << pruned.status().message();
  auto fast = Speedup(model, *graph, groups, pruned->kept);
  EXPECT_TRUE(fast.ok()) << fast.status().message();
  auto after = BuildLayerGraph(*fast, shape);
  EXPECT_TRUE(after.ok()) << after.status().message();
  return {std::move(model), std::move(*fast), std::move(*graph), std::move(*after)};
}

// Inputs of `shape` drawn after torch::manual_seed(seed), on which the masked and the
// sped-up model must agree within 1e-4, and the masked model's outputs.
struct Outputs {
  at::Tensor x;
  at::Tensor expected;
};
Outputs ExpectSameOutputs(const Pruned& p, const std::vector<int64_t>& shape, uint64_t seed) {
  torch::manual_seed(seed);
  Outputs o{torch::randn(shape), at::Tensor()};
  o.expected = Forward(p.masked, o.x);
  EXPECT_LT((o.expected - Forward(p.fast, o.x)).abs().max().item<double>(), 1e-4);
  return o;
}

TEST(ChannelGroupsTest, ResNet20ResidualAddsShareChannels) {
  auto net = testing::WithGraph(BuildZooModel({.name = "resnet20", .channels = 3, .height = 32, .width = 32}), {1, 3, 32, 32});
  ASSERT_TRUE(net);
  const LayerGraph* g = &net->graph;
  ChannelAnalysis a = AnalyzeChannels(*g);
  const ChannelGroup* stage1 = GroupOf(a, *g, "conv1");
  ASSERT_TRUE(stage1);
  EXPECT_EQ(Producers(*stage1, *g),
            (std::vector<std::string>{"conv1", "layer1.b0.conv2", "layer1.b1.conv2", "layer1.b2.conv2"}));
  EXPECT_TRUE(stage1->prunable);
  EXPECT_EQ(stage1->batch_norms.size(), 4u);
  const ChannelGroup* stage2 = GroupOf(a, *g, "layer2.b0.shortcut_conv");
  ASSERT_TRUE(stage2);
  EXPECT_EQ(stage2->producers.size(), 4u);
  const ChannelGroup* inner = GroupOf(a, *g, "layer2.b1.conv1");
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->producers.size(), 1u);
  EXPECT_EQ(inner->consumers.size(), 1u);
  EXPECT_FALSE(GroupOf(a, *g, "fc")->prunable);  // the classes
  EXPECT_EQ(GroupOf(a, *g, "layer3.b0.shortcut_conv")->consumers.size(), 3u);  // b1.conv1, b2.conv1, fc
}

std::vector<std::string> Names(const std::vector<int>& nodes, const LayerGraph& g) {
  std::vector<std::string> names;
  for (int n : nodes) names.push_back(g.nodes[static_cast<size_t>(n)].name);
  return names;
}

std::vector<std::string> Consumers(const ChannelGroup& group, const LayerGraph& g) {
  std::vector<int> nodes;
  for (const ChannelConsumer& c : group.consumers) nodes.push_back(c.node);
  return Names(nodes, g);
}

// With w = 16: stem 16; block0 (expand 1) 16 -> 16 with a residual add; blocks 1-2 expand
// to 96/144 and project to 24; blocks 3-4 to 32; blocks 5-6 to 64; block7 to 96; head 256.
TEST(ChannelGroupsTest, MobileNetV2DepthwiseConvolutionsFollowTheirInput) {
  auto net = testing::WithGraph(BuildZooModel({.name = "mobilenetv2-small"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  const LayerGraph* g = &net->graph;
  ChannelAnalysis a = AnalyzeChannels(*g);
  // The model's input, the stem (with block0's projection, added to it), 7 expansions,
  // 4 projection sets, the head and the classes.
  EXPECT_EQ(a.groups.size(), 15u);
  int prunable = 0;
  for (const ChannelGroup& group : a.groups) prunable += group.prunable;
  EXPECT_EQ(prunable, 13);

  const ChannelGroup* stem = GroupOf(a, *g, "stem_conv");
  ASSERT_TRUE(stem);
  EXPECT_TRUE(stem->prunable) << stem->reason;
  EXPECT_EQ(stem->channels, 16);
  EXPECT_EQ(Producers(*stem, *g), (std::vector<std::string>{"stem_conv", "block0.project_conv"}));
  EXPECT_EQ(Names(stem->depthwise, *g), std::vector<std::string>{"block0.dw_conv"});
  EXPECT_EQ(Names(stem->batch_norms, *g), (std::vector<std::string>{"stem_bn", "block0.dw_bn", "block0.project_bn"}));
  EXPECT_EQ(Consumers(*stem, *g), (std::vector<std::string>{"block0.project_conv", "block1.expand_conv"}));

  // An expansion: its depthwise convolution and both batch norms follow it; only the
  // projection reads it.
  const ChannelGroup* expand = GroupOf(a, *g, "block1.expand_conv");
  ASSERT_TRUE(expand);
  EXPECT_TRUE(expand->prunable) << expand->reason;
  EXPECT_EQ(expand->channels, 96);
  EXPECT_EQ(Producers(*expand, *g), std::vector<std::string>{"block1.expand_conv"});
  EXPECT_EQ(Names(expand->depthwise, *g), std::vector<std::string>{"block1.dw_conv"});
  EXPECT_EQ(Names(expand->batch_norms, *g), (std::vector<std::string>{"block1.expand_bn", "block1.dw_bn"}));
  EXPECT_EQ(Consumers(*expand, *g), std::vector<std::string>{"block1.project_conv"});
  ASSERT_EQ(expand->followers.size(), 3u);
  for (const ChannelConsumer& f : expand->followers) EXPECT_EQ(f.offset, 0);
  const LayerNode* dw = nullptr;
  for (const LayerNode& n : g->nodes) {
    if (n.name == "block1.dw_conv") dw = &n;
  }
  ASSERT_TRUE(dw);
  EXPECT_EQ(a.group_of_output[static_cast<size_t>(dw->id)], expand->id);

  // Inverted residuals share their projections' channels; the next block's expansion and
  // the next stage's expansion read them.
  const ChannelGroup* project = GroupOf(a, *g, "block1.project_conv");
  ASSERT_TRUE(project);
  EXPECT_EQ(project->channels, 24);
  EXPECT_EQ(Producers(*project, *g), (std::vector<std::string>{"block1.project_conv", "block2.project_conv"}));
  EXPECT_EQ(Consumers(*project, *g), (std::vector<std::string>{"block2.expand_conv", "block3.expand_conv"}));
  EXPECT_TRUE(project->prunable);
  EXPECT_EQ(Producers(*GroupOf(a, *g, "block5.project_conv"), *g),
            (std::vector<std::string>{"block5.project_conv", "block6.project_conv"}));
  EXPECT_EQ(Producers(*GroupOf(a, *g, "block7.project_conv"), *g), std::vector<std::string>{"block7.project_conv"});
  EXPECT_EQ(Consumers(*GroupOf(a, *g, "head_conv"), *g), std::vector<std::string>{"fc"});
  EXPECT_FALSE(GroupOf(a, *g, "fc")->prunable);
}

TEST(SpeedupTest, Cnn2MaskedAndSpedUpModelsAgreeAndShrink) {
  auto model = BuildZooModel({.name = "cnn2", .seed = 1});
  ASSERT_TRUE(model.ok());
  Pruned p = PruneAndSpeedUp(std::move(*model), {1, 1, 28, 28},
                             "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\nspeedup: true");
  at::Tensor x = torch::randn({8, 1, 28, 28});
  EXPECT_LT((Forward(p.masked, x) - Forward(p.fast, x)).abs().max().item<double>(), 1e-4);
  at::Tensor w2 = FindSubmodule(ModuleOf(p.fast), "conv2")->attr("weight").toTensor();
  EXPECT_EQ(w2.sizes().vec(), (std::vector<int64_t>{32, 16, 3, 3}));
  at::Tensor fc1 = FindSubmodule(ModuleOf(p.fast), "fc1")->attr("weight").toTensor();
  EXPECT_EQ(fc1.sizes().vec(), (std::vector<int64_t>{128, 32 * 49}));
  // conv2 loses 3/4 of its MACs, conv1 and fc1 half.
  EXPECT_LT(p.after.total_flops, p.before.total_flops * 0.3);
  EXPECT_LT(p.fast.NumParameters(), p.before.total_params / 2);
  // As trainable as the model it came from (a fine-tuner needs that).
  for (const at::Tensor& w : ModuleOf(p.fast).parameters()) EXPECT_TRUE(w.requires_grad());
}

TEST(SpeedupTest, ResNet20MaskedAndSpedUpModelsAgreeAndRoundTripThroughPython) {
  auto model = BuildZooModel({.name = "resnet20", .channels = 3, .height = 32, .width = 32, .seed = 2});
  ASSERT_TRUE(model.ok());
  RandomizeBatchNorms(*model);
  Pruned p = PruneAndSpeedUp(std::move(*model), {1, 3, 32, 32},
                             "pruner: fpgm\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\nspeedup: true");
  auto [x, expected] = ExpectSameOutputs(p, {4, 3, 32, 32}, 3);
  EXPECT_LT(p.after.total_flops, p.before.total_flops * 0.35);
  // Saved, it loads and gives the same outputs in C++ and in Python.
  ScratchDir dir("speedup_py");
  testing::ExpectSameInCppAndPython(p.fast, x, expected, dir, "assert m.layer1.b0.conv1.weight.shape[0] == 8\n"
                                    "assert all(p.requires_grad for p in m.parameters())");
}

TEST(SpeedupTest, MobileNetV2DepthwiseConvolutionsShrinkWithTheirInput) {
  auto model = BuildZooModel({.name = "mobilenetv2-small", .seed = 4});
  ASSERT_TRUE(model.ok());
  RandomizeBatchNorms(*model);
  Pruned p = PruneAndSpeedUp(std::move(*model), {1, 1, 28, 28},
                             "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.4}]\nspeedup: true");
  auto [x, expected] = ExpectSameOutputs(p, {4, 1, 28, 28}, 5);
  // 96 - floor(0.4 x 96) = 58 channels stay in block1's expansion; its depthwise
  // convolution keeps one filter (and one group) per channel.
  auto weight = [&](const std::string& layer) {
    return FindSubmodule(ModuleOf(p.fast), layer)->attr("weight").toTensor().sizes().vec();
  };
  EXPECT_EQ(weight("block1.expand_conv"), (std::vector<int64_t>{58, 10, 1, 1}));  // the stem: 16 -> 10
  EXPECT_EQ(weight("block1.dw_conv"), (std::vector<int64_t>{58, 1, 3, 3}));
  EXPECT_EQ(weight("block1.project_conv"), (std::vector<int64_t>{15, 58, 1, 1}));  // 24 -> 15
  EXPECT_EQ(weight("block0.dw_conv"), (std::vector<int64_t>{10, 1, 3, 3}));
  EXPECT_EQ(FindSubmodule(ModuleOf(p.fast), "block1.dw_bn")->attr("running_var").toTensor().size(0), 58);
  for (const LayerNode& n : p.after.nodes) {
    if (n.name.find("dw_conv") != std::string::npos) {
      EXPECT_EQ(n.groups, n.in_channels) << n.name;
    }
  }
  // 1x1 convolutions lose about 0.6 x 0.6 of their MACs, depthwise ones 0.4.
  EXPECT_LT(p.after.total_flops, p.before.total_flops * 0.6);
  EXPECT_LT(p.fast.NumParameters(), p.before.total_params * 0.6);
  ScratchDir dir("speedup_mobilenet");
  testing::ExpectSameInCppAndPython(p.fast, x, expected, dir, "assert m.block1.dw_conv.weight.shape[0] == 58");
}

TEST(SpeedupTest, PythonScriptedResidualModel) {
  ScratchDir dir("speedup_script");
  std::ofstream(dir / "make.py") << "import sys, torch, torch.nn as nn\ntorch.manual_seed(0)"
                                  << testing::kPythonResidualBlock << R"(
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.layer = nn.Sequential(Block(8, 16), Block(8, 16))
        self.fc = nn.Linear(8 * 6 * 6, 10)
    def forward(self, x):
        x = self.layer(torch.relu(self.stem_bn(self.stem(x))))
        x = nn.functional.max_pool2d(x, 2)
        return self.fc(x.view(x.size(0), -1))
net = Net()
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.running_mean.normal_(0, 0.5); m.running_var.uniform_(0.5, 2); m.weight.data.normal_(1, 0.3); m.bias.data.normal_(0, 0.3)
torch.jit.script(net.eval()).save(sys.argv[1] + '/net.pt')
)";
  ASSERT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "make.py") + " " + dir.path().string()), 0);
  auto model = ScriptModel::Load(dir / "net.pt");
  ASSERT_TRUE(model.ok()) << model.status().message();
  Pruned p = PruneAndSpeedUp(std::move(*model), {1, 1, 12, 12},
                             "pruner: l2\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\nspeedup: true");
  at::Tensor x = torch::randn({3, 1, 12, 12});
  EXPECT_LT((Forward(p.masked, x) - Forward(p.fast, x)).abs().max().item<double>(), 1e-4);
  // The residual channels (stem, both blocks' conv2) went from 8 to 4, the inner ones from 16 to 8.
  EXPECT_EQ(FindSubmodule(ModuleOf(p.fast), "layer.1.conv2")->attr("weight").toTensor().sizes().vec(),
            (std::vector<int64_t>{4, 8, 3, 3}));
  EXPECT_EQ(FindSubmodule(ModuleOf(p.fast), "fc")->attr("weight").toTensor().size(1), 4 * 36);
  ASSERT_TRUE(p.fast.Save(dir / "fast.pt").ok());
  std::ofstream(dir / "check.py") << "import torch, sys\nm = torch.jit.load(sys.argv[1] + '/fast.pt')\n"
                                     "assert m(torch.zeros(2, 1, 12, 12)).shape == (2, 10)\n";
  EXPECT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "check.py") + " " + dir.path().string()), 0);
}

TEST(SpeedupTest, RefusesTheLevelPrunerAndUnprunableSelections) {
  auto net = testing::WithGraph(BuildZooModel({.name = "cnn2"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  ScriptModel* model = &net->model;
  const LayerGraph* g = &net->graph;
  ChannelAnalysis a = AnalyzeChannels(*g);
  auto level = PruneChannelGroups(*model, *g, a, Config("pruner: level\nconfig_list: [{sparse_ratio: 0.5}]"));
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.status().message().find("needs a structured pruner"), std::string::npos);
  auto out = PruneChannelGroups(*model, *g, a, Config("pruner: l1\nconfig_list: [{op_names: [fc2], sparse_ratio: 0.5}]"));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("fc2: the model's output"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace hone::compress
