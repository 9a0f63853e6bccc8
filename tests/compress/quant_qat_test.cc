// Quantization-aware training: gradients reach the weights through the straight-through
// quantizers and reach LSQ's step sizes; the trained fake-quant model equals the folded
// model with its snapped weights and final activation grids (what the int8 converter
// receives), is deterministic with a seed, and saves and runs the same in Python; and on
// Fashion-MNIST at 4 bits one epoch of QAT or LSQ beats post-training quantization.
#include "compress/quant/quant_aware_training.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "compress/quant/bn_folding.h"
#include "compress/quant/int8_model.h"
#include "compress/quant/qat_graph_torch.h"
#include "compress/quant/simulated_quant.h"
#include "compress/train/image_batches_torch.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Forward;

struct Calibrated {
  ScriptModel folded;
  std::vector<ActivationPoint> points;
};

Calibrated Calibrate(const ScriptModel& model, const ImageSet& images, const Normalization& norm, int bits) {
  auto folded = FoldBatchNorms(model);
  EXPECT_TRUE(folded.ok()) << folded.status().message();
  auto graph = BuildLayerGraph(folded->model, {1, images.channels, images.height, images.width});
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  auto points = CalibrateActivations(folded->model, *graph, images, norm,
                                     {.observer = {}, .spec = ActivationSpec(bits), .batches = 4, .batch_size = 32});
  EXPECT_TRUE(points.ok()) << points.status().message();
  return {std::move(folded->model), std::move(*points)};
}

// A small cnn2 on 8x8 noise, batch norms randomised, folded and calibrated at `bits`.
Calibrated SmallCnn(int bits) {
  auto m = BuildZooModel({.name = "cnn2", .height = 8, .width = 8, .base_width = 4, .seed = 5});
  EXPECT_TRUE(m.ok()) << m.status().message();
  testing::RandomizeBatchNorms(*m, true);
  return Calibrate(*m, testing::Noise(128, 8, 2), testing::kNorm, bits);
}

at::Tensor NoiseBatch(int64_t n, uint64_t seed) {
  ImageBatches batches(testing::Noise(n, 8, seed), testing::kNorm);
  return batches.Range(0, n);
}

QatOptions SmallOptions(QatMethod method, int bits) {
  QatOptions opt;
  opt.method = method;
  opt.weights = WeightSpec(bits);
  opt.activations = ActivationSpec(bits);
  opt.train.epochs = 1;
  opt.train.lr = 0.01;
  opt.train.batch_size = 32;
  opt.train.threads = 1;
  opt.train.seed = 3;
  return opt;
}

TEST(QatTest, ParsesMethodNames) {
  EXPECT_EQ(*ParseQatMethod("qat"), QatMethod::kSte);
  EXPECT_EQ(*ParseQatMethod("lsq"), QatMethod::kLsq);
  auto bad = ParseQatMethod("dorefa");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("qat or lsq"), std::string::npos);
  EXPECT_EQ(QatMethodName(QatMethod::kSte), "qat");
}

// One training-mode forward and backward through the rewritten TorchScript forward.
TEST(QatTest, GradientsReachWeightsAndLsqSteps) {
  Calibrated c = SmallCnn(4);
  for (QuantizerKind kind : {QuantizerKind::kSte, QuantizerKind::kLsq}) {
    torch::jit::Module m;
    {
      torch::NoGradGuard no_grad;  // leaves: clone() copies tensors with Tensor::clone
      m = ModuleOf(c.folded).clone();
    }
    auto sites = InstallQuantizers(m, c.points, {.kind = kind, .weights = WeightSpec(4),
                                                 .activations = ActivationSpec(4)});
    ASSERT_TRUE(sites.ok()) << sites.status().message();
    EXPECT_EQ(sites->weights.size(), 4u);  // two convolutions, two linear layers
    EXPECT_EQ(sites->point_site.size(), c.points.size());
    m.train(true);
    for (const at::Tensor& p : m.parameters()) p.requires_grad_(true);
    at::Tensor y = m.forward({NoiseBatch(16, 4)}).toTensor();
    y.pow(2).sum().backward();
    for (const WeightSite& site : sites->weights) {
      at::Tensor g = TensorAttr(m, site.layer, "weight").grad();
      ASSERT_TRUE(g.defined()) << site.layer;
      EXPECT_GT(g.abs().sum().item<double>(), 0) << site.layer;
      if (kind == QuantizerKind::kLsq) {
        at::Tensor gs = m.attr(site.step).toTensor().grad();
        ASSERT_TRUE(gs.defined()) << site.step;
        EXPECT_GT(gs.abs().sum().item<double>(), 0) << site.step;
      }
    }
    // Every output step has a gradient. (An input read from a max pool of the previous
    // quantized output lies on that grid already, and its step's gradient is 0 while
    // both steps are equal.)
    for (size_t i = 0; i < c.points.size() && kind == QuantizerKind::kLsq; ++i) {
      const ActivationSite& site = sites->activations[sites->point_site[i]];
      at::Tensor gs = m.attr(site.step).toTensor().grad();
      ASSERT_TRUE(gs.defined()) << site.step;
      if (!c.points[i].is_input) EXPECT_NE(gs.item<double>(), 0) << site.value;
    }
  }
}

