// Round-to-nearest per-channel weight quantization of whole models: weights land on
// their grids, 8-bit weights keep the outputs close, 4-bit weights cost clearly more.
#include "compress/quant/weight_quant.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/quant/bn_folding.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Forward;

double RelativeError(const at::Tensor& y, const at::Tensor& ref) {
  return ((y - ref).norm() / ref.norm()).item<double>();
}

ScriptModel FoldedResnet() {
  auto m = BuildZooModel({.name = "resnet20", .height = 16, .width = 16, .base_width = 8, .seed = 5});
  EXPECT_TRUE(m.ok()) << m.status().message();
  testing::RandomizeBatchNorms(*m, true);
  auto folded = FoldBatchNorms(*m);
  EXPECT_TRUE(folded.ok()) << folded.status().message();
  return std::move(folded->model);
}

TEST(WeightQuantTest, EightBitWeightsKeepOutputsCloseAndFourBitCostMore) {
  torch::manual_seed(31);
  ScriptModel model = FoldedResnet();
  at::Tensor x = torch::randn({8, 1, 16, 16});
  at::Tensor y = Forward(model, x);
  auto q8 = QuantizeWeightsRtn(model, WeightSpec(8));
  auto q4 = QuantizeWeightsRtn(model, WeightSpec(4));
  ASSERT_TRUE(q8.ok()) << q8.status().message();
  ASSERT_TRUE(q4.ok()) << q4.status().message();
  ASSERT_EQ(q8->layers.size(), 21u + 1u);  // the folded convolutions and fc
  EXPECT_EQ(q8->layers.front().layer, "conv1");
  EXPECT_EQ(q8->layers.back().layer, "fc");
  EXPECT_EQ(q8->layers.back().channels, 10);
  const double e8 = RelativeError(Forward(q8->model, x), y);
  const double e4 = RelativeError(Forward(q4->model, x), y);
  std::printf("resnet20 output error, RTN weights: int8 %.4f, int4 %.4f\n", e8, e4);
  EXPECT_LT(e8, 0.02);
  EXPECT_GT(e4, 4 * e8);
  for (size_t i = 0; i < q8->layers.size(); ++i) {
    EXPECT_LT(q8->layers[i].relative_error, 0.02) << q8->layers[i].layer;
    EXPECT_GT(q4->layers[i].relative_error, 5 * q8->layers[i].relative_error) << q4->layers[i].layer;
    EXPECT_LE(q8->layers[i].min_scale, q8->layers[i].max_scale);
  }
  EXPECT_TRUE(torch::equal(Forward(model, x), y));  // the input model is unchanged
}

TEST(WeightQuantTest, WeightsLieOnTheirChannelGrids) {
  ScriptModel model = FoldedResnet();
  auto q = QuantizeWeightsRtn(model, WeightSpec(3));
  ASSERT_TRUE(q.ok()) << q.status().message();
  at::Tensor w = TensorAttr(ModuleOf(q->model), "layer2.b1.conv1", "weight");
  at::Tensor original = TensorAttr(ModuleOf(model), "layer2.b1.conv1", "weight");
  at::Tensor step = original.abs().flatten(1).amax(1) / 3.5f;  // int3 symmetric: max|w| / ((3 + 4) / 2)
  at::Tensor codes = w / step.reshape({-1, 1, 1, 1});
  EXPECT_LT((codes - codes.round()).abs().max().item<double>(), 1e-3);
  EXPECT_GE(codes.min().item<double>(), -4 - 1e-3);
  EXPECT_LE(codes.max().item<double>(), 3 + 1e-3);
}

TEST(WeightQuantTest, RejectsBitWidthsOutsideTwoToEight) {
  ScriptModel model = FoldedResnet();
  auto q = QuantizeWeightsRtn(model, WeightSpec(9));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "quantization bits must be between 2 and 8, but got 9");
}

}  // namespace
}  // namespace hone::compress
