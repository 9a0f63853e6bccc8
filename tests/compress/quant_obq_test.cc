// OBQ weight quantization: the layer solver on a random least-squares problem and on a
// real convolution of a trained cnn2 (Fashion-MNIST), whole models through
// QuantizeWeightsObq, and (Slow) the test accuracy of a trained vgg-small with 4-bit and
// 3-bit weights, OBQ against round-to-nearest.
#include "compress/quant/obq_quant.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/layer_inputs_torch.h"
#include "compress/quant/bn_folding.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/obq_solver_torch.h"
#include "compress/train/image_batches_torch.h"
#include "compress/train/trainer.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

const Normalization kFashionNorm{{0.2860f}, {0.3530f}};

// ||(a - b) X||^2 summed over rows.
double OutputError(const at::Tensor& a, const at::Tensor& b, const at::Tensor& x) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).matmul(x.to(torch::kDouble)).square().sum().item<double>();
}

// Expects every value of `q` (rows x anything) on its row's grid: an integer code in
// [qmin, qmax] times the row's scale, exactly the float FakeQuantizePerChannel gives.
void ExpectOnGrid(const at::Tensor& q, const ChannelParams& grid) {
  at::Tensor flat = q.reshape({q.size(0), -1}).to(torch::kFloat);
  at::Tensor codes = flat / torch::tensor(grid.scales).unsqueeze(1);
  EXPECT_LT((codes - codes.round()).abs().max().item<double>(), 1e-3);
  EXPECT_GE(codes.min().item<double>(), static_cast<double>(grid.qmin) - 1e-3);
  EXPECT_LE(codes.max().item<double>(), static_cast<double>(grid.qmax) + 1e-3);
  EXPECT_TRUE(torch::equal(FakeQuantizePerChannel(flat, grid), flat));
}

// W (rows x d) and correlated inputs X (d x n), H = 2 X X^T / n.
struct Problem {
  at::Tensor w, x, h;
};

Problem MakeProblem(int64_t rows, int64_t d, int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  at::Tensor mix = torch::randn({d, d}, torch::kDouble) * 0.3 + torch::eye(d, torch::kDouble);
  at::Tensor x = mix.matmul(torch::randn({d, n}, torch::kDouble));
  return {torch::randn({rows, d}), x, x.matmul(x.t()) * (2.0 / static_cast<double>(n))};
}

TEST(ObqSolverTest, RandomLayerOnItsGridWithFarLessOutputErrorThanRounding) {
  Problem p = MakeProblem(32, 96, 1024, 7);
  for (int bits : {4, 3}) {
    ChannelParams grid = ChoosePerChannelParams(p.w, 0, WeightSpec(bits));
    at::Tensor obq = ObqQuantizeRows(p.w, p.h, grid, {});
    at::Tensor rtn = FakeQuantizePerChannel(p.w, grid);
    ExpectOnGrid(obq, grid);
    EXPECT_EQ(obq.scalar_type(), torch::kFloat);
    const double e_obq = OutputError(obq, p.w, p.x), e_rtn = OutputError(rtn, p.w, p.x);
    std::printf("random layer %d bits: output error OBQ %.2f, round to nearest %.2f (%.2fx)\n", bits, e_obq, e_rtn,
                e_obq / e_rtn);
    EXPECT_LT(e_obq, 0.6 * e_rtn) << bits;  // measured 0.49x (4 bits), 0.44x (3 bits)
    EXPECT_NEAR(RelativeOutputError(obq, p.w, p.h), e_obq / OutputError(p.w, torch::zeros_like(p.w), p.x), 1e-9);
  }
}

TEST(ObqSolverTest, IdentityHessianIsRoundToNearest) {
  Problem p = MakeProblem(8, 40, 64, 3);
  ChannelParams grid = ChoosePerChannelParams(p.w, 0, WeightSpec(4));
  at::Tensor rtn = FakeQuantizePerChannel(p.w, grid);
  for (bool act_order : {true, false}) {
    at::Tensor q = ObqQuantizeRows(p.w, torch::eye(40, torch::kDouble), grid, {.block = 16, .act_order = act_order});
    EXPECT_TRUE(torch::equal(q, rtn)) << act_order;
  }
}

