#include "nas/space/space_reader.h"

#include <gtest/gtest.h>

#include "nas/space/builtin_spaces.h"

namespace hone::nas {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto space = ParseModelSpace(yaml, "space.yaml");
  EXPECT_FALSE(space.ok()) << yaml;
  return space.ok() ? "" : space.status().message();
}

TEST(SpaceReaderTest, EveryBuiltinSpaceReads) {
  for (const std::string& name : BuiltinSpaceNames()) {
    auto space = LoadModelSpace(name);
    ASSERT_TRUE(space.ok()) << name << ": " << space.status().message();
    EXPECT_EQ(space->name, name);
  }
  auto nb201 = LoadModelSpace("nb201");
  ASSERT_TRUE(nb201.ok());
  EXPECT_EQ(nb201->kind, SpaceKind::kCell);
  EXPECT_EQ(nb201->cell.style, CellStyle::kNb201);
  EXPECT_EQ(nb201->cell.operations.size(), 5u);
  ASSERT_EQ(nb201->cell.stages.size(), 3u);
  EXPECT_EQ(nb201->cell.stages[2].channels, 64);
  auto chain = LoadModelSpace("mobilenet-chain");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->kind, SpaceKind::kChain);
  EXPECT_EQ(chain->chain.stages[1].widths, (std::vector<int64_t>{24, 32}));
  EXPECT_EQ(chain->chain.stages[0].widths, (std::vector<int64_t>{16}));  // a scalar is one candidate
  EXPECT_EQ(chain->chain.head_channels, 256);
}

TEST(SpaceReaderTest, NasBench201NamesAreAliases) {
  auto space = ParseModelSpace(R"(type: cell
cell: {operations: [zero, skip, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3]}
stages: [{channels: 8}]
)",
                               "/tmp/my-space.yaml");
  ASSERT_TRUE(space.ok()) << space.status().message();
  EXPECT_EQ(space->name, "my-space");  // the file's stem
  EXPECT_EQ(space->cell.operations[0], Operation::kNone);
  EXPECT_EQ(space->cell.operations[3], Operation::kConv3x3);
  EXPECT_EQ(space->cell.stages[0].cells, 1);
}

TEST(SpaceReaderTest, ErrorsSayWhereAndWhy) {
  std::string e = ErrorOf(R"(type: cell
cell:
  style: nb201
  operations: [none, conv_3x4]
stages: [{cells: 2, channels: 8}]
)");
  EXPECT_NE(e.find("space.yaml:4:22: error: cell.operations: unknown operation 'conv_3x4'; did you mean 'conv_3x3'?"),
            std::string::npos)
      << e;

  e = ErrorOf("type: cell\ncell: {nodes: 12, operations: [none]}\nstages: [{channels: 8}]\n");
  EXPECT_NE(e.find("space.yaml:2:15: error: cell.nodes: must lie in [2, 8], but got 12"), std::string::npos) << e;

  e = ErrorOf("type: graph\nstages: [{channels: 8}]\n");
  EXPECT_NE(e.find("space.yaml:1:7: error: type: unknown space type 'graph'"), std::string::npos) << e;

  e = ErrorOf("type: chain\nstages:\n  - {width: 16, kernel: [3, 4]}\n");
  EXPECT_NE(e.find("space.yaml:3:29: error: stages[0].kernel: kernel sizes must be odd, but got 4"), std::string::npos) << e;

  e = ErrorOf("type: chain\nstages:\n  - {width: [16, 16]}\n");
  EXPECT_NE(e.find("stages[0].width: candidate 16 is listed twice"), std::string::npos) << e;

  e = ErrorOf("type: chain\nstages:\n  - {widht: 16}\n");
  EXPECT_NE(e.find("space.yaml:3:6: error: stages[0].widht: unknown key; did you mean 'width'?"), std::string::npos) << e;
  EXPECT_NE(e.find("stages[0]: missing key 'width'"), std::string::npos) << e;

  e = ErrorOf("type: cell\ncell: {operations: [none]}\nhead: {channels: 8}\nstages: [{channels: 8}]\n");
  EXPECT_NE(e.find("space.yaml:3:1: error: head: a cell space has no head"), std::string::npos) << e;

  e = ErrorOf("type: cell\nstages: []\n");
  EXPECT_NE(e.find("missing key 'cell'"), std::string::npos) << e;
  EXPECT_NE(e.find("space.yaml:2:9: error: stages: expected a non-empty list of stages"), std::string::npos) << e;
}

TEST(SpaceReaderTest, UnknownNameThatIsNoFileIsNotFound) {
  auto space = LoadModelSpace("nb202");
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().code(), StatusCode::kNotFound);
  EXPECT_NE(space.status().message().find("did you mean 'nb201'?"), std::string::npos) << space.status().message();
}

}  // namespace
}  // namespace hone::nas
