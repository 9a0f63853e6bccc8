// Folding batch norms into convolutions: zoo models and models scripted and traced in
// Python compute the same after folding, in C++ and in Python, without batch norms left
// in their forward.
#include "compress/quant/bn_folding.h"

#include <torch/csrc/jit/passes/inliner.h>

#include <functional>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Forward;
using testing::RandomizeBatchNorms;
using testing::ScratchDir;

int CountBatchNorms(const ScriptModel& model) {
  int n = 0;
  std::function<void(torch::jit::Block*)> walk = [&](torch::jit::Block* b) {
    for (torch::jit::Node* node : b->nodes()) {
      for (torch::jit::Block* sub : node->blocks()) walk(sub);
      n += node->kind() == c10::aten::batch_norm;
    }
  };
  auto graph = ModuleOf(model).get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  walk(graph->block());
  return n;
}

const FoldedLayer* Find(const FoldResult& r, const std::string& conv) {
  for (const FoldedLayer& f : r.folded) {
    if (f.conv == conv) return &f;
  }
  return nullptr;
}

ScriptModel Zoo(const std::string& name) {
  auto m = BuildZooModel({.name = name, .height = 16, .width = 16, .base_width = 8, .seed = 4});
  EXPECT_TRUE(m.ok()) << m.status().message();
  RandomizeBatchNorms(*m);
  return std::move(*m);
}

TEST(BnFoldingTest, Resnet20FoldsEveryBatchNormAndComputesTheSame) {
  torch::manual_seed(21);
  ScriptModel model = Zoo("resnet20");
  at::Tensor x = torch::randn({4, 1, 16, 16});
  at::Tensor expected = Forward(model, x);
  auto folded = FoldBatchNorms(model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  EXPECT_EQ(folded->folded.size(), 1u + 18u + 2u);  // stem, 9 blocks x 2, 2 shortcuts
  EXPECT_TRUE(folded->kept.empty());
  EXPECT_EQ(CountBatchNorms(model), 21);
  EXPECT_EQ(CountBatchNorms(folded->model), 0);
  at::Tensor y = Forward(folded->model, x);
  EXPECT_LT((y - expected).abs().max().item<double>(), 1e-5) << expected.abs().max().item<double>();
  EXPECT_TRUE(torch::equal(Forward(model, x), expected));  // the input model is unchanged
  const FoldedLayer* stem = Find(*folded, "conv1");
  ASSERT_NE(stem, nullptr);
  EXPECT_EQ(stem->batch_norm, "bn1");
  EXPECT_TRUE(stem->relu);
  ASSERT_NE(Find(*folded, "layer1.b0.conv1"), nullptr);
  EXPECT_TRUE(Find(*folded, "layer1.b0.conv1")->relu);
  EXPECT_FALSE(Find(*folded, "layer1.b0.conv2")->relu);  // the add comes first
  ASSERT_NE(Find(*folded, "layer2.b0.shortcut_conv"), nullptr);
  EXPECT_EQ(Find(*folded, "layer2.b0.shortcut_conv")->batch_norm, "layer2.b0.shortcut_bn");
  // The zoo's convolutions had no bias; the folded ones have the batch norms' shift.
  EXPECT_TRUE(TensorAttr(ModuleOf(folded->model), "conv1", "bias").defined());
  ScratchDir dir("quant_fold_resnet");
  testing::ExpectSameInCppAndPython(folded->model, x, y, dir, "assert m.conv1.bias.shape == (8,)");
}

TEST(BnFoldingTest, MobilenetDepthwiseConvolutionsFold) {
  torch::manual_seed(22);
  ScriptModel model = Zoo("mobilenetv2-small");
  at::Tensor x = torch::randn({2, 1, 16, 16});
  at::Tensor expected = Forward(model, x);
  auto folded = FoldBatchNorms(model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  EXPECT_TRUE(folded->kept.empty());
  EXPECT_NE(Find(*folded, "block1.dw_conv"), nullptr);
  EXPECT_EQ(CountBatchNorms(folded->model), 0);
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  EXPECT_LT((Forward(folded->model, x) - expected).abs().max().item<double>(), 1e-5 * scale);
}

// Python models: a scripted one with shared conv classes (nn.Sequential of identical
// layers), a conv whose bias is None and one with a bias, a conv whose output a residual
// also reads before its batch norm (kept), and the same net traced (aten::_convolution).
constexpr const char* kMakeModels = R"(import sys, torch, torch.nn as nn
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1, bias=True)
        self.stem_bn = nn.BatchNorm2d(4)
        self.body = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                                  nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU())
        self.side = nn.Conv2d(4, 4, 1, bias=False)
        self.side_bn = nn.BatchNorm2d(4)
    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        x = self.body(x)
        s = self.side(x)
        return self.side_bn(s) + s
net = Net()
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.running_mean.normal_(0, 0.5); m.running_var.uniform_(0.5, 2.0)
        m.weight.data.normal_(1, 0.3); m.bias.data.normal_(0, 0.3)
net.eval()
torch.jit.script(net).save(sys.argv[1] + '/scripted.pt')
torch.jit.trace(net, torch.randn(1, 1, 8, 8)).save(sys.argv[1] + '/traced.pt')
)";

TEST(BnFoldingTest, PythonScriptedAndTracedModelsFold) {
  ScratchDir dir("quant_fold_python");
  std::ofstream(dir / "make.py") << kMakeModels;
  ASSERT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "make.py") + " " + dir.path().string()), 0);
  torch::manual_seed(23);
  at::Tensor x = torch::randn({3, 1, 8, 8});
  for (const std::string file : {"scripted.pt", "traced.pt"}) {
    auto model = ScriptModel::Load(dir / file);
    ASSERT_TRUE(model.ok()) << model.status().message();
    at::Tensor expected = Forward(*model, x);
    auto folded = FoldBatchNorms(*model);
    ASSERT_TRUE(folded.ok()) << file << ": " << folded.status().message();
    ASSERT_EQ(folded->folded.size(), 3u) << file;
    EXPECT_EQ(folded->folded[0].conv, "stem");
    EXPECT_TRUE(folded->folded[0].relu) << file;
    EXPECT_EQ(folded->folded[1].conv, "body.0");
    EXPECT_EQ(folded->folded[1].batch_norm, "body.1");
    EXPECT_EQ(folded->folded[2].conv, "body.3");
    ASSERT_EQ(folded->kept.size(), 1u) << file;
    EXPECT_EQ(folded->kept[0], "side_bn: the convolution's output is also read by aten::add");
    EXPECT_EQ(CountBatchNorms(folded->model), 1) << file;
    EXPECT_LT((Forward(folded->model, x) - expected).abs().max().item<double>(), 1e-5) << file;
  }
}

}  // namespace
}  // namespace hone::compress
