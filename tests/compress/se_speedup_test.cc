// Structured pruning with speedup through squeeze-excitation blocks (x * gate, the gate
// computed from x's spatial mean by a small conv or linear branch), the activations of
// MobileNetV3 and EfficientNet (hardswish, hardsigmoid, relu6, silu, sigmoid), and past
// an op hone does not understand, which keeps only the channels it touches. The models
// are built with torch.nn and scripted in Python.
#include <fstream>
#include <optional>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/speedup.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Config;
using testing::Forward;
using testing::ScratchDir;

// se.pt: a stem and two inverted-residual blocks with squeeze-excitation, one with a
// convolutional SE (mean over H, W with keepdim, hardsigmoid gate) and hardswish, one
// with a linear SE (adaptive pooling, flatten, silu, sigmoid, view back to N x C x 1 x 1)
// and relu6, then a head, a spatial mean and the classifier. odd.pt: a layer whose
// output goes through torch.roll, which hone does not understand. chunk.pt: a stem split
// in two by chunk, each half read by its own convolution, the two added. branchy.pt: a
// stem whose output an if on the input's values sends to one of two convolutions.
constexpr const char* kMakeModels = R"(
import sys, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
def randomize(net):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5); m.running_var.uniform_(0.5, 2); m.weight.data.normal_(1, 0.3); m.bias.data.normal_(0, 0.3)
    return net
