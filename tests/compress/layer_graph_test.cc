#include "compress/graph/layer_graph.h"

#include <fstream>

#include <gtest/gtest.h>

#include "compress/graph/model_profile.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;

const LayerNode* Find(const LayerGraph& g, const std::string& name) {
  for (const LayerNode& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

int Count(const LayerGraph& g, OpKind kind) {
  int c = 0;
  for (const LayerNode& n : g.nodes) c += n.kind == kind;
  return c;
}

TEST(LayerGraphTest, Cnn2ShapesParamsAndHandComputedFlops) {
  auto net = testing::WithGraph(BuildZooModel({.name = "cnn2"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  ScriptModel* model = &net->model;
  const LayerGraph* g = &net->graph;
  const LayerNode* conv1 = Find(*g, "conv1");
  const LayerNode* conv2 = Find(*g, "conv2");
  const LayerNode* fc1 = Find(*g, "fc1");
  const LayerNode* fc2 = Find(*g, "fc2");
  ASSERT_TRUE(conv1 && conv2 && fc1 && fc2);
  EXPECT_EQ(conv1->output_shape, (std::vector<int64_t>{1, 32, 28, 28}));
  EXPECT_EQ(conv1->inputs, std::vector<int>{-1});
  EXPECT_EQ(conv1->kernel, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(conv1->padding, (std::vector<int64_t>{1, 1}));
  // 32x28x28 outputs x (1 x 3 x 3) MACs, plus one bias add per output.
  EXPECT_EQ(conv1->flops, 25088 * 9 + 25088);
  EXPECT_EQ(conv1->params, 32 * 9 + 32);
  // 64x14x14 outputs x (32 x 3 x 3), plus bias.
  EXPECT_EQ(conv2->input_shapes[0], (std::vector<int64_t>{1, 32, 14, 14}));
  EXPECT_EQ(conv2->flops, 12544 * 288 + 12544);
  EXPECT_EQ(fc1->in_channels, 3136);
  EXPECT_EQ(fc1->flops, 128 * 3136 + 128);
  EXPECT_EQ(fc2->flops, 10 * 128 + 10);
  EXPECT_EQ(g->total_flops, 250880 + 3625216 + 401536 + 1290);
  EXPECT_EQ(g->total_params, 421642);
  EXPECT_EQ(Count(*g, OpKind::kFlatten), 1);
  EXPECT_EQ(Count(*g, OpKind::kPool), 2);
  EXPECT_EQ(g->output, fc2->id);
  EXPECT_TRUE(RequireStructuredSupport(*g).ok());
  // Flops scale with the batch.
  auto g4 = BuildLayerGraph(*model, {4, 1, 28, 28});
  ASSERT_TRUE(g4.ok());
  EXPECT_EQ(g4->total_flops, 4 * g->total_flops);
}

TEST(LayerGraphTest, ResNet20ResidualAddsAndBatchNorm) {
  auto net = testing::WithGraph(BuildZooModel({.name = "resnet20", .channels = 3, .height = 32, .width = 32}),
                                {1, 3, 32, 32});
  ASSERT_TRUE(net);
  const LayerGraph* g = &net->graph;
  EXPECT_EQ(Count(*g, OpKind::kConv2d), 21);  // 19 + two projection shortcuts
  EXPECT_EQ(Count(*g, OpKind::kBatchNorm), 21);
  EXPECT_EQ(Count(*g, OpKind::kAdd), 9);
  EXPECT_EQ(g->total_params, 272474);
  const LayerNode* bn = Find(*g, "layer2.b0.bn1");
  ASSERT_TRUE(bn);
  EXPECT_EQ(bn->output_shape, (std::vector<int64_t>{1, 32, 16, 16}));
  EXPECT_EQ(bn->flops, 2 * 32 * 16 * 16);
  const LayerNode* conv = Find(*g, "layer2.b0.conv1");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->stride, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv->flops, 32 * 16 * 16 * (16 * 9));
  // The first block of layer1 adds its input (the stem's relu) to bn2's output.
  const LayerNode* bn2 = Find(*g, "layer1.b0.bn2");
  ASSERT_TRUE(bn2);
  const LayerNode* add = nullptr;
  for (const LayerNode& n : g->nodes) {
    if (n.kind == OpKind::kAdd && std::find(n.inputs.begin(), n.inputs.end(), bn2->id) != n.inputs.end()) add = &n;
  }
  ASSERT_TRUE(add);
  ASSERT_EQ(add->inputs.size(), 2u);
  const LayerNode& other = g->nodes[static_cast<size_t>(add->inputs[0] == bn2->id ? add->inputs[1] : add->inputs[0])];
  EXPECT_EQ(other.kind, OpKind::kActivation);
  EXPECT_EQ(other.output_shape, (std::vector<int64_t>{1, 16, 32, 32}));
  EXPECT_TRUE(RequireStructuredSupport(*g).ok());
}

TEST(LayerGraphTest, MobileNetV2DepthwiseConvolutions) {
  auto net = testing::WithGraph(BuildZooModel({.name = "mobilenetv2-small"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  const LayerGraph* g = &net->graph;
  const LayerNode* dw = Find(*g, "block1.dw_conv");
  ASSERT_TRUE(dw);
  EXPECT_EQ(dw->groups, 96);
  EXPECT_EQ(dw->in_channels, 96);
  EXPECT_EQ(dw->output_shape, (std::vector<int64_t>{1, 96, 14, 14}));
  EXPECT_EQ(dw->flops, 96 * 14 * 14 * 9);  // one 3x3 filter per channel
  EXPECT_EQ(dw->params, 96 * 9);
  EXPECT_EQ(Count(*g, OpKind::kAdd), 4);   // blocks whose shape is unchanged
  EXPECT_TRUE(RequireStructuredSupport(*g).ok());
}

TEST(LayerGraphTest, PythonScriptedModelWithAnUnknownOp) {
  ScratchDir dir("graph_py");
  std::ofstream(dir / "make.py") << "import sys, torch, torch.nn as nn" << testing::kPythonResidualBlock << R"(
class Net(nn.Module):
    def __init__(self, odd):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.layer = nn.Sequential(Block(8), Block(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)
        self.odd = odd
    def forward(self, x):
        x = self.layer(torch.relu(self.stem(x)))
        if self.odd:
            x = torch.roll(x, 1, 2)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(nn.functional.dropout(x, 0.1, self.training))
torch.jit.script(Net(False)).save(sys.argv[1] + '/plain.pt')
torch.jit.script(Net(True)).save(sys.argv[1] + '/odd.pt')
)";
  ASSERT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "make.py") + " " + dir.path().string()), 0);
  auto plain = ScriptModel::Load(dir / "plain.pt");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  auto g = BuildLayerGraph(*plain, {2, 1, 12, 12});
  ASSERT_TRUE(g.ok()) << g.status().message();
  const LayerNode* conv = Find(*g, "layer.1.conv2");
  ASSERT_TRUE(conv) << "Sequential children keep their names";
  EXPECT_EQ(conv->flops, 2 * 8 * 12 * 12 * (8 * 9));
  EXPECT_EQ(Count(*g, OpKind::kConv2d), 5);
  EXPECT_EQ(Count(*g, OpKind::kBatchNorm), 4);
  EXPECT_EQ(Count(*g, OpKind::kAdd), 2);
  EXPECT_EQ(Count(*g, OpKind::kOther), 0);
  EXPECT_TRUE(RequireStructuredSupport(*g).ok());
  const LayerNode* fc = Find(*g, "fc");
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->output_shape, (std::vector<int64_t>{2, 10}));

  auto odd = ScriptModel::Load(dir / "odd.pt");
  ASSERT_TRUE(odd.ok());
  auto godd = BuildLayerGraph(*odd, {1, 1, 12, 12});
  ASSERT_TRUE(godd.ok()) << godd.status().message();
  Status st = RequireStructuredSupport(*godd);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("aten::roll at node %"), std::string::npos) << st.message();
}

TEST(LayerGraphTest, ProfilesLatency) {
  auto net = testing::WithGraph(BuildZooModel({.name = "lenet5"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  ScriptModel* model = &net->model;
  const LayerGraph* g = &net->graph;
  LatencyOptions o{.warmup = 1, .repeats = 3, .threads = 1};
  auto total = MeasureLatencyMs(*model, {1, 1, 28, 28}, o);
  ASSERT_TRUE(total.ok());
  EXPECT_GT(*total, 0);
  auto layers = MeasureLayerLatencyMs(*model, *g, o);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  EXPECT_GT((*layers)[static_cast<size_t>(Find(*g, "conv1")->id)], 0);
  EXPECT_LT((*layers)[static_cast<size_t>(Find(*g, "conv1")->id + 1)], 0);  // the relu after it
  EXPECT_FALSE(BuildLayerGraph(*model, {1, 3, 28, 28}).ok());
}

TEST(LayerGraphTest, ChannelsLastTimingRestoresTheWeights) {
  auto net = testing::WithGraph(BuildZooModel({.name = "resnet20", .height = 8, .width = 8, .seed = 2}), {2, 1, 8, 8});
  ASSERT_TRUE(net);
  ScriptModel* model = &net->model;
  const LayerGraph* g = &net->graph;
  const at::Tensor x = torch::randn({2, 1, 8, 8});
  const at::Tensor before = testing::Forward(*model, x);
  LatencyOptions o{.warmup = 1, .repeats = 2, .threads = 1, .channels_last = true};
  ASSERT_TRUE(MeasureLatencyMs(*model, {2, 1, 8, 8}, o).ok());
  ASSERT_TRUE(MeasureLayerLatencyMs(*model, *g, o).ok());
  for (const at::Tensor& p : ModuleOf(*model).parameters()) EXPECT_TRUE(p.is_contiguous());
  EXPECT_TRUE(torch::equal(testing::Forward(*model, x), before));
}

}  // namespace
}  // namespace hone::compress
