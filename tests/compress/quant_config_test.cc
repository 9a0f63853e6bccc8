// The quantization config of `hone compress quantize`: NNI v3's keys read into grids per
// target, errors at file:line:col (golden bad configs in tests/testdata/bad_quant_configs),
// and the config resolved over a model's layers.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compress/quant/quant_config.h"
#include "compress_test_util.h"

namespace hone::compress {
namespace {
namespace fs = std::filesystem;

QuantConfig Parse(const std::string& yaml) {
  auto c = ParseQuantConfig(yaml, "q.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : QuantConfig{};
}

std::string Error(const std::string& yaml) {
  auto c = ParseQuantConfig(yaml, "q.yaml");
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? "" : c.status().message();
}

const std::vector<QuantLayerRef> kCnn2 = {
    {"conv1", "Conv2d"}, {"conv2", "Conv2d"}, {"fc1", "Linear"}, {"fc2", "Linear"}};

std::vector<LayerQuantPlan> Plan(const std::string& yaml) {
  auto plans = PlanQuantization(Parse(yaml), kCnn2);
  EXPECT_TRUE(plans.ok()) << plans.status().message();
  return plans.ok() ? *plans : std::vector<LayerQuantPlan>{};
}

TEST(QuantConfigTest, ReadsTheNniStyleExample) {
  QuantConfig c = Parse(R"(quantizer: ptq
engine: qnnpack
observer: entropy
calibration: {batches: 4, batch_size: 32}
training: {epochs: 2, lr: 0.001, optimizer: adam}
config_list:
  - op_types: [Conv2d, Linear]
    target_names: [_input_, weight, _output_]
    quant_dtype: int8
    quant_scheme: affine
    granularity: default
  - op_names: [fc2]
    exclude: true
)");
  EXPECT_EQ(c.quantizer, Quantizer::kPtq);
  EXPECT_EQ(c.engine, QuantEngine::kQnnpack);
  EXPECT_EQ(c.observer.kind, ObserverKind::kEntropy);
  EXPECT_EQ(c.calibration_batches, 4);
  EXPECT_EQ(c.calibration_batch_size, 32);
  EXPECT_EQ(c.training.epochs, 2);
  EXPECT_EQ(c.training.optimizer, "adam");
  ASSERT_EQ(c.rules.size(), 2u);
  // affine written for all three targets: the activations' scheme; weights stay symmetric.
  ASSERT_TRUE(c.rules[0].input && c.rules[0].weight && c.rules[0].output);
  EXPECT_EQ(QuantSpecName(*c.rules[0].input), "uint8 affine");
  EXPECT_EQ(QuantSpecName(*c.rules[0].weight), "int8 symmetric");
  EXPECT_FALSE(c.rules[0].weight_per_tensor);
  EXPECT_TRUE(c.rules[1].exclude);
  EXPECT_EQ(ParseQuantizer("LsqQuantizer").value(), Quantizer::kLsq);
}

TEST(QuantConfigTest, MapsEntriesToPerLayerGrids) {
  std::vector<LayerQuantPlan> p = Plan(R"(quantizer: ptq
config_list:
  - op_types: [default]
    quant_dtype: int8
  - op_names: ['fc*']
    target_settings: {weight: {quant_dtype: int4, granularity: per_tensor}}
  - op_names: [fc2]
    exclude: true
  - op_names: [conv2]
    target_names: [weight]
    quant_dtype: int3
)");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_TRUE(p[0].quantized());
  EXPECT_EQ(p[0].weight->bits, 8);
  EXPECT_EQ(p[0].input->bits, 8);
  // A later entry that names only the weight keeps the earlier entry's activations.
  EXPECT_TRUE(p[1].quantized());
  EXPECT_EQ(p[1].weight->bits, 3);
  EXPECT_EQ(p[1].output->bits, 8);
  EXPECT_TRUE(p[2].quantized());
  EXPECT_EQ(p[2].weight->bits, 4);
  EXPECT_TRUE(p[2].weight_per_tensor);
  EXPECT_FALSE(p[3].quantized());
  EXPECT_EQ(p[3].reason, "excluded by config_list[2]");
}

TEST(QuantConfigTest, SaysWhyLayersStayInFloat) {
  std::vector<LayerQuantPlan> p = Plan(R"(quantizer: ptq
config_list:
  - op_types: [Conv2d]
  - op_names: [fc1]
    target_names: [_input_, weight]
)");
  EXPECT_TRUE(p[0].quantized());
  EXPECT_EQ(p[2].reason, "target_names lacks _output_ (int8 kernels take quantized inputs and give quantized outputs)");
  EXPECT_EQ(p[3].reason, "no config_list entry selects it");

  p = Plan("quantizer: dynamic\nconfig_list: [{op_types: [default]}]\n");
  EXPECT_EQ(p[0].reason, "dynamic quantization covers linear layers only");
  EXPECT_TRUE(p[3].quantized());
  EXPECT_TRUE(p[3].input.has_value());
  EXPECT_FALSE(p[3].output.has_value());

  // Weights alone (rtn, obq): no activation needed.
  p = Plan("quantizer: rtn\nconfig_list: [{target_names: [weight], quant_dtype: int4}]\n");
  EXPECT_TRUE(std::all_of(p.begin(), p.end(), [](const LayerQuantPlan& l) { return l.quantized() && !l.activations(); }));
}

TEST(QuantConfigTest, ReportsNamesMissingFromTheModelAtTheirLine) {
  auto plans = PlanQuantization(Parse(R"(quantizer: ptq
config_list:
  - op_types: [Conv2d]
  - op_names: [fc1, fc3]
    exclude: true
)"), kCnn2);
  ASSERT_FALSE(plans.ok());
  EXPECT_EQ(plans.status().message(),
            "q.yaml:4:21: error: config_list[1].op_names: 'fc3' names no convolution or linear layer of the model "
            "(conv1, conv2, fc1, fc2); did you mean 'fc1'?");
  // The quantizer is read after config_list here: the entries are checked against it all the same.
  plans = PlanQuantization(Parse("config_list: [{op_names: [fc2], target_names: [weight]}, {op_types: [default], "
                                 "exclude: true}]\nquantizer: rtn\n"),
                           kCnn2);
  ASSERT_FALSE(plans.ok());
  EXPECT_EQ(plans.status().message(), "q.yaml:1:1: error: config_list: quantizes no layer of the model");
}

TEST(QuantConfigTest, ReportsEveryErrorAtOnce) {
  const std::string m = Error(R"(quantizer: lsq
calibration: {batches: 2, percentile: 120}
training: {epochs: 0, momentum: 0.9}
obq: {block: 0}
config_list:
  - op_types: [Conv2d]
    quant_dtype: int4
  - op_types: [Linear]
    quant_dtype: int8
    target_names: [_input_, bias]
)");
  for (const char* line : {
           "q.yaml:2:39: error: calibration.percentile: must be in (0, 100], but got '120'",
           "q.yaml:3:20: error: training.epochs: must be an integer >= 1, but got '0'",
           "q.yaml:3:23: error: training.momentum: is not a key of training (epochs, lr, optimizer, batch_size)",
           "q.yaml:4:14: error: obq.block: must be an integer >= 1, but got '0'",
           "q.yaml:10:19: error: config_list[1].target_names: biases stay in higher precision",
       }) {
    EXPECT_NE(m.find(line), std::string::npos) << line << "\nnot in:\n" << m;
  }
}

TEST(QuantConfigTest, MixedActivationBitsAreAnError) {
  const std::string m = Error(R"(quantizer: lsq
config_list:
  - {op_types: [Conv2d], quant_dtype: int4}
  - {op_types: [Linear], quant_dtype: int8}
)");
  EXPECT_NE(m.find("q.yaml:4:5: error: config_list[1]: activations share one bit width in hone's quantizers, but this "
                   "entry gives 8 bits after 4"),
            std::string::npos) << m;
}

// Golden files: every NN_*.yaml is rejected and each line of its NN_*.expected is reported.
TEST(QuantConfigTest, GoldenBadConfigs) {
  const fs::path dir = fs::path(HONE_SOURCE_DIR) / "tests/testdata/bad_quant_configs";
  EXPECT_GE(testing::CheckGoldenBadConfigs(dir, [](const std::string& text, const std::string& name) {
              return ParseQuantConfig(text, name).status();
            }),
            6);
}

}  // namespace
}  // namespace hone::compress
