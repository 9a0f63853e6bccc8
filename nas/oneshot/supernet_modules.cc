#include "nas/oneshot/supernet_modules_torch.h"

#include <map>

#include "compress/zoo/script_layers_torch.h"
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
  Module m = ops::NewModule("Nb201Supernet", "");
  m.register_module("stem", ops::Conv("stem", space.input.channels, space.stem_channels, 3, 1, 1, 1));
  m.register_module("stem_bn", layers::BatchNorm2d("stem_bn", space.stem_channels));
  std::string code = "def forward(self, x, w):\n    x = self.stem_bn(self.stem(x))\n";
  int64_t in = space.stem_channels;
  int index = 0;
  for (size_t s = 0; s < space.cell.stages.size(); ++s) {
    const CellStage& stage = space.cell.stages[s];
    if (s > 0) {
      std::string name = "reduce" + std::to_string(s);
      m.register_module(name, ops::ReductionBlock(name, in, stage.channels));
      code += "    x = self." + name + "(x)\n";
    } else if (in != stage.channels) {
      m.register_module("widen", ops::ReluConvBn("widen", in, stage.channels, 1, 1));
      code += "    x = self.widen(x)\n";
    }
    in = stage.channels;
    for (int c = 0; c < stage.cells; ++c, ++index) {
      std::string name = "cell" + std::to_string(index);
      m.register_module(name, SuperCell(name, net, space.cell.nodes, in));
      code += "    x = self." + name + "(x, w)\n";
    }
  }
  m.register_module("last_bn", layers::BatchNorm2d("last_bn", in));
  m.register_module("classifier", layers::Linear("classifier", in, space.classes));
  code += "    x = torch.relu(self.last_bn(x))\n"
          "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n    return self.classifier(x)\n";
  layers::Define(m, code);
  return m;
}

}  // namespace hone::nas
