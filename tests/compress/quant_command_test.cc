// `hone compress quantize` through the real executable, on a cnn2 trained briefly on
// Fashion-MNIST: ptq's int8 model loads and evaluates, dynamic, obq and rtn run end to end,
// config errors exit 2 at file:line:col, prune then quantize chains, and the JSON report
// carries what bench/compress_quant reads. qat and lsq train: QuantCommandSlowTest.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compress/quant/quant_engine.h"
#include "compress/train/trainer.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Compress;
using testing::ScratchDir;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                               nullptr, false);
}

class QuantCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::HaveFashionMnist()) return;
    dir_ = new ScratchDir("quant_cmd");
    auto train = Compress("train --model cnn2 --width 8 --data fashion-mnist --epochs 1 --train-subset 800 "
                          "--test-subset 200 --batch-size 32 --threads 2 --out " + (*dir_ / "m.pt"));
    trained_ = train.code == 0;
    if (!trained_) std::fprintf(stderr, "%s\n", train.output.c_str());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    ASSERT_TRUE(trained_);
  }

  // quantize m.pt (or `model`) with `yaml`; the report's JSON (null on failure).
  static nlohmann::json Quantize(const std::string& name, const std::string& yaml, std::string model = "") {
    std::ofstream(*dir_ / (name + ".yaml")) << yaml;
    if (model.empty()) model = *dir_ / "m.pt";
    auto r = Compress("quantize " + model + " --config " + (*dir_ / (name + ".yaml")) +
                      " --data fashion-mnist --test-subset 300 --train-subset 600 --threads 2 --latency-repeats 2 "
                      "--out " + (*dir_ / (name + ".pt")) + " --report " + (*dir_ / (name + ".json")));
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("ms batch 256"), std::string::npos) << r.output;
    return r.code == 0 ? ReadJson(*dir_ / (name + ".json")) : nlohmann::json();
  }

  static inline ScratchDir* dir_ = nullptr;
  static inline bool trained_ = false;
};

// The figures bench/compress_quant reads.
void ExpectFigures(const nlohmann::json& r, double max_accuracy_drop, double min_float_accuracy = 0.5) {
  ASSERT_TRUE(r.is_object()) << r.dump();
  for (const char* row : {"float", "quantized"}) {
    EXPECT_GT(r[row]["size_bytes"].get<int64_t>(), 0) << row;
    EXPECT_GT(r[row]["latency_ms"]["batch_1"].get<double>(), 0) << row;
    EXPECT_GT(r[row]["latency_ms"]["batch_256"].get<double>(), 0) << row;
    EXPECT_EQ(r[row]["test_images"].get<int64_t>(), 300) << row;
  }
  EXPECT_GT(r["float"]["accuracy"].get<double>(), min_float_accuracy);
  EXPECT_GT(r["quantized"]["accuracy"].get<double>(), r["float"]["accuracy"].get<double>() - max_accuracy_drop);
  EXPECT_EQ(r["latency"]["float_model"], "optimize_for_inference");
}

TEST_F(QuantCommandTest, PtqWritesAnInt8ModelThatLoadsAndEvaluates) {
  nlohmann::json r = Quantize("ptq", R"(quantizer: ptq
observer: entropy
calibration: {batches: 4, batch_size: 64}
config_list:
  - op_types: [Conv2d, Linear]
    target_names: [_input_, weight, _output_]
    quant_dtype: int8
    quant_scheme: affine
  - op_names: [fc2]
    exclude: true
)");
  ExpectFigures(r, 0.03);
  EXPECT_EQ(r["output_kind"], "int8");
  EXPECT_LT(r["quantized"]["size_bytes"].get<double>(), 0.5 * r["float"]["size_bytes"].get<double>());
  ASSERT_EQ(r["layers"].size(), 4u);
  EXPECT_TRUE(r["layers"][0]["quantized"].get<bool>());
  EXPECT_EQ(r["layers"][0]["activation_bits"], 8);
  EXPECT_GT(r["layers"][0]["input_scale"].get<double>(), 0);
  EXPECT_GT(r["layers"][0]["weight_scale_max"].get<double>(), r["layers"][0]["weight_scale_min"].get<double>() * 0.99);
  EXPECT_FALSE(r["layers"][3]["quantized"].get<bool>());
  EXPECT_EQ(r["layers"][3]["reason"], "excluded by config_list[1]");

  // The saved model runs the quantized kernels: loaded back, it gives the reported accuracy.
  ASSERT_TRUE(UseQuantEngine(QuantEngine::kOneDnn).ok());
  auto model = ScriptModel::Load(*dir_ / "ptq.pt");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto stats = Evaluate(*model, testing::FashionMnist(Split::kTest, 300), DatasetNormalization("fashion-mnist", 1));
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_DOUBLE_EQ(stats->accuracy, r["quantized"]["accuracy"].get<double>());
  std::ofstream(*dir_ / "ops.py") << "import torch, sys\ntorch.backends.quantized.engine = 'onednn'\n"
                                     "m = torch.jit.load(sys.argv[1])\n"
                                     "assert 'quantized::' in str(m.graph) or 'quantized::' in str(m.inlined_graph)\n"
                                     "m(torch.randn(2, 1, 28, 28))\n";
  EXPECT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (*dir_ / "ops.py") + " " + (*dir_ / "ptq.pt")), 0);
}

