#include "compress/train/trainer.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"
#include "compress/zoo/model_zoo.h"
#include "compress_test_util.h"

namespace hone::compress {
namespace {

using testing::FashionMnist;
using testing::HaveFashionMnist;

const Normalization kNorm{{0.2860f}, {0.3530f}};

// Two classes a linear model separates: dark images (label 0) and bright ones (label 1).
ImageSet BrightnessSet(int64_t n) {
  ImageSet set{.count = n, .channels = 1, .height = 8, .width = 8, .num_classes = 2, .pixels = {}, .labels = {}};
  for (int64_t i = 0; i < n; ++i) {
    uint8_t label = static_cast<uint8_t>(i % 2);
    for (int k = 0; k < 64; ++k) set.pixels.push_back(static_cast<uint8_t>(label ? 180 + (k + i) % 60 : (k + i) % 60));
    set.labels.push_back(label);
  }
  return set;
}

TEST(TrainerTest, ValidatesOptions) {
  TrainOptions o;
  o.optimizer = "rmsprop";
  EXPECT_NE(ValidateTrainOptions(o).message().find("optimizer must be sgd, adam or adamw"), std::string::npos);
  o = {};
  o.lr = 0;
  EXPECT_FALSE(ValidateTrainOptions(o).ok());
  o = {};
  o.schedule = "step";
  EXPECT_FALSE(ValidateTrainOptions(o).ok());
  o = {};
  o.epochs = 0;
  EXPECT_FALSE(ValidateTrainOptions(o).ok());
  EXPECT_TRUE(ValidateTrainOptions(TrainOptions{}).ok());
  o = {};
  o.device = "tpu";
  EXPECT_NE(ValidateTrainOptions(o).message().find("device must be cpu, cuda or auto"), std::string::npos);
}

// cuda where this libtorch sees no GPU is a clear error; auto falls back to the CPU, and
// where a GPU exists the model trains there and comes back to the CPU.
TEST(TrainerTest, DeviceChoice) {
  EXPECT_TRUE(CheckDevice("cpu").ok());
  EXPECT_TRUE(CheckDevice("auto").ok());
  if (torch::cuda::is_available()) {
    EXPECT_TRUE(CheckDevice("cuda").ok());
  } else {
    Status st = CheckDevice("cuda");
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("device cuda: this libtorch"), std::string::npos) << st.message();
  }
  ImageSet data = BrightnessSet(40);
  auto model = BuildZooModel({.name = "cnn2", .channels = 1, .height = 8, .width = 8, .classes = 2, .base_width = 4});
  ASSERT_TRUE(model.ok());
  TrainOptions o;
  o.batch_size = 20;
  o.threads = 1;
  o.device = "auto";
  auto history = Train(*model, data, &data, {{0.5f}, {0.3f}}, o);
  ASSERT_TRUE(history.ok()) << history.status().message();
  for (const at::Tensor& p : ModuleOf(*model).parameters()) EXPECT_TRUE(p.device().is_cpu());
  auto eval = Evaluate(*model, data, {{0.5f}, {0.3f}}, 64, 1, "auto");
  ASSERT_TRUE(eval.ok()) << eval.status().message();
  EXPECT_EQ(eval->accuracy, history->back().test.accuracy);
}

TEST(TrainerTest, LearnsASeparableProblemAndCallsBackEachEpoch) {
  ImageSet data = BrightnessSet(200);
  auto model = BuildZooModel({.name = "cnn2", .channels = 1, .height = 8, .width = 8, .classes = 2, .base_width = 4});
  ASSERT_TRUE(model.ok()) << model.status().message();
  TrainOptions o;
  o.epochs = 3;
  o.batch_size = 20;
  o.lr = 0.05;
  o.threads = 1;
  std::vector<int> epochs;
  auto history = Train(*model, data, &data, {{0.5f}, {0.3f}}, o, [&](const EpochStats& s) { epochs.push_back(s.epoch); });
  ASSERT_TRUE(history.ok()) << history.status().message();
  EXPECT_EQ(epochs, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(history->back().test.count, 200);
  EXPECT_GT(history->back().test.accuracy, 0.95);
  EXPECT_LT(history->back().lr, 0.01);  // cosine schedule reaches ~0 at the end
  auto eval = Evaluate(*model, data, {{0.5f}, {0.3f}}, 64, 1);
  ASSERT_TRUE(eval.ok());
  EXPECT_DOUBLE_EQ(eval->accuracy, history->back().test.accuracy);
}

TEST(TrainerTest, ReportsAShapeTheModelCannotTake) {
  ImageSet data = BrightnessSet(10);
  auto model = BuildZooModel({.name = "cnn2", .channels = 3, .height = 8, .width = 8, .classes = 2});
  ASSERT_TRUE(model.ok());
  auto history = Train(*model, data, nullptr, kNorm, TrainOptions{});
  ASSERT_FALSE(history.ok());
  EXPECT_NE(history.status().message().find("training failed"), std::string::npos);
}

// Each augmented image is a window of the image padded with black, possibly mirrored:
// a 4x4 image with distinct pixels shows where the window was, and the same seed draws
// the same windows.
TEST(TrainerTest, AugmentedImagesAreShiftedMirroredCopies) {
  ImageSet set{.count = 1, .channels = 1, .height = 4, .width = 4, .num_classes = 2, .pixels = {}, .labels = {0}};
  for (int k = 0; k < 16; ++k) set.pixels.push_back(static_cast<uint8_t>(10 + k));
  ImageBatches batches(set, {{0.0f}, {1.0f / 255.0f}});  // normalised values are the bytes
  at::Tensor plain = batches.Images(torch::zeros({1}, torch::kLong))[0][0];
  at::Tensor padded = torch::constant_pad_nd(plain, {2, 2, 2, 2}, 0);
  std::mt19937_64 rng(11), again(11);
  std::set<std::string> windows;
  int mirrored = 0;
  for (int t = 0; t < 200; ++t) {
    at::Tensor idx = torch::zeros({1}, torch::kLong);
    at::Tensor a = batches.AugmentedImages(idx, 2, true, rng)[0][0];
    EXPECT_TRUE(a.equal(batches.AugmentedImages(idx, 2, true, again)[0][0]));
    bool found = false;
    for (int64_t dy = 0; dy <= 4 && !found; ++dy) {
      for (int64_t dx = 0; dx <= 4 && !found; ++dx) {
        at::Tensor window = padded.narrow(0, dy, 4).narrow(1, dx, 4);
        if (a.equal(window)) {
          found = true;
        } else if (a.equal(window.flip({1}))) {
          found = true;
          ++mirrored;
        }
        if (found) windows.insert(std::to_string(dy) + "," + std::to_string(dx));
      }
    }
    EXPECT_TRUE(found) << a;
  }
  EXPECT_EQ(windows.size(), 25u) << "every offset of a padding of 2 is drawn";
  EXPECT_GT(mirrored, 60);
  EXPECT_LT(mirrored, 140);
  at::Tensor idx = torch::zeros({1}, torch::kLong);
  EXPECT_TRUE(batches.AugmentedImages(idx, 0, false, rng).equal(batches.Images(idx)));
}

TEST(TrainerTest, TrainsWithAugmentationAndRefusesNegativePadding) {
  TrainOptions o;
  o.crop_padding = -1;
  EXPECT_NE(ValidateTrainOptions(o).message().find("crop_padding must be >= 0"), std::string::npos);
  ImageSet data = BrightnessSet(200);
  auto model = BuildZooModel({.name = "cnn2", .channels = 1, .height = 8, .width = 8, .classes = 2, .base_width = 4});
  ASSERT_TRUE(model.ok());
  o = {};
  o.epochs = 3;
  o.batch_size = 20;
  o.threads = 1;
  o.crop_padding = 1;
  o.flip = true;
  auto history = Train(*model, data, &data, {{0.5f}, {0.3f}}, o);
  ASSERT_TRUE(history.ok()) << history.status().message();
  EXPECT_GT(history->back().test.accuracy, 0.9);
}

TEST(TrainerSlowTest, SameSeedSameResultOnFashionMnist) {
  if (!HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet train = FashionMnist(Split::kTrain, 800);
  ImageSet test = FashionMnist(Split::kTest, 300);
  auto run = [&](const std::string& optimizer) {
    auto model = BuildZooModel({.name = "cnn2", .base_width = 8, .seed = 5});
    EXPECT_TRUE(model.ok());
    TrainOptions o;
    o.optimizer = optimizer;
    o.lr = optimizer == "sgd" ? 0.05 : 2e-3;
    o.batch_size = 32;
    o.epochs = 2;
    o.schedule = "constant";
    o.threads = 1;
    o.seed = 5;
    auto history = Train(*model, train, &test, kNorm, o);
    EXPECT_TRUE(history.ok()) << history.status().message();
    return history.ok() ? history->back() : EpochStats{};
  };
  EpochStats a = run("sgd"), b = run("sgd");
  EXPECT_EQ(a.train_loss, b.train_loss);
  EXPECT_EQ(a.test.accuracy, b.test.accuracy);
  EXPECT_GT(a.test.accuracy, 0.40);  // chance is 0.10
  EpochStats adam = run("adam");
  EXPECT_GT(adam.test.accuracy, 0.50);
}

}  // namespace
}  // namespace hone::compress
