// Activation calibration: the observed ranges at each layer's input and output equal
// what the model computes on the same images, relus are fused into the output point.
#include "compress/quant/activation_calibration.h"

#include <gtest/gtest.h>

#include <fstream>

#include "compress/quant/int8_model.h"
#include "compress/train/image_batches_torch.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::kNorm;

TEST(ActivationCalibrationTest, MinMaxRangesAreThoseOfTheModelOnTheImages) {
  testing::Net net = testing::ZooNet("cnn2", 4, 8, 3);
  ImageSet data = testing::Noise(64, 8);
  CalibrationOptions options{.observer = {.kind = ObserverKind::kMinMax}, .batches = 4, .batch_size = 16};
  auto points = CalibrateActivations(net.model, net.graph, data, kNorm, options);
  ASSERT_TRUE(points.ok()) << points.status().message();
  ASSERT_EQ(points->size(), 2u * 4u);  // conv, conv, fc, fc: input and output each
  // Every image was seen once (4 x 16 of 64): the first input is the normalized pixels.
  at::Tensor images = ImageBatches(data, kNorm).Range(0, data.count);
  const ActivationPoint& first = points->front();
  EXPECT_TRUE(first.is_input);
  EXPECT_EQ(first.range.min, images.min().item<float>());
  EXPECT_EQ(first.range.max, images.max().item<float>());
  // The convolutions' outputs are read by relu alone: observed after it, zero point 0.
  const ActivationPoint& conv_out = (*points)[1];
  EXPECT_FALSE(conv_out.is_input);
  EXPECT_TRUE(conv_out.after_relu);
  EXPECT_EQ(conv_out.range.min, 0.0f);
  EXPECT_EQ(conv_out.params.zero_point, 0);
  // The last layer's output is the model's output.
  at::Tensor y = testing::Forward(net.model, images);
  const ActivationPoint& last = points->back();
  EXPECT_FALSE(last.after_relu);
  EXPECT_NEAR(last.range.min, y.min().item<float>(), 1e-5);
  EXPECT_NEAR(last.range.max, y.max().item<float>(), 1e-5);
  QuantParams expected = ChooseQuantParams(last.range, ActivationSpec(8));
  EXPECT_EQ(last.params.scale, expected.scale);
  EXPECT_EQ(last.params.zero_point, expected.zero_point);
}

// A Python model with in-place ops (nn.ReLU(inplace=True), `y += x`, relu_): each point
// holds the value as its layer computed it, not as a later in-place op left it, and an
// in-place relu fuses into the int8 layer like a relu.
constexpr const char* kInPlaceModel = R"(import sys, torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4, 10)
    def forward(self, x):
        x = self.stem(x)
        y = self.relu(self.conv1(x))
        y = self.conv2(y)
        y += x
        y = torch.relu_(y)
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1))
torch.manual_seed(0)
torch.jit.script(Net().eval()).save(sys.argv[1] + '/m.pt')
)";

TEST(ActivationCalibrationTest, InPlaceOpsDoNotChangeWhatWasObserved) {
  testing::ScratchDir dir("quant_calib_inplace");
  std::ofstream(dir / "make.py") << kInPlaceModel;
  ASSERT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "make.py") + " " + dir.path().string()), 0);
  auto net = testing::WithGraph(ScriptModel::Load(dir / "m.pt"), {1, 1, 8, 8});
  ASSERT_TRUE(net.has_value());
  ImageSet data = testing::Noise(32, 8);
  CalibrationOptions options;
  options.batches = 2;
  options.batch_size = 16;
  auto points = CalibrateActivations(net->model, net->graph, data, kNorm, options);
  ASSERT_TRUE(points.ok()) << points.status().message();
  const ActivationPoint* conv1_out = nullptr;
  const ActivationPoint* conv2_out = nullptr;
  for (const ActivationPoint& p : *points) {
    if (!p.is_input && p.layer == "conv1") conv1_out = &p;
    if (!p.is_input && p.layer == "conv2") conv2_out = &p;
  }
  ASSERT_TRUE(conv1_out && conv2_out);
  EXPECT_TRUE(conv1_out->after_relu);
  EXPECT_EQ(conv1_out->range.min, 0.0f);
  // conv2's own output has negative values; the later `y += x` and relu_ must not hide them.
  EXPECT_LT(conv2_out->range.min, 0.0f);
  auto int8 = ConvertToInt8(net->model, *points, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  for (const Int8Layer& line : int8->layers) {
    if (line.layer == "conv1") {
      EXPECT_TRUE(line.quantized) << line.reason;
    }
  }
}

TEST(ActivationCalibrationTest, EntropyRangesLieInsideMinMaxRanges) {
  testing::Net net = testing::ZooNet("resnet20", 4, 8, 3);
  testing::RandomizeBatchNorms(net.model);
  ImageSet data = testing::Noise(64, 8);
  auto minmax =
      CalibrateActivations(net.model, net.graph, data, kNorm, {.observer = {}, .batches = 2, .batch_size = 32});
  auto kl = CalibrateActivations(net.model, net.graph, data, kNorm,
                                 {.observer = {.kind = ObserverKind::kEntropy}, .batches = 2, .batch_size = 32});
  ASSERT_TRUE(minmax.ok()) << minmax.status().message();
  ASSERT_TRUE(kl.ok()) << kl.status().message();
  ASSERT_EQ(minmax->size(), kl->size());
  ASSERT_EQ(minmax->size(), 2u * (21u + 1u));  // 21 convolutions and fc
  for (size_t i = 0; i < kl->size(); ++i) {
    EXPECT_GE((*kl)[i].range.min, (*minmax)[i].range.min) << (*kl)[i].layer;
    EXPECT_LE((*kl)[i].range.max, (*minmax)[i].range.max) << (*kl)[i].layer;
  }
}

TEST(ActivationCalibrationTest, RejectsInvalidBitsAndEmptyData) {
  testing::Net net = testing::ZooNet("cnn2", 4, 8, 3);
  auto bad_bits = CalibrateActivations(net.model, net.graph, testing::Noise(8, 8), kNorm,
                                       {.observer = {}, .spec = ActivationSpec(1)});
  ASSERT_FALSE(bad_bits.ok());
  EXPECT_EQ(bad_bits.status().message(), "quantization bits must be between 2 and 8, but got 1");
  auto empty = CalibrateActivations(net.model, net.graph, testing::Noise(0, 8), kNorm, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "calibration: the data set has no images");
}

}  // namespace
}  // namespace hone::compress
