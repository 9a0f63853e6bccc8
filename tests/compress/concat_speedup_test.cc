// Speedup through torch.cat, depthwise convolutions that share their TorchScript class,
// the error for grouped convolutions, and a scaled output, on models scripted in Python.
#include <fstream>
#include <optional>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/speedup.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;
using testing::Config;
using testing::Forward;

at::Tensor Weight(const ScriptModel& model, const std::string& layer) {
  return FindSubmodule(ModuleOf(model), layer)->attr("weight").toTensor();
}

const LayerNode* Find(const LayerGraph& g, const std::string& name) {
  for (const LayerNode& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// Two branches (conv, batch norm, relu, depthwise conv) concatenated, a batch norm over
// the concat, then a conv that mixes them. a_dw and b_dw are identical nn.Conv2d, so
// torch.jit.script gives them one class. `grouped.pt` has a grouped convolution,
// `odd.pt` scales a layer's output by a constant.
constexpr const char* kMakeModels = R"(
import sys, torch, torch.nn as nn
torch.manual_seed(0)
def randomize(net):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5); m.running_var.uniform_(0.5, 2); m.weight.data.normal_(1, 0.3); m.bias.data.normal_(0, 0.3)
    return net
class Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.a = nn.Conv2d(4, 6, 3, padding=1, bias=False)
        self.a_bn = nn.BatchNorm2d(6)
        self.a_dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.b = nn.Conv2d(4, 6, 1)
        self.b_bn = nn.BatchNorm2d(6)
        self.b_dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.cat_bn = nn.BatchNorm2d(12)
        self.mix = nn.Conv2d(12, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)
    def forward(self, x):
        x = torch.relu(self.stem(x))
        a = self.a_dw(torch.relu(self.a_bn(self.a(x))))
        b = self.b_dw(torch.relu(self.b_bn(self.b(x))))
        y = torch.relu(self.cat_bn(torch.cat([a, b], 1)))
        y = nn.functional.max_pool2d(torch.relu(self.mix(y)), 2)
        return self.fc(torch.flatten(y, 1))
class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.fc = nn.Linear(8, 10)
    def forward(self, x):
        x = self.grouped(torch.relu(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
class Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)
    def forward(self, x):
        x = torch.relu(self.stem(x)) * 2.0
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
torch.jit.script(randomize(Concat()).eval()).save(sys.argv[1] + '/concat.pt')
torch.jit.script(Grouped().eval()).save(sys.argv[1] + '/grouped.pt')
torch.jit.script(Odd().eval()).save(sys.argv[1] + '/odd.pt')
)";

class PythonModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("concat_speedup");
    std::ofstream(*dir_ / "make.py") << kMakeModels;
    made_ = testing::RunShell(std::string(HONE_PYTHON) + " " + (*dir_ / "make.py") + " " + dir_->path().string()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(made_) << "the Python script that makes the models failed"; }
  // The saved model `file` and its graph on 1x1x8x8 inputs; nullopt (a failure) when
  // either cannot be had.
  static std::optional<testing::Net> Load(const std::string& file) {
    return testing::WithGraph(ScriptModel::Load(*dir_ / file), {1, 1, 8, 8});
  }
  // The error of pruning `file`'s channel groups as `config` says ("" when it succeeds).
  static std::string GroupPruneError(const std::string& file, const std::string& config) {
    auto net = Load(file);
    if (!net) return "";
    auto out = PruneChannelGroups(net->model, net->graph, AnalyzeChannels(net->graph), Config(config));
    EXPECT_FALSE(out.ok());
    return out.ok() ? "" : out.status().message();
  }
  static ScratchDir* dir_;
  static bool made_;
};
ScratchDir* PythonModels::dir_ = nullptr;
bool PythonModels::made_ = false;

TEST_F(PythonModels, ConcatGroupsMapBackToTheirBranches) {
  auto net = Load("concat.pt");
  ASSERT_TRUE(net);
  const LayerGraph* g = &net->graph;
  ChannelAnalysis a = AnalyzeChannels(*g);
  const LayerNode* mix = Find(*g, "mix");
  const LayerNode* a_conv = Find(*g, "a");
  const LayerNode* b_conv = Find(*g, "b");
  const LayerNode* cat_bn = Find(*g, "cat_bn");
  ASSERT_TRUE(mix && a_conv && b_conv && cat_bn);
  const int ga = a.group_of_output[static_cast<size_t>(a_conv->id)];
  const int gb = a.group_of_output[static_cast<size_t>(b_conv->id)];
  ASSERT_GE(ga, 0);
  ASSERT_GE(gb, 0);
  EXPECT_NE(ga, gb);
  // The concat's batch norm spans both groups: a's channels first, then b's.
  const ChannelLayout& bn_layout = a.layout_of_output[static_cast<size_t>(cat_bn->id)];
  ASSERT_EQ(bn_layout.size(), 2u);
  EXPECT_EQ(bn_layout[0].group, ga);
  EXPECT_EQ(bn_layout[1].group, gb);
  EXPECT_EQ(a.group_of_output[static_cast<size_t>(cat_bn->id)], -1);
  for (int grp : {ga, gb}) {
    const ChannelGroup& group = a.groups[static_cast<size_t>(grp)];
    EXPECT_TRUE(group.prunable) << group.reason;
    ASSERT_EQ(group.consumers.size(), 1u);
    EXPECT_EQ(group.consumers[0].node, mix->id);
    EXPECT_EQ(group.consumers[0].offset, grp == ga ? 0 : 6);
    EXPECT_EQ(group.depthwise.size(), 1u);
  }
}

