// Dynamic int8 quantization: a trained cnn2's linear layers run quantized::linear_dynamic
// with int8 per-channel weights on both engines, its convolutions stay float with a reason,
// its outputs stay close to float on Fashion-MNIST, and it computes the same in Python.
#include "compress/quant/dynamic_quant.h"

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "compress/train/image_batches_torch.h"
#include "compress/train/trainer.h"
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

TEST(DynamicQuantTest, TrainedCnn2LinearLayersRunDynamicInt8) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const Normalization norm{{0.2860f}, {0.3530f}};
  auto model = BuildZooModel({.name = "cnn2", .base_width = 8, .seed = 5});
  ASSERT_TRUE(model.ok()) << model.status().message();
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 2e-3;
  opt.weight_decay = 0;
  opt.epochs = 1;
  opt.seed = 1;
  ASSERT_TRUE(Train(*model, testing::FashionMnist(Split::kTrain, 2000), nullptr, norm, opt).ok());
  at::Tensor x = ImageBatches(testing::FashionMnist(Split::kTest, 256), norm).Range(0, 256);
  at::Tensor y = Forward(*model, x);
  for (QuantEngine engine : {QuantEngine::kOneDnn, QuantEngine::kQnnpack}) {
    auto r = QuantizeDynamic(*model, {.engine = engine, .exclude = {}});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->layers.size(), 4u);
    EXPECT_FALSE(r->layers[0].quantized);
    EXPECT_EQ(r->layers[0].reason, "dynamic quantization covers linear layers only");
    EXPECT_TRUE(r->layers[2].quantized && r->layers[3].quantized);
    EXPECT_GT(r->layers[2].weight_relative_error, 0.0);
    EXPECT_LT(r->layers[2].weight_relative_error, 0.02);
    EXPECT_EQ(CountOps(r->model, "quantized::linear_dynamic"), 2);
    EXPECT_EQ(CountOps(r->model, "aten::linear"), 0);
    EXPECT_EQ(CountOps(r->model, "aten::conv2d"), 2);
    at::Tensor q = Forward(r->model, x);
    const double diff = (q - y).abs().max().item<double>();
    const int64_t same = q.argmax(1).eq(y.argmax(1)).sum().item<int64_t>();
    std::printf("cnn2 dynamic int8 %s: max |int8 - float| %.4f of max |float| %.2f, same class on %lld of 256\n",
                QuantEngineName(engine), diff, y.abs().max().item<double>(), static_cast<long long>(same));
    EXPECT_LT(diff, 0.02 * y.abs().max().item<double>());
    EXPECT_GT(diff, 0.0);
    EXPECT_GE(same, 253);
    testing::ScratchDir dir(std::string("quant_dynamic_") + QuantEngineName(engine));
    ASSERT_TRUE(r->model.Save(dir / "dyn.pt").ok());
    // Activations are quantized per batch: the same batch in C++ and in Python.
    at::Tensor x16 = x.slice(0, 0, 16);
    std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create({x16, Forward(r->model, x16)}));
    std::ofstream(dir / "io.pt", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(dir / "check.py") << "import torch, sys\ntorch.backends.quantized.engine = '"
                                    << QuantEngineName(engine)
                                    << "'\nm = torch.jit.load(sys.argv[1] + '/dyn.pt').eval()\n"
                                       "x, y = torch.load(sys.argv[1] + '/io.pt')\n"
                                       "d = (m(x) - y).abs().max().item()\n"
                                       "assert d < 1e-5, d\n";
    EXPECT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "check.py") + " " + dir.path().string()), 0);
    // The float weights of the quantized layers are not saved (cnn2's linear layers hold most weights).
    ASSERT_TRUE(model->Save(dir / "float.pt").ok());
    EXPECT_LT(std::filesystem::file_size(dir / "dyn.pt"), std::filesystem::file_size(dir / "float.pt") / 2);
  }
  auto excluded = QuantizeDynamic(*model, {.exclude = {"fc2"}});
  ASSERT_TRUE(excluded.ok()) << excluded.status().message();
  EXPECT_EQ(excluded->layers[3].reason, "excluded by the config");
  EXPECT_EQ(CountOps(excluded->model, "quantized::linear_dynamic"), 1);
}

}  // namespace
}  // namespace hone::compress
