// A model space: the networks an architecture search may pick from, as data. Two
// families cover the published search spaces:
//
// - cell: a stem convolution, then stages of identical cells whose inside is searched,
//   then global pooling and a linear classifier. Style `nb201` is NAS-Bench-201's cell: node
//   0 is the cell input and each later node sums one candidate operation of every earlier
//   node; stages after the first begin with a fixed residual block of stride 2. Style
//   `darts` is DARTS's cell: two inputs (the two previous cells' outputs), `nodes`
//   intermediate nodes that each sum two operations on two distinct earlier nodes, the
//   output the concatenation of the intermediate nodes; stages after the first begin
//   with a searched reduction cell.
// - chain: a stem, then stages of inverted-residual blocks (MobileNetV2, ProxylessNAS,
//   SPOS) whose depth, width, kernel size and expansion ratio are searched.
//
// Spaces are written in YAML (see space_reader.h) or taken from the built-in ones
// (builtin_spaces.h); space_decisions.h turns one into a hone search space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nas/space/operations.h"

namespace hone::nas {

enum class SpaceKind { kCell, kChain };
enum class CellStyle { kNb201, kDarts };

struct InputShape {
  int64_t channels = 1;
  int64_t height = 28;
  int64_t width = 28;
};

struct CellStage {
  int cells = 1;          // cells in the stage (reduction cell or block not counted)
  int64_t channels = 16;  // nb201: output channels; darts: channels per intermediate node
};

struct CellSpace {
  CellStyle style = CellStyle::kNb201;
  int nodes = 4;  // nb201: nodes including the input (edges: nodes x (nodes - 1) / 2); darts: intermediate nodes
  std::vector<Operation> operations;
  std::vector<CellStage> stages;
};

struct ChainStage {
  std::vector<int> depths = {1};     // candidate block counts
  std::vector<int64_t> widths;       // candidate output channels (all blocks of the stage)
  std::vector<int> kernels = {3};    // candidate depthwise kernel sizes (per block)
  std::vector<int> expansions = {6}; // candidate expansion ratios (per block)
  int stride = 1;                    // of the stage's first block
  int MaxDepth() const;
};

struct ChainSpace {
  std::vector<ChainStage> stages;
  int64_t head_channels = 0;  // a 1x1 conv before pooling; 0: none
};

struct ModelSpace {
  std::string name;
  SpaceKind kind = SpaceKind::kCell;
  InputShape input;
  int64_t classes = 10;
  int64_t stem_channels = 16;
  CellSpace cell;    // kind == kCell
  ChainSpace chain;  // kind == kChain
};

const char* SpaceKindName(SpaceKind kind);  // "cell", "chain"
const char* CellStyleName(CellStyle style);  // "nb201", "darts"

}  // namespace hone::nas
