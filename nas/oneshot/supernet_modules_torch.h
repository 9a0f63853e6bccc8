// The TorchScript modules a supernet (supernet_torch.h) is built of: the mixed edge and
// the networks of the two cell styles. Internal to nas/oneshot/.
//
//   Supernet net = ...;  // edges, normal_edges, operations filled in
//   net.module = space.cell.style == CellStyle::kNb201 ? Nb201SuperNetwork(space, net)
//                                                      : DartsSuperNetwork(space, net);
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nas/oneshot/supernet_torch.h"

namespace hone::nas {

// "e<to>_<from>", the name of an edge's module in both the supernet and arch_model.h.
std::string EdgeName(const CellEdge& e);

// forward(x, w): the sum over the operations of w[k] * op_k(x) on `channels` channels at
// `stride`, skipping zero weights (all zero: zeros of the output's shape). Operations
// with modules are registered under their names (skip at stride 2: factorized reduce).
torch::jit::Module MixedEdge(const std::string& path, const std::vector<Operation>& ops, int64_t channels,
                             int64_t stride);

// The nb201 network; forward(x, w) with w rows x operations.
torch::jit::Module Nb201SuperNetwork(const ModelSpace& space, const Supernet& net);

// The darts network; forward(x, w) with w rows x operations. Fills net.reduction_cells.
torch::jit::Module DartsSuperNetwork(const ModelSpace& space, Supernet& net);

}  // namespace hone::nas