TEST_F(PythonModels, ConcatConsumerLosesTheBranchesPrunedChannels) {
  auto model = ScriptModel::Load(*dir_ / "concat.pt");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<int64_t> shape = {1, 1, 8, 8};
  auto g = BuildLayerGraph(*model, shape);
  ASSERT_TRUE(g.ok()) << g.status().message();
  ChannelAnalysis groups = AnalyzeChannels(*g);
  // b keeps 6 - floor(0.34 x 6) = 4 channels, a 3 of 6, mix 4 of 8, the stem 2 of 4.
  auto pruned = PruneChannelGroups(*model, *g, groups,
                                   Config("pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5},"
                                          " {op_names: [b], sparse_ratio: 0.34}]\nspeedup: true"));
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  auto fast = Speedup(*model, *g, groups, pruned->kept);
  ASSERT_TRUE(fast.ok()) << fast.status().message();

  torch::manual_seed(1);
  at::Tensor x = torch::randn({5, 1, 8, 8});
  at::Tensor expected = Forward(*model, x);
  EXPECT_LT((expected - Forward(*fast, x)).abs().max().item<double>(), 1e-4);

  // mix reads a's kept channels, then b's kept channels shifted by a's 6.
  const auto& kept_a = pruned->kept[static_cast<size_t>(groups.group_of_output[static_cast<size_t>(Find(*g, "a")->id)])];
  const auto& kept_b = pruned->kept[static_cast<size_t>(groups.group_of_output[static_cast<size_t>(Find(*g, "b")->id)])];
  const auto& kept_mix =
      pruned->kept[static_cast<size_t>(groups.group_of_output[static_cast<size_t>(Find(*g, "mix")->id)])];
  ASSERT_EQ(kept_a.size(), 3u);
  ASSERT_EQ(kept_b.size(), 4u);
  ASSERT_EQ(kept_mix.size(), 4u);
  std::vector<int64_t> in = kept_a;
  for (int64_t c : kept_b) in.push_back(6 + c);
  at::Tensor mix = Weight(*fast, "mix");
  EXPECT_EQ(mix.sizes().vec(), (std::vector<int64_t>{4, 7, 3, 3}));
  at::Tensor want = Weight(*model, "mix")
                        .index_select(0, torch::tensor(kept_mix, torch::kInt64))
                        .index_select(1, torch::tensor(in, torch::kInt64));
  EXPECT_TRUE(torch::equal(mix, want));
  EXPECT_EQ(FindSubmodule(ModuleOf(*fast), "cat_bn")->attr("running_mean").toTensor().size(0), 7);
  EXPECT_EQ(Weight(*fast, "a_dw").sizes().vec(), (std::vector<int64_t>{3, 1, 3, 3}));
  EXPECT_EQ(Weight(*fast, "b_dw").sizes().vec(), (std::vector<int64_t>{4, 1, 3, 3}));
  EXPECT_EQ(Weight(*fast, "fc").size(1), 4 * 16);

  auto after = BuildLayerGraph(*fast, shape);
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_LT(after->total_flops, g->total_flops / 2);
  // Saved and loaded in C++ and in Python, it computes the same.
  ScratchDir dir("concat_fast");
  testing::ExpectSameInCppAndPython(*fast, x, expected, dir, "assert m.mix.weight.shape == (4, 7, 3, 3)");
}

TEST_F(PythonModels, GroupedConvolutionIsABarrierWithItsName) {
  const std::string error = GroupPruneError("grouped.pt", "pruner: l1\nconfig_list: [{op_names: [stem], sparse_ratio: 0.5}]");
  EXPECT_NE(error.find("stem: grouped convolution grouped (groups=2"), std::string::npos) << error;
}

TEST_F(PythonModels, ScalingByAConstantCarriesTheChannels) {
  auto net = Load("odd.pt");  // relu(stem(x)) * 2.0
  ASSERT_TRUE(net);
  ChannelAnalysis groups = AnalyzeChannels(net->graph);
  auto pruned = PruneChannelGroups(net->model, net->graph, groups,
                                   Config("pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]"));
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  auto fast = Speedup(net->model, net->graph, groups, pruned->kept);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  at::Tensor x = torch::randn({2, 1, 8, 8});
  EXPECT_LT((Forward(net->model, x) - Forward(*fast, x)).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(Weight(*fast, "stem").size(0), 4);
  EXPECT_EQ(Weight(*fast, "fc").size(1), 4);
}

}  // namespace
}  // namespace hone::compress