class SEConv(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Conv2d(c, r, 1)
        self.fc2 = nn.Conv2d(r, c, 1)
    def forward(self, x):
        s = F.relu(self.fc1(x.mean((2, 3), keepdim=True)))
        return x * F.hardsigmoid(self.fc2(s))
class SELinear(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Linear(c, r)
        self.fc2 = nn.Linear(r, c)
    def forward(self, x):
        b, c = x.size(0), x.size(1)
        s = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        s = torch.sigmoid(self.fc2(F.silu(self.fc1(s))))
        return x * s.view(b, c, 1, 1)
class Block(nn.Module):
    def __init__(self, c_in, mid, c_out, se, act):
        super().__init__()
        self.expand = nn.Conv2d(c_in, mid, 1, bias=False)
        self.expand_bn = nn.BatchNorm2d(mid)
        self.dw = nn.Conv2d(mid, mid, 3, padding=1, groups=mid, bias=False)
        self.dw_bn = nn.BatchNorm2d(mid)
        self.se = se
        self.project = nn.Conv2d(mid, c_out, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(c_out)
        self.act = act
        self.residual = c_in == c_out
    def forward(self, x):
        y = self.act(self.expand_bn(self.expand(x)))
        y = self.se(self.act(self.dw_bn(self.dw(y))))
        y = self.project_bn(self.project(y))
        return x + y if self.residual else y
class SENet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(8)
        self.b1 = Block(8, 16, 8, SEConv(16, 4), nn.Hardswish())
        self.b2 = Block(8, 24, 12, SELinear(24, 6), nn.ReLU6())
        self.head = nn.Conv2d(12, 32, 1)
        self.fc = nn.Linear(32, 10)
    def forward(self, x):
        x = F.hardswish(self.stem_bn(self.stem(x)))
        x = self.b2(self.b1(x))
        return self.fc(F.silu(self.head(x)).mean((2, 3)))
class Rolled(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
    def forward(self, x):
        return torch.roll(self.conv(x), 1, 3)
class OddNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.odd = Rolled()
        self.mid = nn.Conv2d(8, 16, 3, padding=1)
        self.mid_bn = nn.BatchNorm2d(16)
        self.last = nn.Conv2d(16, 8, 1)
        self.fc = nn.Linear(8, 10)
    def forward(self, x):
        x = self.odd(F.relu(self.stem(x)))
        x = F.relu(self.last(F.relu(self.mid_bn(self.mid(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
class Chunked(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.a = nn.Conv2d(4, 6, 3, padding=1)
        self.b = nn.Conv2d(4, 6, 3, padding=1)
        self.fc = nn.Linear(6, 10)
    def forward(self, x):
        left, right = torch.relu(self.stem(x)).chunk(2, 1)
        y = torch.relu(self.a(left) + self.b(right))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 1)
        self.head = nn.Conv2d(8, 6, 1)
        self.fc = nn.Linear(6, 10)
    def forward(self, x):
        bright = bool(x.sum() > 0)
        x = torch.relu(self.stem(x))
        if bright:
            y = self.a(x)
        else:
            y = self.b(x)
        y = torch.relu(self.head(torch.relu(y)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))
torch.jit.script(randomize(SENet()).eval()).save(sys.argv[1] + '/se.pt')
torch.jit.script(Branchy().eval()).save(sys.argv[1] + '/branchy.pt')
torch.jit.script(Chunked().eval()).save(sys.argv[1] + '/chunk.pt')
torch.jit.script(randomize(OddNet()).eval()).save(sys.argv[1] + '/odd.pt')
)";

at::Tensor Weight(const ScriptModel& model, const std::string& layer) {
  return FindSubmodule(ModuleOf(model), layer)->attr("weight").toTensor();
}

const ChannelGroup* GroupOf(const ChannelAnalysis& a, const LayerGraph& g, const std::string& producer) {
  for (const ChannelGroup& group : a.groups) {
    for (int p : group.producers) {
      if (g.nodes[static_cast<size_t>(p)].name == producer) return &group;
    }
  }
  return nullptr;
}

std::vector<std::string> Names(const std::vector<int>& nodes, const LayerGraph& g) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(g.nodes[static_cast<size_t>(n)].name);
  return out;
}

struct Pruned {
  ScriptModel masked;
  ScriptModel fast;
  GroupPruneResult result;
};

class SqueezeExcitation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("se_speedup");
    std::ofstream(*dir_ / "make.py") << kMakeModels;
    made_ = testing::RunShell(std::string(HONE_PYTHON) + " " + (*dir_ / "make.py") + " " + dir_->path().string()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(made_) << "the Python script that makes the models failed"; }
  static std::optional<testing::Net> Load(const std::string& file) {
    return testing::WithGraph(ScriptModel::Load(*dir_ / file), {1, 1, 8, 8});
  }
  // `file` pruned by `yaml` (masked) and sped up; nullopt (a failure) on an error.
  static std::optional<Pruned> PruneAndSpeedUp(const std::string& file, const std::string& yaml) {
    auto net = Load(file);
    if (!net) return std::nullopt;
    ChannelAnalysis groups = AnalyzeChannels(net->graph);
    auto result = PruneChannelGroups(net->model, net->graph, groups, Config(yaml));
    EXPECT_TRUE(result.ok()) << result.status().message();
    if (!result.ok()) return std::nullopt;
    auto fast = Speedup(net->model, net->graph, groups, result->kept);
    EXPECT_TRUE(fast.ok()) << fast.status().message();
    if (!fast.ok()) return std::nullopt;
    return Pruned{std::move(net->model), std::move(*fast), std::move(*result)};
  }
  static ScratchDir* dir_;
  static bool made_;
};
ScratchDir* SqueezeExcitation::dir_ = nullptr;
bool SqueezeExcitation::made_ = false;

TEST_F(SqueezeExcitation, GateLayersFollowTheChannelsTheyGate) {
  auto net = Load("se.pt");
  ASSERT_TRUE(net);
  const LayerGraph& g = net->graph;
  for (const LayerNode& n : g.nodes) EXPECT_NE(n.kind, OpKind::kOther) << n.op << " " << n.name;
  EXPECT_TRUE(RequireStructuredSupport(g).ok());
  ChannelAnalysis a = AnalyzeChannels(g);
  for (const std::string block : {"b1", "b2"}) {
    const ChannelGroup* expand = GroupOf(a, g, block + ".expand");
    ASSERT_TRUE(expand);
    EXPECT_TRUE(expand->prunable) << expand->reason;
    EXPECT_EQ(Names(expand->producers, g), (std::vector<std::string>{block + ".expand", block + ".se.fc2"}));
    EXPECT_EQ(Names(expand->gates, g), std::vector<std::string>{block + ".se.fc2"});
    EXPECT_EQ(Names(RankedProducers(*expand), g), std::vector<std::string>{block + ".expand"});
    std::vector<int> consumers;
    for (const ChannelConsumer& c : expand->consumers) consumers.push_back(c.node);
    EXPECT_EQ(Names(consumers, g), (std::vector<std::string>{block + ".se.fc1", block + ".project"}));
    EXPECT_EQ(Names(expand->depthwise, g), std::vector<std::string>{block + ".dw"});
    const ChannelGroup* squeeze = GroupOf(a, g, block + ".se.fc1");
    ASSERT_TRUE(squeeze);
    EXPECT_TRUE(squeeze->prunable) << squeeze->reason;
  }
  // The stem's channels and b1's projection meet in the residual add.
  EXPECT_EQ(Names(GroupOf(a, g, "stem")->producers, g), (std::vector<std::string>{"stem", "b1.project"}));
  EXPECT_TRUE(GroupOf(a, g, "head")->prunable);
  EXPECT_FALSE(GroupOf(a, g, "fc")->prunable);
}

TEST_F(SqueezeExcitation, PrunedAndSpedUpModelAgreesWithTheMaskedOneAndShrinks) {
  auto p = PruneAndSpeedUp("se.pt", "pruner: l1\nconfig_list: [{op_types: [Conv2d, Linear], sparsity: 0.5}]\n");
  ASSERT_TRUE(p);
  torch::manual_seed(2);
  at::Tensor x = torch::randn({4, 1, 8, 8});
  at::Tensor expected = Forward(p->masked, x);
  at::Tensor got = Forward(p->fast, x);
  EXPECT_EQ(got.sizes().vec(), (std::vector<int64_t>{4, 10}));
  EXPECT_LT((expected - got).abs().max().item<double>(), 1e-4);
  auto shape = [&](const std::string& layer) { return Weight(p->fast, layer).sizes().vec(); };
  using S = std::vector<int64_t>;
  EXPECT_EQ(shape("stem"), (S{4, 1, 3, 3}));
  EXPECT_EQ(shape("b1.expand"), (S{8, 4, 1, 1}));
  EXPECT_EQ(shape("b1.dw"), (S{8, 1, 3, 3}));
  EXPECT_EQ(shape("b1.se.fc1"), (S{2, 8, 1, 1}));   // reads the kept channels' means
  EXPECT_EQ(shape("b1.se.fc2"), (S{8, 2, 1, 1}));   // gates only the kept channels
  EXPECT_EQ(shape("b1.project"), (S{4, 8, 1, 1}));
  EXPECT_EQ(shape("b2.expand"), (S{12, 4, 1, 1}));
  EXPECT_EQ(shape("b2.se.fc1"), (S{3, 12}));
  EXPECT_EQ(shape("b2.se.fc2"), (S{12, 3}));
  EXPECT_EQ(shape("b2.project"), (S{6, 12, 1, 1}));
  EXPECT_EQ(shape("head"), (S{16, 6, 1, 1}));
  EXPECT_EQ(shape("fc"), (S{10, 16}));
  EXPECT_EQ(FindSubmodule(ModuleOf(p->fast), "b2.se.fc2")->attr("bias").toTensor().size(0), 12);
  EXPECT_LT(p->fast.NumParameters(), p->masked.NumParameters() / 2);
  ScratchDir dir("se_fast");
  testing::ExpectSameInCppAndPython(p->fast, x, expected, dir, "assert m.b2.se.fc2.weight.shape == (12, 3)");
}

TEST_F(SqueezeExcitation, ExcludedGateLayersStillFollowAndExcludedBlocksStayWhole) {
  // b2 excluded: its channels stay; b1 is pruned, its SE layers with it.
  auto p = PruneAndSpeedUp("se.pt", "pruner: FPGMPruner\nconfig_list:\n"
                                    "  - {op_types: [Conv2d, Linear], sparsity: 0.5}\n"
                                    "  - {op_names_re: ['b2\\.'], exclude: true}\n");
  ASSERT_TRUE(p);
  torch::manual_seed(3);
  at::Tensor x = torch::randn({2, 1, 8, 8});
  EXPECT_LT((Forward(p->masked, x) - Forward(p->fast, x)).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(Weight(p->fast, "b1.se.fc2").size(0), 8);
  EXPECT_EQ(Weight(p->fast, "b2.expand").sizes().vec(), (std::vector<int64_t>{24, 4, 1, 1}));  // reads the stem's 4
  EXPECT_EQ(Weight(p->fast, "b2.se.fc2").size(0), 24);
  EXPECT_EQ(Weight(p->fast, "b2.project").size(0), 12);
  EXPECT_EQ(Weight(p->fast, "head").size(1), 12);
}

TEST_F(SqueezeExcitation, UnknownOpKeepsOnlyTheChannelsItTouches) {
  for (const char* exclude : {"  - {op_names: ['odd.*'], exclude: true}\n", ""}) {
    auto p = PruneAndSpeedUp("odd.pt", std::string("pruner: l1\nconfig_list:\n"
                                                   "  - {op_types: [Conv2d], sparsity: 0.5}\n") + exclude);
    ASSERT_TRUE(p) << exclude;
    torch::manual_seed(4);
    at::Tensor x = torch::randn({3, 1, 8, 8});
    EXPECT_LT((Forward(p->masked, x) - Forward(p->fast, x)).abs().max().item<double>(), 1e-4);
    EXPECT_EQ(Weight(p->fast, "stem").size(0), 4) << exclude;
    EXPECT_EQ(Weight(p->fast, "odd.conv").sizes().vec(), (std::vector<int64_t>{8, 4, 3, 3})) << exclude;
    EXPECT_EQ(Weight(p->fast, "mid").sizes().vec(), (std::vector<int64_t>{8, 8, 3, 3})) << exclude;
    EXPECT_EQ(Weight(p->fast, "last").size(0), 4) << exclude;
    EXPECT_EQ(Weight(p->fast, "fc").size(1), 4) << exclude;
    for (const LayerPruneResult& l : p->result.report.layers) EXPECT_NE(l.name, "odd.conv");
    EXPECT_EQ(p->result.report.kept_whole.rfind("\n  odd.conv: aten::roll at %", 0) == 0, *exclude == '\0')
        << p->result.report.kept_whole;  // selected (not excluded): said why it stays whole
  }
  // Selecting only the layer the unknown op reads: nothing to prune, and why.
  auto net = Load("odd.pt");
  ASSERT_TRUE(net);
  auto only = PruneChannelGroups(net->model, net->graph, AnalyzeChannels(net->graph),
                                 Config("pruner: l1\nconfig_list: [{op_names: [odd.conv], sparsity: 0.5}]"));
  ASSERT_FALSE(only.ok());
  EXPECT_NE(only.status().message().find("odd.conv: aten::roll at %"), std::string::npos) << only.status().message();
}

// chunk returns a list, which hone does not follow: the stem's channels stay whole,
// while the layers after the chunk are pruned.
TEST_F(SqueezeExcitation, OpsWithSeveralResultsKeepTheChannelsTheyRead) {
  auto net = Load("chunk.pt");
  ASSERT_TRUE(net);
  bool saw_chunk = false;
  for (const LayerNode& n : net->graph.nodes) saw_chunk |= n.op == "aten::chunk" && n.kind == OpKind::kOther;
  EXPECT_TRUE(saw_chunk);
  auto p = PruneAndSpeedUp("chunk.pt", "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparsity: 0.5}]\n");
  ASSERT_TRUE(p);
  at::Tensor x = torch::randn({2, 1, 8, 8});
  EXPECT_LT((Forward(p->masked, x) - Forward(p->fast, x)).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(Weight(p->fast, "stem").size(0), 8);
  EXPECT_EQ(Weight(p->fast, "a").sizes().vec(), (std::vector<int64_t>{3, 4, 3, 3}));
  EXPECT_EQ(Weight(p->fast, "b").sizes().vec(), (std::vector<int64_t>{3, 4, 3, 3}));
  EXPECT_EQ(Weight(p->fast, "fc").size(1), 3);
}

// A branch on the input's values stays in the graph; the layers inside it read the
// stem's channels, which therefore stay whole, while the head after it is pruned.
TEST_F(SqueezeExcitation, BranchesKeepTheChannelsTheyRead) {
  auto p = PruneAndSpeedUp("branchy.pt", "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparsity: 0.5}]\n");
  ASSERT_TRUE(p);
  for (double sign : {1.0, -1.0}) {  // both branches
    at::Tensor x = torch::rand({2, 1, 8, 8}) * sign;
    EXPECT_LT((Forward(p->masked, x) - Forward(p->fast, x)).abs().max().item<double>(), 1e-4) << sign;
  }
  EXPECT_EQ(Weight(p->fast, "stem").size(0), 8);
  EXPECT_EQ(Weight(p->fast, "a").sizes().vec(), (std::vector<int64_t>{8, 8, 3, 3}));
  EXPECT_EQ(Weight(p->fast, "head").sizes().vec(), (std::vector<int64_t>{3, 8, 1, 1}));
  EXPECT_EQ(Weight(p->fast, "fc").size(1), 3);
}

}  // namespace
}  // namespace hone::compress
