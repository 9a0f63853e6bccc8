#include "compress/zoo/model_zoo.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;

int64_t Params(const std::string& name, int64_t c, int64_t hw) {
  ZooSpec spec{.name = name, .channels = c, .height = hw, .width = hw, .classes = 10};
  auto m = BuildZooModel(spec);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m->NumParameters() : -1;
}

TEST(ModelZooTest, EveryModelRunsOnGrayAndColourInputs) {
  for (const std::string& name : ZooModelNames()) {
    for (auto [c, hw] : {std::pair<int64_t, int64_t>{1, 28}, {3, 32}}) {
      ZooSpec spec{.name = name, .channels = c, .height = hw, .width = hw, .classes = 7};
      auto model = BuildZooModel(spec);
      ASSERT_TRUE(model.ok()) << name << ": " << model.status().message();
      auto out = model->OutputShape({2, c, hw, hw});
      ASSERT_TRUE(out.ok()) << name << ": " << out.status().message();
      EXPECT_EQ(*out, (std::vector<int64_t>{2, 7})) << name;
    }
  }
}

TEST(ModelZooTest, ParameterCountsMatchTheArchitectures) {
  // cnn2 on 28x28: conv 1->32 (320), conv 32->64 (18,496), fc 3136->128 (401,536),
  // fc 128->10 (1,290): the 421,642 of the Python reference CNN.
  EXPECT_EQ(Params("cnn2", 1, 28), 421642);
  // LeNet-5 on 32x32x1: 156 + 2,416 + 48,120 + 10,164 + 850.
  EXPECT_EQ(Params("lenet5", 1, 32), 61706);
  // ResNet-20 (1x1 projection shortcuts) on CIFAR-10: 272,474 weights and BN parameters.
  EXPECT_EQ(Params("resnet20", 3, 32), 272474);
}

TEST(ModelZooTest, SameSeedSameWeights) {
  ZooSpec spec{.name = "resnet20", .channels = 1, .height = 28, .width = 28, .seed = 3};
  auto a = BuildZooModel(spec);
  auto b = BuildZooModel(spec);
  spec.seed = 4;
  auto c = BuildZooModel(spec);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto pa = ModuleOf(*a).parameters().begin(), pb = ModuleOf(*b).parameters().begin();
  auto pc = ModuleOf(*c).parameters().begin();
  EXPECT_TRUE(torch::equal(*pa, *pb));
  EXPECT_FALSE(torch::equal(*pa, *pc));
}

TEST(ModelZooTest, RejectsUnknownNamesAndTooSmallInputs) {
  auto unknown = BuildZooModel({.name = "resnet50"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("mobilenetv2-small"), std::string::npos);
  auto tiny = BuildZooModel({.name = "vgg-small", .height = 4, .width = 4});
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("too small"), std::string::npos);
}

TEST(ModelZooTest, SavedModelsReloadInCppWithTheSameOutputs) {
  ScratchDir dir("zoo_cpp");
  for (const std::string& name : ZooModelNames()) {
    auto model = BuildZooModel({.name = name, .channels = 3, .height = 32, .width = 32, .dropout = 0.2});
    ASSERT_TRUE(model.ok()) << model.status().message();
    ASSERT_TRUE(model->Save(dir / (name + ".pt")).ok());
    auto loaded = ScriptModel::Load(dir / (name + ".pt"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ModuleOf(*model).eval();
    ModuleOf(*loaded).eval();
    torch::NoGradGuard no_grad;
    at::Tensor x = torch::randn({2, 3, 32, 32});
    at::Tensor a = ModuleOf(*model).forward({x}).toTensor();
    at::Tensor b = ModuleOf(*loaded).forward({x}).toTensor();
    EXPECT_TRUE(torch::allclose(a, b)) << name;
  }
  EXPECT_FALSE(ScriptModel::Load(dir / "missing.pt").ok());
}

TEST(ModelZooTest, SavedModelsLoadAndRunInPython) {
  ScratchDir dir("zoo_py");
  std::ostringstream script;
  script << "import torch\n";
  for (const std::string& name : ZooModelNames()) {
    auto model = BuildZooModel({.name = name, .channels = 1, .height = 28, .width = 28, .classes = 10});
    ASSERT_TRUE(model.ok());
    ASSERT_TRUE(model->Save(dir / (name + ".pt")).ok());
    // The same input through the C++ module, for Python to compare against.
    torch::manual_seed(1);
    at::Tensor x = torch::randn({3, 1, 28, 28});
    ModuleOf(*model).eval();
    at::Tensor y = ModuleOf(*model).forward({x}).toTensor().contiguous();
    std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create({x, y}));
    std::ofstream(dir / (name + ".io"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    script << "m = torch.jit.load('" << dir / (name + ".pt") << "')\nm.eval()\n"
           << "x, y = torch.load('" << dir / (name + ".io") << "')\n"
           << "assert torch.allclose(m(x), y, atol=1e-5), '" << name << "'\n"
           << "m.train()\nm(x).sum().backward()\n";
  }
  std::ofstream(dir / "check.py") << script.str();
  EXPECT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "check.py")), 0);
}

}  // namespace
}  // namespace hone::compress
