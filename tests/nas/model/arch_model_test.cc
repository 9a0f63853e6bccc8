// Every built-in space's sampled architectures build into networks that run forward and
// backward, deterministically from the seed, and save to TorchScript that Python loads.
#include "nas/model/arch_model.h"

#include <gtest/gtest.h>

#include <random>

#include "../../compress/torch_test_util.h"
#include "nas/space/builtin_spaces.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

using compress::ModuleOf;
using compress::ScriptModel;

ModelSpace Load(const std::string& name) {
  auto space = LoadModelSpace(name);
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : ModelSpace{};
}

// Sum of |grad| over the parameters after one backward pass of a cross-entropy loss; the
// output shape is checked on the way.
double ForwardBackward(const ScriptModel& model, const ModelSpace& space) {
  torch::jit::Module& m = ModuleOf(model);
  m.train();
  at::Tensor x = torch::randn({2, space.input.channels, space.input.height, space.input.width});
  at::Tensor y = m.forward({x}).toTensor();
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, space.classes}));
  torch::nn::functional::cross_entropy(y, torch::tensor({1, 3})).backward();
  double total = 0;
  for (const at::Tensor& p : m.parameters()) {
    if (p.grad().defined()) total += p.grad().abs().sum().item<double>();
  }
  return total;
}

TEST(ArchModelTest, SampledArchitecturesOfEveryBuiltinSpaceTrain) {
  std::mt19937_64 rng(3);
  for (const std::string& name : BuiltinSpaceNames()) {
    ModelSpace space = Load(name);
    SearchSpace s = ToSearchSpace(space);
    for (int i = 0; i < 3; ++i) {
      nlohmann::json config = s.Sample(rng);
      auto arch = ArchitectureOf(space, config);
      ASSERT_TRUE(arch.ok()) << arch.status().message();
      auto model = BuildArchitectureModel(space, *arch, 1);
      ASSERT_TRUE(model.ok()) << name << " " << config.dump() << ": " << model.status().message();
      EXPECT_GT(ForwardBackward(*model, space), 0.0) << name << " " << config.dump();
    }
  }
}

TEST(ArchModelTest, EveryOperationBuildsAtBothStrides) {
  ModelSpace space = Load("darts");
  space.cell.stages = {{1, 8}, {1, 8}};
  for (const std::string& op : OperationNames()) {
    nlohmann::json config = ConfigOf(space, Architecture{});
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (it.key().find(".op") != std::string::npos) it.value() = op;
    }
    space.cell.operations = {*ParseOperation(op), Operation::kSkip};
    auto arch = ArchitectureOf(space, config);
    ASSERT_TRUE(arch.ok()) << op << ": " << arch.status().message();
    auto model = BuildArchitectureModel(space, *arch, 0);
    ASSERT_TRUE(model.ok()) << op << ": " << model.status().message();
    double grad = ForwardBackward(*model, space);
    EXPECT_GT(grad, 0.0) << op;
  }
}

TEST(ArchModelTest, SameSeedSameWeightsAndTheNetworkFollowsTheArchitecture) {
  ModelSpace space = Load("nb201-small");
  nlohmann::json config = ConfigOf(space, Architecture{});
  for (auto it = config.begin(); it != config.end(); ++it) it.value() = "skip_connect";
  config["edge_1_0"] = "conv_3x3";
  config["edge_3_2"] = "avg_pool_3x3";
  config["edge_3_0"] = "none";
  auto arch = ArchitectureOf(space, config);
  ASSERT_TRUE(arch.ok());
  auto a = BuildArchitectureModel(space, *arch, 5);
  auto b = BuildArchitectureModel(space, *arch, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  at::Tensor x = torch::randn({3, 1, 28, 28});
  EXPECT_TRUE(compress::testing::Forward(*a, x).equal(compress::testing::Forward(*b, x)));
  // Only conv_3x3 edges carry weights inside a cell: one per cell (6 cells).
  int convs = 0;
  for (const auto& p : ModuleOf(*a).named_parameters()) {
    if (p.name.find(".e1_0.conv.weight") != std::string::npos) ++convs;
    EXPECT_EQ(p.name.find(".e3_0"), std::string::npos) << "a none edge has no module: " << p.name;
  }
  EXPECT_EQ(convs, 6);
}

TEST(ArchModelTest, SavedNetworksLoadInPythonWithTheSameOutputs) {
  std::mt19937_64 rng(11);
  for (const char* name : {"nb201-small", "darts", "mobilenet-chain"}) {
    ModelSpace space = Load(name);
    auto arch = ArchitectureOf(space, ToSearchSpace(space).Sample(rng));
    ASSERT_TRUE(arch.ok());
    auto model = BuildArchitectureModel(space, *arch, 2);
    ASSERT_TRUE(model.ok()) << model.status().message();
    at::Tensor x = torch::randn({2, 1, 28, 28});
    compress::testing::ScratchDir dir(std::string("nas_arch_") + name);
    compress::testing::ExpectSameInCppAndPython(*model, x, compress::testing::Forward(*model, x), dir,
                                                "assert m(x).shape == (2, 10)");
  }
}

}  // namespace
}  // namespace hone::nas
