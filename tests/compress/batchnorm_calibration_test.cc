#include "compress/train/batchnorm_calibration.h"

#include <gtest/gtest.h>

#include "compress/train/image_batches_torch.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

ImageSet NoiseImages(int64_t n, int64_t size) { return testing::Noise(n, size, /*seed=*/7); }

using testing::kNorm;

int CountBatchNorms(const ScriptModel& m) {
  int n = 0;
  for (const auto& named : ModuleOf(m).named_modules()) n += named.value.hasattr("running_var") ? 1 : 0;
  return n;
}

TEST(BatchNormCalibrationTest, StatisticsMatchTheDataAndWeightsStay) {
  auto model = BuildZooModel({.name = "resnet20", .height = 8, .width = 8, .seed = 1});
  ASSERT_TRUE(model.ok()) << model.status().message();
  testing::RandomizeBatchNorms(*model);
  const ImageSet data = NoiseImages(40, 8);
  torch::jit::Module conv1 = *FindSubmodule(ModuleOf(*model), "conv1");
  torch::jit::Module bn1 = *FindSubmodule(ModuleOf(*model), "bn1");
  const at::Tensor weight_before = conv1.attr("weight").toTensor().clone();

  // Every batch holds the whole set, so the moving averages converge to its statistics.
  auto n = CalibrateBatchNorm(*model, data, kNorm, {.batches = 150, .batch_size = 40, .threads = 1});
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, CountBatchNorms(*model));
  EXPECT_GT(*n, 15);

  torch::NoGradGuard no_grad;
  ImageBatches batches(data, kNorm);
  const at::Tensor y = conv1.forward({batches.Range(0, data.count)}).toTensor();
  const at::Tensor mean = y.mean({0, 2, 3});
  const at::Tensor var = y.var({0, 2, 3}, /*unbiased=*/true);
  EXPECT_LT((bn1.attr("running_mean").toTensor() - mean).abs().max().item<double>(), 1e-3 * (1 + mean.abs().max().item<double>()));
  EXPECT_LT(((bn1.attr("running_var").toTensor() - var).abs() / var).max().item<double>(), 1e-3);
  EXPECT_TRUE(torch::equal(conv1.attr("weight").toTensor(), weight_before));
  for (const auto& named : ModuleOf(*model).named_modules()) EXPECT_FALSE(named.value.is_training()) << named.name;
}

TEST(BatchNormCalibrationTest, ModelWithoutBatchNormIsUnchanged) {
  auto model = BuildZooModel({.name = "cnn2", .height = 8, .width = 8, .seed = 1});
  ASSERT_TRUE(model.ok());
  auto n = CalibrateBatchNorm(*model, NoiseImages(8, 8), kNorm, {.batches = 2, .batch_size = 4, .threads = 1});
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 0);
}

TEST(BatchNormCalibrationTest, BadOptionsAreErrors) {
  auto model = BuildZooModel({.name = "resnet20", .height = 8, .width = 8});
  ASSERT_TRUE(model.ok());
  EXPECT_FALSE(CalibrateBatchNorm(*model, NoiseImages(8, 8), kNorm, {.batches = 0}).ok());
  EXPECT_FALSE(CalibrateBatchNorm(*model, NoiseImages(8, 8), kNorm, {.batch_size = 1}).ok());
  EXPECT_FALSE(CalibrateBatchNorm(*model, NoiseImages(1, 8), kNorm).ok());
  // Three-channel images for a one-channel model.
  ImageSet rgb = NoiseImages(24, 8);
  rgb.channels = 3;
  rgb.count = 8;
  rgb.labels.resize(8);
  auto wrong = CalibrateBatchNorm(*model, rgb, kNorm, {.batches = 1, .batch_size = 4});
  EXPECT_FALSE(wrong.ok());
}

}  // namespace
}  // namespace hone::compress
