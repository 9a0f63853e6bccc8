// The darts-style supernet network: arch_model.cc's darts network, module for module,
// with every node summing a mixed edge from every earlier node.
#include <map>

#include "compress/zoo/script_layers_torch.h"
#include "nas/model/cell_networks_torch.h"
#include "nas/model/nas_ops_torch.h"
#include "nas/oneshot/supernet_modules_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

// A cell over the weight rows [first, end) of `net`; forward(s0, s1, w) takes all rows.
Module DartsSuperCell(const std::string& path, const Supernet& net, int nodes, const DartsCellShape& s, size_t first,
                      size_t end) {
  Module cell = ops::NewModule(s.reduction ? "DartsReductionSuperCell" : "DartsSuperCell", path);
  cell.register_module("pre0", s.reduction_prev ? ops::FactorizedReduce(path + ".pre0", s.prev_prev, s.channels)
                                                : ops::ReluConvBn(path + ".pre0", s.prev_prev, s.channels, 1, 1));
  cell.register_module("pre1", ops::ReluConvBn(path + ".pre1", s.prev, s.channels, 1, 1));
  std::string code = "def forward(self, s0, s1, w):\n    n0 = self.pre0(s0)\n    n1 = self.pre1(s1)\n";
  std::map<int, std::string> sums;
  for (size_t r = first; r < end; ++r) {
    const CellEdge& edge = net.edges[r];
    int64_t stride = s.reduction && edge.from < 2 ? 2 : 1;
    std::string name = EdgeName(edge);
    cell.register_module(name, MixedEdge(path + "." + name, net.operations, s.channels, stride));
    std::string term = "self." + name + "(n" + std::to_string(edge.from) + ", w[" + std::to_string(r) + "])";
    sums[edge.to] += (sums[edge.to].empty() ? "" : " + ") + term;
  }
  std::string outs;
  for (const auto& [node, sum] : sums) {
    code += "    n" + std::to_string(node) + " = " + sum + "\n";
    outs += (outs.empty() ? "" : ", ") + ("n" + std::to_string(node));
  }
  layers::Define(cell, code + "    return torch.cat([" + outs + "], 1)\n");
  return cell;
}

}  // namespace

Module DartsSuperNetwork(const ModelSpace& space, Supernet& net) {
  net.reduction_cells.clear();
  return DartsBody("DartsSupernet", space, ", w", [&](const std::string& name, int, const DartsCellShape& shape) {
    size_t first = shape.reduction ? net.normal_edges : 0;
    size_t end = shape.reduction ? net.edges.size() : net.normal_edges;
    net.reduction_cells.push_back(shape.reduction);
    return DartsSuperCell(name, net, space.cell.nodes, shape, first, end);
  });
}

}  // namespace hone::nas