// The int8 converter's view: the folded model with the snapped weights, and a static
// fake quant on each final activation grid.
at::Tensor ConverterView(const QatResult& r, const at::Tensor& x) {
  torch::jit::Module m = ModuleOf(r.weights).clone();
  auto sites = InstallQuantizers(m, r.points, {.kind = QuantizerKind::kStatic});
  EXPECT_TRUE(sites.ok()) << sites.status().message();
  return Forward(WrapModule(m), x);
}

void ExpectWeightsOnTheirGrids(const QatResult& r) {
  for (const auto& [layer, grid] : r.weight_grids) {
    at::Tensor w = TensorAttr(ModuleOf(r.weights), layer, "weight").detach().flatten(1);
    at::Tensor s = torch::tensor(grid.scales).unsqueeze(1);
    at::Tensor q = w / s;
    EXPECT_LT((q - q.round()).abs().max().item<double>(), 1e-3) << layer;
    EXPECT_GE(q.round().min().item<double>(), grid.qmin) << layer;
    EXPECT_LE(q.round().max().item<double>(), grid.qmax) << layer;
  }
}

TEST(QatTest, TrainedModelIsWhatTheConverterGetsIsDeterministicAndRunsInPython) {
  Calibrated c = SmallCnn(4);
  const ImageSet train = testing::Noise(128, 8, 9);
  const at::Tensor x = NoiseBatch(64, 11);
  for (QatMethod method : {QatMethod::kSte, QatMethod::kLsq}) {
    SCOPED_TRACE(QatMethodName(method));
    auto r = TrainQuantAware(c.folded, c.points, train, nullptr, testing::kNorm, SmallOptions(method, 4));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->history.size(), 1u);
    EXPECT_EQ(r->weight_grids.size(), 4u);
    ASSERT_EQ(r->points.size(), c.points.size());
    for (size_t i = 0; i < c.points.size(); ++i) {
      EXPECT_EQ(r->points[i].value, c.points[i].value);
      EXPECT_EQ(r->points[i].params.qmax, 15);
    }
    ExpectWeightsOnTheirGrids(*r);
    const at::Tensor y = Forward(r->model, x);
    EXPECT_LT((y - ConverterView(*r, x)).abs().max().item<double>(), 1e-4 * (1 + y.abs().max().item<double>()));
    // The weights moved (training happened), and the same seed gives the same model.
    EXPECT_GT((y - Forward(c.folded, x)).abs().max().item<double>(), 1e-3);
    auto again = TrainQuantAware(c.folded, c.points, train, nullptr, testing::kNorm, SmallOptions(method, 4));
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(torch::equal(y, Forward(again->model, x)));
    if (method == QatMethod::kSte) {
      testing::ScratchDir dir("qat_ste");
      testing::ExpectSameInCppAndPython(r->model, x, y, dir, "");
    }
  }
}

TEST(QatTest, LsqLearnsTheGridsAndSavesAndRunsTheSameInPython) {
  Calibrated c = SmallCnn(4);
  QatOptions opt = SmallOptions(QatMethod::kLsq, 4);
  opt.lsq_weight_init = LsqWeightInit::kMeanAbs;
  auto r = TrainQuantAware(c.folded, c.points, testing::Noise(128, 8, 9), nullptr, testing::kNorm, opt);
  ASSERT_TRUE(r.ok()) << r.status().message();
  int moved = 0;
  for (size_t i = 0; i < c.points.size(); ++i) moved += r->points[i].params.scale != c.points[i].params.scale;
  EXPECT_GT(moved, 0);
  for (size_t i = 0; i < c.points.size(); ++i) EXPECT_EQ(r->points[i].params.zero_point, c.points[i].params.zero_point);
  EXPECT_GT(ModuleOf(r->model).named_parameters().size(), ModuleOf(c.folded).named_parameters().size());
  EXPECT_EQ(ModuleOf(r->weights).named_parameters().size(), ModuleOf(c.folded).named_parameters().size());
  const at::Tensor x = NoiseBatch(16, 12);
  testing::ScratchDir dir("qat_lsq");
  testing::ExpectSameInCppAndPython(r->model, x, Forward(r->model, x), dir,
                                    "assert any(n.startswith('qat_') for n, _ in m.named_parameters())");
}

