// The darts-style supernet: a fixed path computes exactly the stand-alone architecture with
// the same weights, in training and evaluation mode; DARTS's rule derives valid cells; every
// way of drawing a path (uniform, controller, Gumbel, mutation) gives valid darts cells,
// and the controller's path probabilities sum to one.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "../../compress/torch_test_util.h"
#include "nas/oneshot/path_sampler_torch.h"
#include "nas/oneshot/supernet_torch.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

// The built-in darts space with small channels: normal, reduction, normal cell.
ModelSpace SmallDarts() {
  auto space = LoadModelSpace("darts");
  EXPECT_TRUE(space.ok());
  ModelSpace s = *space;
  s.stem_channels = 8;
  s.cell.stages = {{1, 4}, {1, 6}};
  return s;
}

// Each node of a darts cell has exactly two edges from distinct earlier nodes.
void ExpectValidCell(const CellGenotype& cell, int nodes, const std::string& what) {
  ASSERT_EQ(cell.edges.size(), static_cast<size_t>(2 * nodes)) << what;
  for (int k = 0; k < nodes; ++k) {
    const CellEdge& a = cell.edges[2 * k];
    const CellEdge& b = cell.edges[2 * k + 1];
    EXPECT_EQ(a.to, k + 2) << what;
    EXPECT_EQ(b.to, k + 2) << what;
    EXPECT_LT(a.from, b.from) << what;
    EXPECT_GE(a.from, 0) << what;
    EXPECT_LT(b.from, k + 2) << what;
  }
}

void ExpectValid(const ModelSpace& space, const Architecture& arch, const std::string& what) {
  ExpectValidCell(arch.normal, space.cell.nodes, what + " normal");
  ExpectValidCell(arch.reduce, space.cell.nodes, what + " reduce");
  auto back = ArchitectureOf(space, ConfigOf(space, arch));
  ASSERT_TRUE(back.ok()) << what << ": " << back.status().message();
  EXPECT_EQ(DescribeArchitecture(space, *back), DescribeArchitecture(space, arch)) << what;
}

TEST(DartsSupernetTest, AFixedPathEqualsTheStandaloneArchitecture) {
  ModelSpace space = SmallDarts();
  auto net = BuildSupernet(space, 3);
  ASSERT_TRUE(net.ok()) << net.status().message();
  ASSERT_EQ(net->edges.size(), 28u);  // 2 + 3 + 4 + 5 per cell, normal then reduction
  ASSERT_EQ(net->normal_edges, 14u);
  EXPECT_EQ(net->reduction_cells, (std::vector<bool>{false, true, false}));
  compress::ScriptModel wrapped = compress::WrapModule(net->module);
  compress::testing::RandomizeBatchNorms(wrapped, true);
  std::mt19937_64 rng(5);
  SearchSpace s = ToSearchSpace(space);
  at::Tensor x = torch::randn({4, 1, 28, 28});
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 5; ++i) {
    auto arch = ArchitectureOf(space, s.Sample(rng));
    ASSERT_TRUE(arch.ok());
    auto alone = ExtractArchitecture(*net, space, *arch);
    ASSERT_TRUE(alone.ok()) << alone.status().message();
    at::Tensor w = PathWeights(*net, *arch);
    net->module.eval();
    at::Tensor super = net->module.forward({x, w}).toTensor();
    at::Tensor single = compress::testing::Forward(*alone, x);
    EXPECT_LT((super - single).abs().max().item<double>(), 1e-5) << DescribeArchitecture(space, *arch);
    // Training mode: batch statistics, which only the path's operations see.
    net->module.train();
    compress::ModuleOf(*alone).train();
    super = net->module.forward({x, w}).toTensor();
    single = compress::ModuleOf(*alone).forward({x}).toTensor();
    EXPECT_LT((super - single).abs().max().item<double>(), 1e-4) << DescribeArchitecture(space, *arch);
  }
}

