// The networks around the cells of a cell space (and the stem and classifier of every
// space), shared by the stand-alone networks
// (arch_model.h) and the supernets (nas/oneshot/), so that both have the same modules
// under the same names and a path of a supernet can be copied into a stand-alone
// network tensor by tensor. The caller builds the cells; these build the rest.
//
//   Module net = Nb201Body("Nb201Network", space, "", [&](const std::string& name, int64_t channels) {
//     return MyCell(name, channels);  // forward(self, x) -> x
//   });
//
// `extra` is what the network's forward takes after x and hands to every cell ("" or
// ", w"): forward(self, x<extra>) calls self.cell<k>(x<extra>) (nb201) or
// self.cell<k>(s0, s1<extra>) (darts).
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <functional>
#include <string>

#include "nas/space/model_space.h"

namespace hone::nas {

// The pieces every network of a space begins and ends with, registered on `m`; each
// returns its forward lines. The stem: a 3x3 conv-bn on `x` (relu6 after it for chains).
// The classifier: global average pooling of `x` and a linear layer, returned.
std::string AddStem(torch::jit::Module& m, const ModelSpace& space, bool relu6);
std::string AddClassifier(torch::jit::Module& m, const ModelSpace& space, int64_t features);

// nb201: stem conv-bn; per stage, a residual stride-2 block first (stages after the first;
// the first stage widens the stem with a 1x1 relu-conv-bn when the channels differ), then
// its cells; bn-relu, global average pooling and the classifier.
using Nb201CellFactory = std::function<torch::jit::Module(const std::string& name, int64_t channels)>;
torch::jit::Module Nb201Body(const std::string& kind, const ModelSpace& space, const std::string& extra,
                             const Nb201CellFactory& make_cell);

// The shape of a darts cell: the channels of its two inputs and of each of its nodes,
// whether it reduces, and whether the cell before it did (then its first input is
// halved by a factorized reduce).
struct DartsCellShape {
  int64_t prev_prev = 0, prev = 0, channels = 0;
  bool reduction = false, reduction_prev = false;
};

// darts: stem conv-bn; per stage, a reduction cell first (stages after the first), then
// its cells, each reading the two previous cells' outputs (forward(s0, s1<extra>) ->
// the concatenation of its `nodes` nodes); global average pooling and the classifier.
// `make_cell` gets each cell's index in order.
using DartsCellFactory =
    std::function<torch::jit::Module(const std::string& name, int index, const DartsCellShape& shape)>;
torch::jit::Module DartsBody(const std::string& kind, const ModelSpace& space, const std::string& extra,
                             const DartsCellFactory& make_cell);

}  // namespace hone::nas