TEST(QatTest, RejectsBadInput) {
  Calibrated c = SmallCnn(8);
  const ImageSet train = testing::Noise(32, 8, 9);
  QatOptions opt = SmallOptions(QatMethod::kLsq, 8);
  opt.weights.bits = 9;
  auto bad_bits = TrainQuantAware(c.folded, c.points, train, nullptr, testing::kNorm, opt);
  ASSERT_FALSE(bad_bits.ok());
  EXPECT_NE(bad_bits.status().message().find("9"), std::string::npos);
  std::vector<ActivationPoint> points = c.points;
  points[0].value = "%nowhere";
  auto bad_point = TrainQuantAware(c.folded, points, train, nullptr, testing::kNorm, SmallOptions(QatMethod::kSte, 8));
  ASSERT_FALSE(bad_point.ok());
  EXPECT_NE(bad_point.status().message().find("%nowhere"), std::string::npos);
}

double Accuracy(ScriptModel& model, const ImageSet& test, const Normalization& norm) {
  auto stats = Evaluate(model, test, norm);
  EXPECT_TRUE(stats.ok()) << stats.status().message();
  return stats.ok() ? stats->accuracy * 100 : 0.0;
}

struct QatRun {
  double accuracy = 0;
  double int8_accuracy = 0;  // the int8 model ConvertToInt8 builds from the result
};

QatRun RunQat(const Calibrated& c, QatMethod method, int bits, const ImageSet& train, const ImageSet& test,
              const Normalization& norm, LsqWeightInit init = LsqWeightInit::kMinMax) {
  QatOptions opt = SmallOptions(method, bits);
  opt.lsq_weight_init = init;
  opt.train.optimizer = "adam";
  opt.train.lr = 5e-4;
  opt.train.weight_decay = 0;
  opt.train.batch_size = 64;
  opt.train.threads = 0;
  auto r = TrainQuantAware(c.folded, c.points, train, nullptr, norm, opt);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return {};
  QatRun run{Accuracy(r->model, test, norm), 0};
  if (bits == 8) {
    auto int8 = ConvertToInt8(r->weights, r->points, {.engine = QuantEngine::kOneDnn, .weight_grids = r->weight_grids});
    EXPECT_TRUE(int8.ok()) << int8.status().message();
    if (int8.ok()) run.int8_accuracy = Accuracy(int8->model, test, norm);
  }
  return run;
}

// vgg-small (width 8) trained for one epoch on 4000 Fashion-MNIST images; 4-bit weights
// and activations after post-training quantization, and after one more epoch of QAT/LSQ.
TEST(QatSlowTest, FourBitQatAndLsqBeatPtq) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const ImageSet train = testing::FashionMnist(Split::kTrain, 4000);
  const ImageSet test = testing::FashionMnist(Split::kTest, 1000);
  const Normalization norm{{0.2860f}, {0.3530f}};
  auto model = BuildZooModel({.name = "vgg-small", .base_width = 8, .seed = 1});
  ASSERT_TRUE(model.ok()) << model.status().message();
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 2e-3;
  opt.weight_decay = 0;
  opt.batch_size = 64;
  opt.seed = 1;
  ASSERT_TRUE(Train(*model, train, nullptr, norm, opt).ok());
  const double float_acc = Accuracy(*model, test, norm);
  Calibrated c4 = Calibrate(*model, train, norm, 4);
  auto ptq = SimulateQuantization(c4.folded, c4.points, WeightSpec(4));
  ASSERT_TRUE(ptq.ok()) << ptq.status().message();
  const double ptq4 = Accuracy(*ptq, test, norm);
  const double qat4 = RunQat(c4, QatMethod::kSte, 4, train, test, norm).accuracy;
  const double lsq4 = RunQat(c4, QatMethod::kLsq, 4, train, test, norm).accuracy;
  const double lsq4_mean = RunQat(c4, QatMethod::kLsq, 4, train, test, norm, LsqWeightInit::kMeanAbs).accuracy;
  const QatRun lsq8 = RunQat(Calibrate(*model, train, norm, 8), QatMethod::kLsq, 8, train, test, norm);
  std::printf("vgg-small w8 Fashion-MNIST: float %.1f %%, w4a4 PTQ %.1f %%, QAT %.1f %%, LSQ %.1f %% "
              "(steps from 2 mean|w|/sqrt(qmax): %.1f %%); w8a8 LSQ %.1f %%, as int8 (onednn) %.1f %%\n",
              float_acc, ptq4, qat4, lsq4, lsq4_mean, lsq8.accuracy, lsq8.int8_accuracy);
  EXPECT_GT(float_acc, 70.0);
  EXPECT_GT(qat4, ptq4);
  EXPECT_GT(lsq4, ptq4);
  EXPECT_GT(lsq8.accuracy, float_acc - 3.0);
  EXPECT_NEAR(lsq8.int8_accuracy, lsq8.accuracy, 1.0);
}

}  // namespace
}  // namespace hone::compress
