// One network of a model space: what each of the space's decisions picked, resolved
// into the cells or blocks the network is built from.
//
//   auto space = LoadModelSpace("nb201-small");
//   SearchSpace s = ToSearchSpace(*space);                      // every tuner can search it
//   auto arch = ArchitectureOf(*space, s.Sample(rng));          // a configuration back
//   std::cout << DescribeArchitecture(*space, *arch);
//
// Decision names (each a `choice` in the search space; decisions with one candidate are
// left out and take it):
//   nb201  edge_<to>_<from>                  an operation, for 0 <= from < to < nodes
//   darts  <normal|reduce>.node<k>.inputs    two distinct earlier nodes "i+j" (0 and 1
//                                            are the cell inputs, k >= 2)
//          <normal|reduce>.node<k>.op0, .op1 the operation on the first / second input
//   chain  stage<i>.depth, stage<i>.width, stage<i>.block<j>.kernel,
//          stage<i>.block<j>.expansion       (blocks past the chosen depth are unused)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/status.h"
#include "nas/space/model_space.h"

namespace hone::nas {

struct CellEdge {
  int to = 0;    // the node the edge feeds
  int from = 0;  // the node it reads
  Operation op = Operation::kNone;
};

// nb201: one edge per (from, to) pair; darts: two edges per intermediate node.
struct CellGenotype {
  std::vector<CellEdge> edges;
};

struct ChainBlock {
  int64_t width = 0;
  int kernel = 3;
  int expansion = 1;
  int stride = 1;
};

struct Architecture {
  CellGenotype normal;                       // cell spaces
  CellGenotype reduce;                       // darts only
  std::vector<std::vector<ChainBlock>> stages;  // chain spaces: the blocks of each stage
};

// The space's decisions as a hone search space (NNI's format, every parameter a choice).
SearchSpace ToSearchSpace(const ModelSpace& space);

// The architecture a configuration of ToSearchSpace(space) picks. Errors: a missing
// decision, an unknown key, a value that is not one of the decision's candidates.
StatusOr<Architecture> ArchitectureOf(const ModelSpace& space, const nlohmann::json& config);

// The configuration that picks `arch` (the inverse of ArchitectureOf).
nlohmann::json ConfigOf(const ModelSpace& space, const Architecture& arch);

// A few lines: each cell's edges ("node 2 <- sep_conv_3x3(0) + skip_connect(1)") or each
// stage's blocks ("stage 1: 3 blocks, width 32: k5e6 k3e3 k7e6").
std::string DescribeArchitecture(const ModelSpace& space, const Architecture& arch);

// Whether every edge into the cell output is a skip or absent (DARTS's collapse).
bool IsAllSkip(const CellGenotype& cell);

}  // namespace hone::nas
