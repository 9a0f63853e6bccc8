#include "nas/space/arch_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

TEST(ArchFileTest, WrittenFilesReadBack) {
  auto space = LoadModelSpace("darts");
  ASSERT_TRUE(space.ok());
  std::mt19937_64 rng(4);
  nlohmann::json config = ToSearchSpace(*space).Sample(rng);
  std::string text = ArchitectureFileText("darts", *space, config);
  EXPECT_EQ(text.rfind("# normal cell:", 0), 0u) << text;
  auto file = ParseArchitectureFile(text, "arch.yaml");
  ASSERT_TRUE(file.ok()) << file.status().message() << "\n" << text;
  EXPECT_EQ(file->space_ref, "darts");
  EXPECT_EQ(file->config, config);
  EXPECT_EQ(file->arch.normal.edges.size(), 8u);
}

TEST(ArchFileTest, SpacesByPathRelativeToTheFileAndInline) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("hone_arch_file_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "spaces");
  std::ofstream(dir / "spaces" / "tiny.yaml") << "type: cell\ncell: {operations: [conv_3x3, skip_connect]}\nstages: [{channels: 8}]\n";
  std::ofstream(dir / "arch.yaml") << "space: spaces/tiny.yaml\narchitecture: {edge_1_0: conv_3x3, edge_2_0: skip_connect,\n"
                                      "  edge_2_1: conv_3x3, edge_3_0: skip_connect, edge_3_1: skip_connect, edge_3_2: conv_3x3}\n";
  auto file = ReadArchitectureFile((dir / "arch.yaml").string());
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->space.name, "tiny");
  auto inline_space = ParseArchitectureFile(
      "space: {type: chain, stages: [{width: 8, depth: [1, 2]}]}\narchitecture: {stage0.depth: 2}\n", "a.yaml");
  ASSERT_TRUE(inline_space.ok()) << inline_space.status().message();
  EXPECT_EQ(inline_space->arch.stages.at(0).size(), 2u);
  // A decision with one candidate is left out of the search space, but a file may name it.
  auto written = ParseArchitectureFile(
      "space: {type: chain, stages: [{width: 8, depth: [1, 2]}]}\narchitecture: {stage0.depth: 1, stage0.width: 8}\n",
      "a.yaml");
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(written->arch.stages.at(0).at(0).width, 8);
  auto wrong = ParseArchitectureFile(
      "space: {type: chain, stages: [{width: 8, depth: [1, 2]}]}\narchitecture: {stage0.depth: 1, stage0.width: 16}\n",
      "a.yaml");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("a.yaml:2:47: error: architecture.stage0.width: 16 is not one of [8]"),
            std::string::npos)
      << wrong.status().message();
  std::filesystem::remove_all(dir);
}

TEST(ArchFileTest, ErrorsPointAtTheDecision) {
  auto bad = ParseArchitectureFile("space: nb201-small\narchitecture:\n  edge_1_0: conv_3x4\n  edge_9_0: none\n", "a.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string e = bad.status().message();
  EXPECT_NE(e.find("a.yaml:3:13: error: architecture.edge_1_0: \"conv_3x4\" is not one of"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("a.yaml:4:3: error: architecture.edge_9_0: not a decision of space 'nb201-small'"), std::string::npos) << e;

  auto missing = ParseArchitectureFile("space: nb201-small\narchitecture: {edge_1_0: none}\n", "a.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("decision 'edge_2_0' is missing"), std::string::npos)
      << missing.status().message();

  auto no_space = ParseArchitectureFile("space: nb999\narchitecture: {}\n", "a.yaml");
  ASSERT_FALSE(no_space.ok());
  EXPECT_NE(no_space.status().message().find("a.yaml:1:8: error: space: unknown model space 'nb999'"), std::string::npos)
      << no_space.status().message();
}

}  // namespace
}  // namespace hone::nas
