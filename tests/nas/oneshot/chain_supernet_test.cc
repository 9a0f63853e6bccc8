// The chain supernet on a path computes exactly the stand-alone network extracted for
// it (shallower stages, narrower widths, smaller kernels and expansions included), in
// eval mode with re-estimated statistics and in train mode; calibration averages the
// batches' statistics.
#include "nas/oneshot/chain_supernet_torch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "../../compress/torch_test_util.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

ModelSpace Space(bool head) {
  std::string yaml = R"(name: tiny-chain
type: chain
input: {channels: 1, height: 16, width: 16}
classes: 10
stem: {channels: 4}
stages:
  - {depth: [1, 2], width: [4, 6], kernel: [3, 5], expansion: [1, 3], stride: 1}
  - {depth: [1, 2, 3], width: [6, 8], kernel: [3, 5, 7], expansion: [2, 4], stride: 2}
  - {depth: [1, 2], width: [8, 12], kernel: [3, 5], expansion: [1, 3], stride: 2}
)";
  auto space = ParseModelSpace(yaml + (head ? "head: {channels: 16}\n" : ""), "tiny-chain.yaml");
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : ModelSpace{};
}

template <typename T>
T Pick(const std::vector<T>& v, bool largest) {
  return largest ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
}

// Every stage at its smallest (or largest) depth, width, kernel and expansion.
Architecture Extreme(const ModelSpace& space, bool largest) {
  Architecture arch;
  for (const ChainStage& stage : space.chain.stages) {
    std::vector<ChainBlock> blocks;
    for (int b = 0; b < Pick(stage.depths, largest); ++b) {
      blocks.push_back({Pick(stage.widths, largest), Pick(stage.kernels, largest), Pick(stage.expansions, largest),
                        b == 0 ? stage.stride : 1});
    }
    arch.stages.push_back(blocks);
  }
  return arch;
}

// The smallest and the largest architecture, then `n` random ones.
std::vector<Architecture> Architectures(const ModelSpace& space, int n) {
  std::vector<Architecture> out = {Extreme(space, false), Extreme(space, true)};
  std::mt19937_64 rng(7);
  SearchSpace s = ToSearchSpace(space);
  for (int i = 0; i < n; ++i) {
    auto arch = ArchitectureOf(space, s.Sample(rng));
    EXPECT_TRUE(arch.ok());
    if (arch.ok()) out.push_back(*arch);
  }
  return out;
}

double MaxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(ChainSupernetTest, APathEqualsTheExtractedNetworkInEvalAndTrainMode) {
  for (bool head : {true, false}) {
    ModelSpace space = Space(head);
    auto net = BuildChainSupernet(space, 3);
    ASSERT_TRUE(net.ok()) << net.status().message();
    compress::ScriptModel wrapped = compress::WrapModule(net->module);
    compress::testing::RandomizeBatchNorms(wrapped, true);
    at::Tensor x = torch::randn({4, 1, 16, 16});
    std::vector<at::Tensor> batches = {torch::randn({8, 1, 16, 16}), torch::randn({8, 1, 16, 16})};
    for (const Architecture& arch : Architectures(space, 8)) {
      std::vector<int64_t> path = ChainPath(space, arch);
      CalibrateChainBatchNorm(*net, path, batches);
      auto alone = ExtractChainArchitecture(*net, space, arch);
      ASSERT_TRUE(alone.ok()) << alone.status().message();
      torch::NoGradGuard no_grad;
      net->module.eval();
      EXPECT_LT(MaxDiff(ChainForward(*net, x, path), compress::testing::Forward(*alone, x)), 1e-5)
          << DescribeArchitecture(space, arch);
      net->module.train();
      compress::ModuleOf(*alone).train();
      EXPECT_LT(MaxDiff(ChainForward(*net, x, path), compress::ModuleOf(*alone).forward({x}).toTensor()), 1e-5)
          << DescribeArchitecture(space, arch);
    }
  }
}

TEST(ChainSupernetTest, CalibrationAveragesTheBatchesStatisticsAndLeavesEvalMode) {
  ModelSpace space = Space(true);
  auto net = BuildChainSupernet(space, 1);
  ASSERT_TRUE(net.ok());
  at::Tensor a = torch::randn({8, 1, 16, 16}), b = torch::randn({8, 1, 16, 16}) * 2 + 1;
  CalibrateChainBatchNorm(*net, ChainPath(space, Extreme(space, true)), {a, b});
  EXPECT_FALSE(net->module.is_training());
  torch::NoGradGuard no_grad;
  torch::jit::Module stem = net->module.attr("stem").toModule();
  at::Tensor expected = (stem.forward({a}).toTensor().mean({0, 2, 3}) + stem.forward({b}).toTensor().mean({0, 2, 3})) / 2;
  torch::jit::Module bn = net->module.attr("stem_bn").toModule();
  EXPECT_LT(MaxDiff(bn.attr("running_mean").toTensor(), expected), 1e-5);
  EXPECT_DOUBLE_EQ(bn.attr("momentum").toDouble(), 0.1);  // training goes on at the usual momentum
}

TEST(ChainSupernetTest, OtherSpacesAreRefused) {
  auto cells = LoadModelSpace("nb201-small");
  ASSERT_TRUE(cells.ok());
  auto net = BuildChainSupernet(*cells, 0);
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.status().message().find("needs a chain space"), std::string::npos);
}

}  // namespace
}  // namespace hone::nas