TEST_F(QuantCommandTest, DynamicQuantizesLinearLayersOnly) {
  nlohmann::json r = Quantize("dyn", "quantizer: dynamic\nengine: qnnpack\nconfig_list: [{op_types: [default]}]\n");
  ExpectFigures(r, 0.03);
  EXPECT_EQ(r["engine"], "qnnpack");
  EXPECT_EQ(r["layers"][0]["reason"], "dynamic quantization covers linear layers only");
  EXPECT_TRUE(r["layers"][2]["quantized"].get<bool>());
}

TEST_F(QuantCommandTest, RtnAndObqPutWeightsOnFourBitGrids) {
  nlohmann::json rtn = Quantize("rtn", "quantizer: rtn\nconfig_list: [{target_names: [weight], quant_dtype: int4}]\n");
  ExpectFigures(rtn, 0.15);
  EXPECT_EQ(rtn["output_kind"], "float");
  EXPECT_EQ(rtn["layers"][1]["weight_bits"], 4);
  EXPECT_EQ(rtn["layers"][1]["activation_bits"], 0);
  EXPECT_GT(rtn["layers"][1]["weight_relative_error"].get<double>(), 0.01);
  // OBQ with int4 convolutions and an int8 head, emitted as an int8 model.
  nlohmann::json obq = Quantize("obq", R"(quantizer: obq
calibration: {batches: 2, batch_size: 64}
config_list:
  - {op_types: [Conv2d, Linear], quant_dtype: int8}
  - {op_types: [Conv2d], target_settings: {weight: {quant_dtype: int4}}}
)");
  ExpectFigures(obq, 0.10);
  EXPECT_EQ(obq["output_kind"], "int8");
  EXPECT_EQ(obq["layers"][0]["weight_bits"], 4);
  EXPECT_EQ(obq["layers"][3]["weight_bits"], 8);
}

TEST_F(QuantCommandTest, ConfigErrorsExitTwoAtTheirPosition) {
  std::ofstream(*dir_ / "bad.yaml") << "quantizer: ptq\nconfig_list:\n  - op_types: [Conv2d]\n    quant_dtype: int4\n";
  auto r = Compress("quantize " + (*dir_ / "m.pt") + " --config " + (*dir_ / "bad.yaml") + " --data fashion-mnist "
                    "--out " + (*dir_ / "bad.pt"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find((*dir_ / "bad.yaml") + ":4:18: error: config_list[0].quant_dtype: ptq runs activations "
                          "through the int8 kernels, so they must be 8-bit"), std::string::npos) << r.output;
  // A name the model does not have: found once the model is read, reported at its line.
  std::ofstream(*dir_ / "names.yaml") << "quantizer: rtn\nconfig_list:\n  - target_names: [weight]\n"
                                         "  - op_names: [fc3]\n    exclude: true\n";
  r = Compress("quantize " + (*dir_ / "m.pt") + " --config " + (*dir_ / "names.yaml") + " --out " + (*dir_ / "n.pt"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find((*dir_ / "names.yaml") + ":4:16: error: config_list[1].op_names: 'fc3' names no convolution "
                          "or linear layer of the model (conv1, conv2, fc1, fc2); did you mean"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "n.pt"));
}

TEST_F(QuantCommandTest, PrunedModelQuantizesLikeAnyOther) {
  std::ofstream(*dir_ / "l1.yaml") << "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\nspeedup: true\n";
  auto prune = Compress("prune " + (*dir_ / "m.pt") + " --config " + (*dir_ / "l1.yaml") + " --latency-repeats 2 "
                        "--threads 2 --out " + (*dir_ / "p.pt"));
  ASSERT_EQ(prune.code, 0) << prune.output;
  nlohmann::json r = Quantize("chain", "quantizer: ptq\nconfig_list: [{op_types: [default]}]\n", *dir_ / "p.pt");
  ExpectFigures(r, 0.05, /*min_float_accuracy=*/0.3);  // pruned without fine-tuning
  EXPECT_EQ(r["output_kind"], "int8");
  EXPECT_EQ(r["model"], *dir_ / "p.pt");
  for (const auto& l : r["layers"]) EXPECT_TRUE(l["quantized"].get<bool>()) << l.dump();
}

// qat and lsq fine-tune: one short epoch on a few hundred images each.
class QuantCommandSlowTest : public QuantCommandTest {};

TEST_F(QuantCommandSlowTest, QatAndLsqTrainThenConvert) {
  nlohmann::json qat = Quantize("qat", "quantizer: qat\ntraining: {epochs: 1, lr: 0.001, optimizer: adam}\n"
                                       "calibration: {batches: 2}\nconfig_list: [{op_types: [default]}]\n");
  ExpectFigures(qat, 0.05);
  EXPECT_EQ(qat["output_kind"], "int8");
  nlohmann::json lsq = Quantize("lsq", "quantizer: lsq\ntraining: {epochs: 1, lr: 0.001, optimizer: adam}\n"
                                       "calibration: {batches: 2}\nconfig_list: [{op_types: [default], quant_dtype: int4}]\n");
  ExpectFigures(lsq, 0.15);
  EXPECT_EQ(lsq["output_kind"], "fake_quant");
  EXPECT_EQ(lsq["layers"][0]["activation_bits"], 4);
}

}  // namespace
}  // namespace hone::compress