TEST(ObqSolverTest, DeterministicAndBlockSizeDoesNotChangeTheResult) {
  Problem p = MakeProblem(16, 70, 512, 11);
  ChannelParams grid = ChoosePerChannelParams(p.w, 0, WeightSpec(4));
  at::Tensor a = ObqQuantizeRows(p.w, p.h, grid, {.block = 128});
  EXPECT_TRUE(torch::equal(a, ObqQuantizeRows(p.w, p.h, grid, {.block = 128})));
  // Lazy updates only regroup the same sums: a few codes may flip on rounding ties at most.
  at::Tensor b = ObqQuantizeRows(p.w, p.h, grid, {.block = 16});
  EXPECT_LE((a != b).sum().item<int64_t>(), 2);
  at::Tensor natural = ObqQuantizeRows(p.w, p.h, grid, {.act_order = false});
  EXPECT_LT(OutputError(natural, p.w, p.x), 0.6 * OutputError(FakeQuantizePerChannel(p.w, grid), p.w, p.x));
}

TEST(ObqSolverTest, DeadInputsAreRoundedAndCostNothing) {
  Problem p = MakeProblem(8, 20, 256, 5);
  p.x.slice(0, 0, 4).zero_();  // inputs 0..3 never vary
  p.h = p.x.matmul(p.x.t()) * (2.0 / 256);
  ChannelParams grid = ChoosePerChannelParams(p.w, 0, WeightSpec(4));
  at::Tensor q = ObqQuantizeRows(p.w, p.h, grid, {});
  ExpectOnGrid(q, grid);
  EXPECT_TRUE(torch::equal(q.slice(1, 0, 4), FakeQuantizePerChannel(p.w, grid).slice(1, 0, 4)));
}

TrainOptions AdamOneEpoch(int64_t batch_size) {
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 2e-3;
  opt.weight_decay = 0;
  opt.batch_size = batch_size;
  opt.seed = 1;
  return opt;
}

// cnn2 (8 and 16 filters) trained for one epoch on 3000 Fashion-MNIST images.
class ObqTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::HaveFashionMnist()) return;
    train_ = new ImageSet(testing::FashionMnist(Split::kTrain, 3000));
    auto m = BuildZooModel({.name = "cnn2", .base_width = 8, .seed = 1});
    ASSERT_TRUE(m.ok()) << m.status().message();
    ASSERT_TRUE(Train(*m, *train_, nullptr, kFashionNorm, AdamOneEpoch(64)).ok());
    model_ = new ScriptModel(std::move(*m));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete model_;
    train_ = nullptr;
    model_ = nullptr;
  }
  void SetUp() override {
    if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    ASSERT_NE(model_, nullptr);
  }

  static ImageSet* train_;
  static ScriptModel* model_;
};

ImageSet* ObqTest::train_ = nullptr;
ScriptModel* ObqTest::model_ = nullptr;

// Layer `name`'s input columns (d x n) on training images [begin, end).
at::Tensor InputsOf(const ScriptModel& model, const std::string& name, const ImageSet& data, int64_t begin,
                    int64_t end) {
  auto graph = BuildLayerGraph(model, {1, 1, 28, 28});
  EXPECT_TRUE(graph.ok());
  torch::jit::Module module = ModuleOf(model);
  int node = -1;
  for (const LayerNode& n : graph->nodes) node = n.name == name ? n.id : node;
  auto probe = LayerInputsProbe(module, *graph, {node}, "test");
  EXPECT_TRUE(probe.ok()) << probe.status().message();
  torch::NoGradGuard no_grad;
  at::Tensor x = ProbedLayerInput(**probe, module, ImageBatches(data, kFashionNorm).Range(begin, end), 0);
  return InputColumns(graph->nodes[static_cast<size_t>(node)], x).front().to(torch::kDouble);
}

