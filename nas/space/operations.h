// The candidate operations of a cell space's edges, under the names NAS-Bench-201 and
// DARTS use. Each operation maps C channels to C channels at the edge's stride (a
// reduction cell's edges from the cell inputs use stride 2).
//
//   auto op = ParseOperation("nor_conv_3x3");   // kConv3x3 (NAS-Bench-201's name)
//   OperationName(*op);                         // "conv_3x3"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hone::nas {

enum class Operation {
  kNone,        // the edge is absent (outputs zeros)
  kSkip,        // identity (a stride-2 edge: factorized reduce)
  kConv1x1,     // relu-conv-bn
  kConv3x3,
  kConv5x5,
  kSepConv3x3,  // two depthwise-separable relu-conv-bn stacks (DARTS)
  kSepConv5x5,
  kDilConv3x3,  // a dilated depthwise-separable relu-conv-bn (dilation 2)
  kDilConv5x5,
  kAvgPool3x3,
  kMaxPool3x3,
};

// The canonical name ("sep_conv_3x3").
const char* OperationName(Operation op);
// Canonical names and the aliases "zero", "skip", "identity", "nor_conv_1x1",
// "nor_conv_3x3", "nor_conv_5x5"; case-sensitive.
std::optional<Operation> ParseOperation(std::string_view name);
// Every canonical name, in enum order.
std::vector<std::string> OperationNames();

// Whether the operation has weights.
bool HasWeights(Operation op);

}  // namespace hone::nas