TEST(DartsSupernetTest, DartsRuleKeepsEachNodesTwoStrongestEdges) {
  ModelSpace space = SmallDarts();
  auto net = BuildSupernet(space, 0);
  ASSERT_TRUE(net.ok());
  const auto& ops = net->operations;  // none, max_pool, avg_pool, skip, sep3, sep5, dil3, dil5
  ASSERT_EQ(ops[0], Operation::kNone);
  at::Tensor w = torch::full({28, 8}, 0.1);
  w[0][0] = 5.0;  // node 2 <- 0: none is strongest but left out
  w[0][4] = 0.3;  // sep_conv_3x3
  w[1][3] = 0.2;  // node 2 <- 1: skip_connect
  w[2][6] = 0.5;  // node 3 <- 0: dil_conv_3x3
  w[4][5] = 0.7;  // node 3 <- 2: sep_conv_5x5
  w[3][1] = 0.4;  // node 3 <- 1: max_pool, weaker than both
  Architecture a = ArchitectureFromWeights(*net, w, true);
  ExpectValid(space, a, "derived");
  EXPECT_EQ(a.normal.edges[0].from, 0);
  EXPECT_EQ(a.normal.edges[0].op, Operation::kSepConv3x3);
  EXPECT_EQ(a.normal.edges[1].op, Operation::kSkip);
  EXPECT_EQ(a.normal.edges[2].from, 0);
  EXPECT_EQ(a.normal.edges[2].op, Operation::kDilConv3x3);
  EXPECT_EQ(a.normal.edges[3].from, 2);
  EXPECT_EQ(a.normal.edges[3].op, Operation::kSepConv5x5);
  EXPECT_EQ(SkipCount(a), 1);
  // With `none`, edge 2 <- 0 keeps none.
  EXPECT_EQ(ArchitectureFromWeights(*net, w, false).normal.edges[0].op, Operation::kNone);
  for (int i = 0; i < 20; ++i) ExpectValid(space, ArchitectureFromWeights(*net, torch::randn({28, 8}), true), "random");
}

TEST(DartsSupernetTest, EveryWayOfDrawingAPathGivesValidCells) {
  ModelSpace space = SmallDarts();
  auto net = BuildSupernet(space, 0);
  ASSERT_TRUE(net.ok());
  torch::manual_seed(7);
  at::Tensor logits = torch::randn({28, 8});
  std::set<std::string> seen;
  for (int i = 0; i < 30; ++i) {
    for (const at::Tensor& path : {UniformPath(*net), SampledPath(*net, logits)}) {
      Architecture a = ArchitectureFromWeights(*net, path, false);
      ExpectValid(space, a, "drawn");
      EXPECT_TRUE(PathWeights(*net, a).equal(path));
      EXPECT_TRUE(std::isfinite(PathLogProb(*net, logits, path).item<double>()));
      seen.insert(DescribeArchitecture(space, a));
      Architecture child = MutateArchitecture(*net, a);
      ExpectValid(space, child, "mutated");
    }
    at::Tensor g = GumbelPath(*net, logits.clone().requires_grad_(true), 1.0);
    Architecture a = ArchitectureFromWeights(*net, g, false);
    ExpectValid(space, a, "gumbel");
    EXPECT_LT((g - PathWeights(*net, a)).abs().max().item<double>(), 1e-5);
    EXPECT_EQ(a.normal.edges.size() + a.reduce.edges.size(), 16u);
  }
  EXPECT_GT(seen.size(), 50u);  // the draws differ
}

TEST(DartsSupernetTest, ControllerProbabilitiesOfAllPathsSumToOne) {
  ModelSpace space = SmallDarts();
  space.cell.nodes = 2;  // node 2 <- {0, 1}, node 3 <- two of {0, 1, 2}
  space.cell.operations = {Operation::kSkip, Operation::kMaxPool3x3};
  space.cell.stages = {{1, 4}};
  auto net = BuildSupernet(space, 0);
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net->edges.size(), 5u);
  at::Tensor logits = torch::randn({5, 2});
  double total = 0;
  for (int op2 = 0; op2 < 4; ++op2) {
    for (int pair = 0; pair < 3; ++pair) {
      for (int op3 = 0; op3 < 4; ++op3) {
        at::Tensor path = torch::zeros({5, 2});
        path[0][op2 / 2] = 1.0;
        path[1][op2 % 2] = 1.0;
        int a = pair == 2 ? 1 : 0, b = pair == 0 ? 1 : 2;  // 0+1, 0+2, 1+2
        path[2 + a][op3 / 2] = 1.0;
        path[2 + b][op3 % 2] = 1.0;
        total += std::exp(PathLogProb(*net, logits, path).item<double>());
      }
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
  EXPECT_GT(PathEntropy(*net, logits).item<double>(), 0.0);
}

}  // namespace
}  // namespace hone::nas