TEST_F(ObqTest, RealConvolutionOnItsGridWithFarLessOutputErrorThanRounding) {
  at::Tensor w = TensorAttr(ModuleOf(*model_), "conv2", "weight").detach().flatten(1);  // 16 x 72
  at::Tensor x = InputsOf(*model_, "conv2", *train_, 0, 512);
  at::Tensor held_out = InputsOf(*model_, "conv2", *train_, 2000, 2500);
  at::Tensor h = x.matmul(x.t()) * (2.0 / static_cast<double>(x.size(1)));
  for (int bits : {4, 3}) {
    ChannelParams grid = ChoosePerChannelParams(w, 0, WeightSpec(bits));
    at::Tensor obq = ObqQuantizeRows(w, h, grid, {});
    at::Tensor rtn = FakeQuantizePerChannel(w, grid);
    ExpectOnGrid(obq, grid);
    const double e_obq = OutputError(obq, w, x), e_rtn = OutputError(rtn, w, x);
    const double h_obq = OutputError(obq, w, held_out), h_rtn = OutputError(rtn, w, held_out);
    std::printf("cnn2 conv2 %d bits: output error OBQ / round to nearest %.3f (calibration), %.3f (held out)\n", bits,
                e_obq / e_rtn, h_obq / h_rtn);
    EXPECT_LT(e_obq, 0.3 * e_rtn) << bits;  // measured 0.08x (4 bits), 0.10x (3 bits)
    EXPECT_LT(h_obq, 0.4 * h_rtn) << bits;
  }
}

TEST_F(ObqTest, EveryLayerOnItsGridCloserThanRoundingExcludedLayersUnchanged) {
  ObqOptions o{.spec = WeightSpec(4), .batches = 4, .batch_size = 64, .exclude = {"conv1"}};
  auto q = QuantizeWeightsObq(*model_, *train_, kFashionNorm, o);
  ASSERT_TRUE(q.ok()) << q.status().message();
  torch::jit::Module before = ModuleOf(*model_), after = ModuleOf(q->model);
  ASSERT_EQ(q->layers.size(), 3u);  // conv2 and the classifier's two linear layers
  EXPECT_EQ(q->layers.front().layer, "conv2");
  EXPECT_TRUE(torch::equal(TensorAttr(after, "conv1", "weight"), TensorAttr(before, "conv1", "weight")));
  EXPECT_EQ(q->weight_grids.count("conv1"), 0u);
  for (const LayerWeightError& e : q->layers) {
    std::printf("cnn2 %s: output error OBQ %.5f, round to nearest %.5f\n", e.layer.c_str(), e.output_error,
                e.rtn_output_error);
    ASSERT_EQ(q->weight_grids.count(e.layer), 1u);
    const ChannelParams& grid = q->weight_grids.at(e.layer);
    ExpectOnGrid(TensorAttr(after, e.layer, "weight"), grid);
    EXPECT_EQ(grid.scales.size(), static_cast<size_t>(e.channels));
    EXPECT_LT(e.output_error, 0.5 * e.rtn_output_error) << e.layer;  // measured 0.03x to 0.07x
    EXPECT_FALSE(torch::equal(TensorAttr(after, e.layer, "weight"), TensorAttr(before, e.layer, "weight")));
  }
  auto again = QuantizeWeightsObq(*model_, *train_, kFashionNorm, o);
  ASSERT_TRUE(again.ok());
  for (const LayerWeightError& e : q->layers) {
    EXPECT_TRUE(torch::equal(TensorAttr(after, e.layer, "weight"), TensorAttr(ModuleOf(again->model), e.layer, "weight")));
  }
}

TEST_F(ObqTest, FloatInputsAndPlainSequentialModesAlsoBeatRoundingAndReportEachLayer) {
  for (bool sequential : {false, true}) {
    std::FILE* progress = std::tmpfile();
    ObqOptions o{.spec = WeightSpec(3), .batches = 2, .act_order = false, .sequential = sequential,
                 .compensate = false, .progress = progress};
    auto q = QuantizeWeightsObq(*model_, *train_, kFashionNorm, o);
    ASSERT_TRUE(q.ok()) << q.status().message();
    ASSERT_EQ(q->layers.size(), 4u);
    for (const LayerWeightError& e : q->layers) {
      ExpectOnGrid(TensorAttr(ModuleOf(q->model), e.layer, "weight"), q->weight_grids.at(e.layer));
      EXPECT_LT(e.output_error, 0.7 * e.rtn_output_error) << e.layer << " " << sequential;
    }
    std::rewind(progress);
    char line[256];
    ASSERT_NE(std::fgets(line, sizeof line, progress), nullptr);
    EXPECT_EQ(std::string(line).rfind("obq: layer 1/4 conv1: output error ", 0), 0u) << line;
    std::fclose(progress);
  }
}

