// Post-training quantization of a trained network, simulated: vgg-small trained briefly
// on Fashion-MNIST, its batch norms folded, activations calibrated on training images,
// keeps its test accuracy with int8 weights and activations, with min-max and with
// percentile and entropy calibration.
#include <cstdio>

#include <gtest/gtest.h>

#include "compress/quant/bn_folding.h"
#include "compress/quant/simulated_quant.h"
#include "compress/train/trainer.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

double Accuracy(ScriptModel& model, const ImageSet& test, const Normalization& norm) {
  auto stats = Evaluate(model, test, norm);
  EXPECT_TRUE(stats.ok()) << stats.status().message();
  return stats.ok() ? stats->accuracy * 100 : 0.0;
}

TEST(QuantPtqSlowTest, Int8SimulatedPtqKeepsTrainedAccuracy) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet train = testing::FashionMnist(Split::kTrain, 6000);
  ImageSet test = testing::FashionMnist(Split::kTest, 1000);
  const Normalization norm{{0.2860f}, {0.3530f}};
  auto model = BuildZooModel({.name = "vgg-small", .base_width = 8, .seed = 1});
  ASSERT_TRUE(model.ok()) << model.status().message();
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 2e-3;
  opt.weight_decay = 0;
  opt.epochs = 1;
  opt.seed = 1;
  ASSERT_TRUE(Train(*model, train, nullptr, norm, opt).ok());
  const double float_acc = Accuracy(*model, test, norm);
  auto folded = FoldBatchNorms(*model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  EXPECT_EQ(folded->folded.size(), 6u);
  const double folded_acc = Accuracy(folded->model, test, norm);
  auto graph = BuildLayerGraph(folded->model, {1, 1, 28, 28});
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  std::printf("vgg-small float %.2f %%, folded %.2f %%\n", float_acc, folded_acc);
  EXPECT_NEAR(folded_acc, float_acc, 0.11);  // at most one image of 1000 flips
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy}) {
    auto points = CalibrateActivations(folded->model, *graph, train, norm,
                                       {.observer = {.kind = kind}, .batches = 8, .batch_size = 64});
    ASSERT_TRUE(points.ok()) << points.status().message();
    auto w8 = SimulateQuantization(folded->model, *points, WeightSpec(8));
    auto w4 = SimulateQuantization(folded->model, *points, WeightSpec(4));
    ASSERT_TRUE(w8.ok()) << w8.status().message();
    ASSERT_TRUE(w4.ok()) << w4.status().message();
    const double acc8 = Accuracy(*w8, test, norm);
    const double acc4 = Accuracy(*w4, test, norm);
    std::printf("vgg-small simulated PTQ, %s: w8a8 %.2f %%, w4a8 (round to nearest) %.2f %%\n",
                ObserverKindName(kind), acc8, acc4);
    EXPECT_GT(float_acc, 70.0);
    EXPECT_GE(acc8, float_acc - 1.0) << ObserverKindName(kind);
  }
}

}  // namespace
}  // namespace hone::compress
