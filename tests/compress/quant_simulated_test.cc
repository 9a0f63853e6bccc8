// Simulated quantization: a folded, calibrated resnet20 with int8 weights and
// activations stays close to float, 4-bit weights cost more, and the model saves and
// runs the same in Python.
#include "compress/quant/simulated_quant.h"

#include <cstdio>
#include <set>

#include <gtest/gtest.h>

#include "compress/quant/bn_folding.h"
#include "compress/train/image_batches_torch.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Forward;

int CountOps(const ScriptModel& model, const std::string& op) {
  int n = 0;
  for (torch::jit::Node* node : ModuleOf(model).get_method("forward").graph()->nodes()) {
    n += std::string(node->kind().toQualString()) == op;
  }
  return n;
}

double RelativeError(const at::Tensor& y, const at::Tensor& ref) {
  return ((y - ref).norm() / ref.norm()).item<double>();
}

struct Calibrated {
  ScriptModel folded;
  std::vector<ActivationPoint> points;
};

Calibrated CalibratedResnet(ObserverKind observer) {
  auto m = BuildZooModel({.name = "resnet20", .height = 16, .width = 16, .base_width = 8, .seed = 6});
  EXPECT_TRUE(m.ok()) << m.status().message();
  testing::RandomizeBatchNorms(*m, true);
  auto folded = FoldBatchNorms(*m);
  EXPECT_TRUE(folded.ok()) << folded.status().message();
  auto graph = BuildLayerGraph(folded->model, {1, 1, 16, 16});
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  auto points = CalibrateActivations(folded->model, *graph, testing::Noise(128, 16, 7), testing::kNorm,
                                     {.observer = {.kind = observer}, .batches = 4, .batch_size = 32});
  EXPECT_TRUE(points.ok()) << points.status().message();
  return {std::move(folded->model), std::move(*points)};
}

TEST(SimulatedQuantTest, Int8ResnetStaysCloseToFloatAndRunsTheSameInPython) {
  Calibrated c = CalibratedResnet(ObserverKind::kMinMax);
  auto sim8 = SimulateQuantization(c.folded, c.points, WeightSpec(8));
  auto sim4 = SimulateQuantization(c.folded, c.points, WeightSpec(4));
  ASSERT_TRUE(sim8.ok()) << sim8.status().message();
  ASSERT_TRUE(sim4.ok()) << sim4.status().message();
  std::set<std::string> values;
  for (const ActivationPoint& p : c.points) values.insert(p.value);
  EXPECT_EQ(CountOps(*sim8, "aten::fake_quantize_per_tensor_affine"), static_cast<int>(values.size()));
  EXPECT_EQ(CountOps(c.folded, "aten::fake_quantize_per_tensor_affine"), 0);
  // Held-out images (another seed than calibration's).
  at::Tensor x = ImageBatches(testing::Noise(64, 16, 99), testing::kNorm).Range(0, 64);
  at::Tensor y = Forward(c.folded, x);
  const double e8 = RelativeError(Forward(*sim8, x), y);
  const double e4 = RelativeError(Forward(*sim4, x), y);
  std::printf("resnet20 simulated quantization, output error: w8a8 %.4f, w4a8 %.4f\n", e8, e4);
  EXPECT_LT(e8, 0.05);
  EXPECT_GT(e8, 0.0);
  EXPECT_GT(e4, 2 * e8);
  EXPECT_GE(Forward(*sim8, x).argmax(1).eq(y.argmax(1)).sum().item<int64_t>(), 58);  // same class on 58 of 64
  testing::ScratchDir dir("quant_simulated");
  testing::ExpectSameInCppAndPython(*sim8, x, Forward(*sim8, x), dir, "");
}

TEST(SimulatedQuantTest, UnknownPointValueIsAnError) {
  Calibrated c = CalibratedResnet(ObserverKind::kMinMax);
  c.points[3].value = "%no_such_value";
  auto sim = SimulateQuantization(c.folded, c.points, WeightSpec(8));
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.status().message().find("no value %no_such_value (of layer "), std::string::npos)
      << sim.status().message();
}

}  // namespace
}  // namespace hone::compress
