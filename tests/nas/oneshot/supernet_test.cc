// The supernet on a fixed path computes exactly the stand-alone architecture with the same
// weights; weights pick the path; derivation takes the largest weight per edge.
#include "nas/oneshot/supernet_torch.h"

#include <gtest/gtest.h>

#include <random>

#include "../../compress/torch_test_util.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

ModelSpace Small() {
  auto space = LoadModelSpace("nb201-small");
  EXPECT_TRUE(space.ok());
  ModelSpace s = *space;
  s.cell.stages = {{1, 8}, {1, 16}};
  return s;
}

TEST(SupernetTest, AFixedPathEqualsTheStandaloneArchitecture) {
  ModelSpace space = Small();
  auto net = BuildSupernet(space, 3);
  ASSERT_TRUE(net.ok()) << net.status().message();
  // Batch norms with statistics away from their initial values, so copying them matters.
  compress::ScriptModel wrapped = compress::WrapModule(net->module);
  compress::testing::RandomizeBatchNorms(wrapped, true);
  std::mt19937_64 rng(5);
  SearchSpace s = ToSearchSpace(space);
  at::Tensor x = torch::randn({4, 1, 28, 28});
  for (int i = 0; i < 6; ++i) {
    auto arch = ArchitectureOf(space, s.Sample(rng));
    ASSERT_TRUE(arch.ok());
    auto alone = ExtractArchitecture(*net, space, *arch);
    ASSERT_TRUE(alone.ok()) << alone.status().message();
    net->module.eval();
    torch::NoGradGuard no_grad;
    at::Tensor super = net->module.forward({x, PathWeights(*net, *arch)}).toTensor();
    at::Tensor single = compress::testing::Forward(*alone, x);
    EXPECT_LT((super - single).abs().max().item<double>(), 1e-5) << DescribeArchitecture(space, *arch);
  }
}

// Extraction builds a network whose weights are overwritten: it must not reseed the
// random stream a caller (a search in progress) draws from.
TEST(SupernetTest, ExtractingLeavesTheGlobalRandomStreamAlone) {
  ModelSpace space = Small();
  auto net = BuildSupernet(space, 1);
  ASSERT_TRUE(net.ok());
  std::mt19937_64 rng(2);
  auto arch = ArchitectureOf(space, ToSearchSpace(space).Sample(rng));
  ASSERT_TRUE(arch.ok());
  torch::manual_seed(42);
  (void)torch::rand({8});
  at::Tensor expected = torch::rand({8});
  torch::manual_seed(42);
  (void)torch::rand({8});
  ASSERT_TRUE(ExtractArchitecture(*net, space, *arch).ok());
  EXPECT_TRUE(torch::rand({8}).equal(expected));
}

TEST(SupernetTest, WeightsPickThePathAndDerivationTakesTheLargest) {
  ModelSpace space = Small();
  auto net = BuildSupernet(space, 0);
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net->edges.size(), 6u);
  at::Tensor w = torch::zeros({6, 5});
  w.select(1, 3).fill_(0.6);  // conv_3x3
  w.select(1, 0).fill_(0.9);  // none: larger, but DARTS leaves it out
  Architecture a = ArchitectureFromWeights(*net, w, true);
  for (const CellEdge& e : a.normal.edges) EXPECT_EQ(e.op, Operation::kConv3x3);
  Architecture b = ArchitectureFromWeights(*net, w, false);
  for (const CellEdge& e : b.normal.edges) EXPECT_EQ(e.op, Operation::kNone);
  w[1][1] = 5.0;  // skip on edge 2_0
  EXPECT_EQ(SkipCount(ArchitectureFromWeights(*net, w, true)), 1);
  EXPECT_TRUE(PathWeights(*net, a).equal(torch::zeros({6, 5}).index_fill_(1, torch::tensor({3}), 1.0)));
}

TEST(SupernetTest, OtherSpacesAreRefusedClearly) {
  auto chain = LoadModelSpace("mobilenet-chain");
  ASSERT_TRUE(chain.ok());
  auto net = BuildSupernet(*chain, 0);
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.status().message().find("nb201-style cell spaces"), std::string::npos);
}

}  // namespace
}  // namespace hone::nas