TEST_F(ObqTest, RejectsBadOptions) {
  auto bad_name = QuantizeWeightsObq(*model_, *train_, kFashionNorm, {.batches = 1, .exclude = {"conv9"}});
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().message(), "obq: exclude names no layer with a weight: conv9");
  auto affine = QuantizeWeightsObq(*model_, *train_, kFashionNorm, {.spec = ActivationSpec(4)});
  ASSERT_FALSE(affine.ok());
  EXPECT_EQ(affine.status().message(), "obq quantizes weights on signed symmetric grids, not uint4 affine");
  auto no_data = QuantizeWeightsObq(*model_, ImageSet{}, kFashionNorm, {});
  ASSERT_FALSE(no_data.ok());
  EXPECT_EQ(no_data.status().message(), "obq needs calibration images: the data set has none");
  auto wide = QuantizeWeightsObq(*model_, *train_, kFashionNorm, {.spec = WeightSpec(9)});
  EXPECT_FALSE(wide.ok());
}

TEST(ObqGroupedTest, DepthwiseAndGroupedConvolutionsGroupByGroup) {
  testing::Net net = testing::ZooNet("mobilenetv2-small", 8, 8, 6);
  auto folded = FoldBatchNorms(net.model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  auto q = QuantizeWeightsObq(folded->model, testing::Noise(64, 8, 2), testing::kNorm,
                              {.batches = 1, .threads = 1});
  ASSERT_TRUE(q.ok()) << q.status().message();
  int64_t depthwise = 0, layers = 0;
  for (const LayerNode& n : net.graph.nodes) {
    layers += n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear;
    depthwise += n.kind == OpKind::kConv2d && n.groups > 1;
  }
  EXPECT_GT(depthwise, 0);
  ASSERT_EQ(static_cast<int64_t>(q->layers.size()), layers);
  for (const LayerWeightError& e : q->layers) {
    ExpectOnGrid(TensorAttr(ModuleOf(q->model), e.layer, "weight"), q->weight_grids.at(e.layer));
    EXPECT_LE(e.output_error, e.rtn_output_error * 1.0001 + 1e-12) << e.layer;
  }
}

double Accuracy(ScriptModel& model, const ImageSet& test) {
  auto stats = Evaluate(model, test, kFashionNorm);
  EXPECT_TRUE(stats.ok()) << stats.status().message();
  return stats.ok() ? stats->accuracy * 100 : 0.0;
}

TEST(ObqSlowTest, FourBitObqKeepsMoreAccuracyThanRounding) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet train = testing::FashionMnist(Split::kTrain, 6000);
  ImageSet test = testing::FashionMnist(Split::kTest, 10000);
  auto model = BuildZooModel({.name = "vgg-small", .base_width = 8, .seed = 1});
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(Train(*model, train, nullptr, kFashionNorm, AdamOneEpoch(128)).ok());
  auto folded = FoldBatchNorms(*model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  const double float_acc = Accuracy(folded->model, test);
  for (int bits : {4, 3}) {
    auto rtn = QuantizeWeightsRtn(folded->model, WeightSpec(bits));
    auto obq = QuantizeWeightsObq(folded->model, train, kFashionNorm, {.spec = WeightSpec(bits), .batches = 8});
    ASSERT_TRUE(rtn.ok()) << rtn.status().message();
    ASSERT_TRUE(obq.ok()) << obq.status().message();
    const double rtn_acc = Accuracy(rtn->model, test), obq_acc = Accuracy(obq->model, test);
    std::printf("vgg-small %d-bit weights: float %.2f %%, round to nearest %.2f %%, OBQ %.2f %%\n", bits, float_acc,
                rtn_acc, obq_acc);
    EXPECT_GT(obq_acc, rtn_acc) << bits;
    EXPECT_GT(obq_acc, float_acc - (bits == 4 ? 1.5 : 3.0)) << bits;
  }
}

}  // namespace
}  // namespace hone::compress
