// The darts-style supernet network: arch_model.cc's darts network, module for module,
// with every node summing a mixed edge from every earlier node.
#include <map>

#include "compress/zoo/script_layers_torch.h"
#include "nas/model/nas_ops_torch.h"
#include "nas/oneshot/supernet_modules_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

struct CellShape {
  int64_t prev_prev = 0, prev = 0, channels = 0;
  bool reduction = false, reduction_prev = false;
};

// A cell over the weight rows [first, end) of `net`; forward(s0, s1, w) takes all rows.
Module DartsSuperCell(const std::string& path, const Supernet& net, int nodes, const CellShape& s, size_t first,
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
  Module m = ops::NewModule("DartsSupernet", "");
  m.register_module("stem", ops::Conv("stem", space.input.channels, space.stem_channels, 3, 1, 1, 1));
  m.register_module("stem_bn", layers::BatchNorm2d("stem_bn", space.stem_channels));
  std::string code = "def forward(self, x, w):\n    x = self.stem_bn(self.stem(x))\n    s0 = x\n    s1 = x\n";
  CellShape shape{space.stem_channels, space.stem_channels, 0, false, false};
  const int nodes = space.cell.nodes;
  net.reduction_cells.clear();
  int index = 0;
  for (size_t s = 0; s < space.cell.stages.size(); ++s) {
    const CellStage& stage = space.cell.stages[s];
    for (int c = 0; c < stage.cells + (s > 0 ? 1 : 0); ++c, ++index) {
      shape.channels = stage.channels;
      shape.reduction = s > 0 && c == 0;
      std::string name = "cell" + std::to_string(index);
      size_t first = shape.reduction ? net.normal_edges : 0;
      size_t end = shape.reduction ? net.edges.size() : net.normal_edges;
      m.register_module(name, DartsSuperCell(name, net, nodes, shape, first, end));
      net.reduction_cells.push_back(shape.reduction);
      code += "    s0, s1 = s1, self." + name + "(s0, s1, w)\n";
      shape.reduction_prev = shape.reduction;
      shape.prev_prev = shape.prev;
      shape.prev = nodes * stage.channels;
    }
  }
  m.register_module("classifier", layers::Linear("classifier", shape.prev, space.classes));
  code += "    x = torch.flatten(torch.adaptive_avg_pool2d(s1, [1, 1]), 1)\n    return self.classifier(x)\n";
  layers::Define(m, code);
  return m;
}

}  // namespace hone::nas
