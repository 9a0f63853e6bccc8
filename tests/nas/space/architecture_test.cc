#include "nas/space/architecture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nas/space/builtin_spaces.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

ModelSpace Load(const std::string& name) {
  auto space = LoadModelSpace(name);
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : ModelSpace{};
}

TEST(ArchitectureTest, Nb201IsSixEdgesOfFiveOperations) {
  SearchSpace s = ToSearchSpace(Load("nb201"));
  ASSERT_EQ(s.params().size(), 6u);
  EXPECT_EQ(s.DiscreteSize().value_or(0), 15625.0);
  EXPECT_EQ(s.params()[0].name, "edge_1_0");
}

TEST(ArchitectureTest, DartsHasANormalAndAReductionCell) {
  SearchSpace s = ToSearchSpace(Load("darts"));
  // Per cell: 4 nodes x (inputs, op0, op1); the inputs of node k are the pairs of k earlier
  // nodes, so node 2 has one (0+1) and that decision is left out.
  ASSERT_EQ(s.params().size(), 22u);
  double per_cell = (1 * 3 * 6 * 10) * std::pow(8.0, 8);
  EXPECT_DOUBLE_EQ(s.DiscreteSize().value_or(0), per_cell * per_cell);
}

TEST(ArchitectureTest, EveryConfigurationRoundTrips) {
  std::mt19937_64 rng(7);
  for (const std::string& name : BuiltinSpaceNames()) {
    ModelSpace space = Load(name);
    SearchSpace s = ToSearchSpace(space);
    for (int i = 0; i < 50; ++i) {
      nlohmann::json config = s.Sample(rng);
      auto arch = ArchitectureOf(space, config);
      ASSERT_TRUE(arch.ok()) << name << ": " << arch.status().message();
      nlohmann::json back = ConfigOf(space, *arch);
      // Decisions of blocks past a stage's depth are unused: compare the architectures.
      auto again = ArchitectureOf(space, back);
      ASSERT_TRUE(again.ok()) << again.status().message();
      EXPECT_EQ(DescribeArchitecture(space, *again), DescribeArchitecture(space, *arch)) << name;
      if (space.kind == SpaceKind::kCell) {
        EXPECT_EQ(back, config) << name;
      }
    }
  }
}

TEST(ArchitectureTest, ChainDepthDecidesTheBlocks) {
  ModelSpace space = Load("mobilenet-chain");
  nlohmann::json config = ConfigOf(space, Architecture{});
  config["stage1.depth"] = 3;
  config["stage1.width"] = 32;
  config["stage1.block0.kernel"] = 7;
  config["stage1.block2.expansion"] = 3;
  auto arch = ArchitectureOf(space, config);
  ASSERT_TRUE(arch.ok()) << arch.status().message();
  ASSERT_EQ(arch->stages.size(), 4u);
  ASSERT_EQ(arch->stages[1].size(), 3u);
  EXPECT_EQ(arch->stages[1][0].kernel, 7);
  EXPECT_EQ(arch->stages[1][0].stride, 2);
  EXPECT_EQ(arch->stages[1][1].stride, 1);
  EXPECT_EQ(arch->stages[1][2].expansion, 3);
  EXPECT_EQ(arch->stages[1][2].width, 32);
  EXPECT_NE(DescribeArchitecture(space, *arch).find("stage 1: 3 blocks, width 32, stride 2: k7e"), std::string::npos)
      << DescribeArchitecture(space, *arch);
}

TEST(ArchitectureTest, BadConfigurationsAreRefused) {
  ModelSpace space = Load("nb201-small");
  nlohmann::json config = ConfigOf(space, Architecture{});
  auto ok = ArchitectureOf(space, config);
  ASSERT_TRUE(ok.ok());
  nlohmann::json missing = config;
  missing.erase("edge_3_1");
  EXPECT_NE(ArchitectureOf(space, missing).status().message().find("decision 'edge_3_1' is missing"), std::string::npos);
  nlohmann::json bad = config;
  bad["edge_1_0"] = "sep_conv_3x3";
  EXPECT_NE(ArchitectureOf(space, bad).status().message().find("edge_1_0 = \"sep_conv_3x3\" is not one of"),
            std::string::npos);
  nlohmann::json extra = config;
  extra["edge_4_0"] = "none";
  EXPECT_NE(ArchitectureOf(space, extra).status().message().find("'edge_4_0' is not a decision"), std::string::npos);
}

TEST(ArchitectureTest, DartsCellReadsTwoDistinctInputsPerNode) {
  ModelSpace space = Load("darts");
  nlohmann::json config = ConfigOf(space, Architecture{});
  config["normal.node4.inputs"] = "1+3";
  config["normal.node4.op0"] = "sep_conv_5x5";
  config["normal.node4.op1"] = "skip_connect";
  auto arch = ArchitectureOf(space, config);
  ASSERT_TRUE(arch.ok()) << arch.status().message();
  ASSERT_EQ(arch->normal.edges.size(), 8u);
  ASSERT_EQ(arch->reduce.edges.size(), 8u);
  const CellEdge& e0 = arch->normal.edges[4];
  const CellEdge& e1 = arch->normal.edges[5];
  EXPECT_EQ(e0.to, 4);
  EXPECT_EQ(e0.from, 1);
  EXPECT_EQ(e0.op, Operation::kSepConv5x5);
  EXPECT_EQ(e1.from, 3);
  EXPECT_EQ(e1.op, Operation::kSkip);
  EXPECT_NE(DescribeArchitecture(space, *arch).find("node 4 <- sep_conv_5x5(1) + skip_connect(3)"), std::string::npos);
}

TEST(ArchitectureTest, AllSkipCellsAreRecognised) {
  CellGenotype cell{{{2, 0, Operation::kSkip}, {2, 1, Operation::kSkip}, {3, 2, Operation::kNone}}};
  EXPECT_TRUE(IsAllSkip(cell));
  cell.edges[1].op = Operation::kSepConv3x3;
  EXPECT_FALSE(IsAllSkip(cell));
}

}  // namespace
}  // namespace hone::nas
