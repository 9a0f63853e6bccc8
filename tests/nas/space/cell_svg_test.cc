#include "nas/space/cell_svg.h"

#include <gtest/gtest.h>

#include <regex>

#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

int Count(const std::string& text, const std::string& word) {
  int n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

TEST(CellSvgTest, DrawsEveryEdgeButNoneAndEveryNode) {
  auto space = LoadModelSpace("nb201");
  ASSERT_TRUE(space.ok());
  nlohmann::json config = ConfigOf(*space, Architecture{});
  for (auto it = config.begin(); it != config.end(); ++it) it.value() = "conv_3x3";
  config["edge_3_0"] = "none";
  config["edge_2_1"] = "skip_connect";
  auto arch = ArchitectureOf(*space, config);
  ASSERT_TRUE(arch.ok());
  std::string svg = CellSvg(*space, arch->normal, "the cell");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(Count(svg, "stroke-width=\"2.5\""), 5) << "six edges, one of them none";
  EXPECT_EQ(Count(svg, ">conv_3x3</text>"), 4);
  EXPECT_EQ(Count(svg, ">skip_connect</text>"), 1);
  EXPECT_EQ(Count(svg, "<circle"), 4);
  EXPECT_NE(svg.find(">the cell</text>"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(CellSvgTest, DartsCellsShowTheirInputsAndTheConcatenation) {
  auto space = LoadModelSpace("darts");
  ASSERT_TRUE(space.ok());
  std::mt19937_64 rng(2);
  auto arch = ArchitectureOf(*space, ToSearchSpace(*space).Sample(rng));
  ASSERT_TRUE(arch.ok());
  std::string svg = CellSvg(*space, arch->reduce, "reduction cell");
  EXPECT_NE(svg.find(">c[k-2]</text>"), std::string::npos);
  EXPECT_NE(svg.find(">c[k-1]</text>"), std::string::npos);
  EXPECT_NE(svg.find(">concat</text>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<circle"), 6);
  EXPECT_EQ(Count(svg, "stroke-dasharray"), 4) << "each intermediate node feeds the output";
}

// Arcs over many nodes rise higher: their labels must stay inside the picture, below
// the title.
TEST(CellSvgTest, LongArcsOfLargeCellsStayInsideThePicture) {
  auto space = ParseModelSpace("type: cell\ncell: {nodes: 8, operations: [conv_3x3, skip_connect]}\nstages: [{channels: 8}]\n",
                               "big.yaml");
  ASSERT_TRUE(space.ok()) << space.status().message();
  std::mt19937_64 rng(5);
  auto arch = ArchitectureOf(*space, ToSearchSpace(*space).Sample(rng));
  ASSERT_TRUE(arch.ok());
  std::string svg = CellSvg(*space, arch->normal, "eight nodes");
  std::regex height_re("height=\"([0-9]+)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, height_re));
  const int height = std::stoi(m[1]);
  std::regex text_y("<text x=\"-?[0-9]+\" y=\"(-?[0-9]+)\"");
  int texts = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_y); it != std::sregex_iterator(); ++it, ++texts) {
    const int y = std::stoi((*it)[1]);
    if (texts == 0) continue;  // the title
    EXPECT_GT(y, 30) << "a label above the title: " << it->str();
    EXPECT_LT(y, height) << it->str();
  }
  EXPECT_EQ(texts, 1 + 28 + 8) << "title, 28 edge labels, 8 node labels";
}

}  // namespace
}  // namespace hone::nas
