#include "nas/oneshot/supernet_modules_torch.h"

#include <map>

#include "compress/zoo/script_layers_torch.h"
#include "nas/model/cell_networks_torch.h"
#include "nas/model/nas_ops_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

Module SuperCell(const std::string& path, const Supernet& net, int nodes, int64_t channels) {
  Module cell = ops::NewModule("Nb201SuperCell", path);
  std::string code = "def forward(self, x, w):\n    n0 = x\n";
  std::map<int, std::string> sums;
  for (size_t e = 0; e < net.edges.size(); ++e) {
    const CellEdge& edge = net.edges[e];
    cell.register_module(EdgeName(edge), MixedEdge(path + "." + EdgeName(edge), net.operations, channels, 1));
    std::string term = "self." + EdgeName(edge) + "(n" + std::to_string(edge.from) + ", w[" + std::to_string(e) + "])";
    sums[edge.to] += (sums[edge.to].empty() ? "" : " + ") + term;
  }
  for (const auto& [node, sum] : sums) code += "    n" + std::to_string(node) + " = " + sum + "\n";
  layers::Define(cell, code + "    return n" + std::to_string(nodes - 1) + "\n");
  return cell;
}

}  // namespace

std::string EdgeName(const CellEdge& e) { return "e" + std::to_string(e.to) + "_" + std::to_string(e.from); }

Module MixedEdge(const std::string& path, const std::vector<Operation>& ops, int64_t channels, int64_t stride) {
  Module m = ops::NewModule("MixedEdge", path);
  std::string code = stride == 1 ? "def forward(self, x, w):\n    out = torch.zeros_like(x)\n"
                                 : "def forward(self, x, w):\n    out = torch.zeros_like(x[:, :, ::2, ::2])\n";
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k] == Operation::kNone) continue;
    std::string term = "x";
    if (ops[k] != Operation::kSkip || stride != 1) {
      std::string name = OperationName(ops[k]);
      m.register_module(name, ops::EdgeOp(path + "." + name, ops[k], channels, stride));
      term = "self." + name + "(x)";
    }
    std::string idx = std::to_string(k);
    code += "    if bool(w[" + idx + "] != 0.0):\n        out = out + w[" + idx + "] * " + term + "\n";
  }
  layers::Define(m, code + "    return out\n");
  return m;
}

Module Nb201SuperNetwork(const ModelSpace& space, const Supernet& net) {
  return Nb201Body("Nb201Supernet", space, ", w", [&](const std::string& name, int64_t channels) {
    return SuperCell(name, net, space.cell.nodes, channels);
  });
}

}  // namespace hone::nas
