#include "nas/oneshot/supernet_torch.h"

#include <map>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/script_layers_torch.h"
#include "nas/model/arch_model.h"
#include "nas/model/nas_ops_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

std::string EdgeName(const CellEdge& e) { return "e" + std::to_string(e.to) + "_" + std::to_string(e.from); }

// One edge: sum over the operations of w[k] * op_k(x), skipping zero weights.
Module MixedEdge(const std::string& path, const std::vector<Operation>& ops, int64_t channels) {
  Module m = ops::NewModule("MixedEdge", path);
  std::string code = "def forward(self, x, w):\n    out = torch.zeros_like(x)\n";
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k] == Operation::kNone) continue;
    std::string term = "x";
    if (ops[k] != Operation::kSkip) {
      std::string name = OperationName(ops[k]);
      m.register_module(name, ops::EdgeOp(path + "." + name, ops[k], channels, 1));
      term = "self." + name + "(x)";
    }
    std::string idx = std::to_string(k);
    code += "    if bool(w[" + idx + "] != 0.0):\n        out = out + w[" + idx + "] * " + term + "\n";
  }
  layers::Define(m, code + "    return out\n");
  return m;
}

Module SuperCell(const std::string& path, const Supernet& net, int nodes, int64_t channels) {
  Module cell = ops::NewModule("Nb201SuperCell", path);
  std::string code = "def forward(self, x, w):\n    n0 = x\n";
  std::map<int, std::string> sums;
  for (size_t e = 0; e < net.edges.size(); ++e) {
    const CellEdge& edge = net.edges[e];
    cell.register_module(EdgeName(edge), MixedEdge(path + "." + EdgeName(edge), net.operations, channels));
    std::string term = "self." + EdgeName(edge) + "(n" + std::to_string(edge.from) + ", w[" + std::to_string(e) + "])";
    sums[edge.to] += (sums[edge.to].empty() ? "" : " + ") + term;
  }
  for (const auto& [node, sum] : sums) code += "    n" + std::to_string(node) + " = " + sum + "\n";
  layers::Define(cell, code + "    return n" + std::to_string(nodes - 1) + "\n");
  return cell;
}

Module SuperNetwork(const ModelSpace& space, const Supernet& net) {
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

int64_t OpIndex(const Supernet& net, Operation op) {
  for (size_t k = 0; k < net.operations.size(); ++k) {
    if (net.operations[k] == op) return static_cast<int64_t>(k);
  }
  return -1;
}

// The supernet's name of a stand-alone parameter or buffer: "cell3.e2_1.conv.weight"
// becomes "cell3.e2_1.conv_3x3.conv.weight" for the edge's operation.
std::string SupernetName(const std::string& name, const std::map<std::string, Operation>& edge_ops) {
  size_t first = name.find('.');
  if (first == std::string::npos || name.rfind("cell", 0) != 0) return name;
  size_t second = name.find('.', first + 1);
  if (second == std::string::npos) return name;
  auto it = edge_ops.find(name.substr(first + 1, second - first - 1));
  if (it == edge_ops.end()) return name;
  return name.substr(0, second) + "." + OperationName(it->second) + name.substr(second);
}

}  // namespace

StatusOr<Supernet> BuildSupernet(const ModelSpace& space, uint64_t seed) {
  if (space.kind != SpaceKind::kCell || space.cell.style != CellStyle::kNb201) {
    return InvalidArgument("space '" + space.name + "': one-shot search supports nb201-style cell spaces so far");
  }
  Supernet net;
  net.operations = space.cell.operations;
  for (int to = 1; to < space.cell.nodes; ++to) {
    for (int from = 0; from < to; ++from) net.edges.push_back({to, from, Operation::kNone});
  }
  try {
    torch::manual_seed(seed);
    net.module = SuperNetwork(space, net);
  } catch (const std::exception& e) {
    return Internal("building the supernet of '" + space.name + "' failed: " + compress::TorchErrorMessage(e));
  }
  return net;
}

at::Tensor PathWeights(const Supernet& net, const Architecture& arch) {
  at::Tensor w = torch::zeros({static_cast<int64_t>(net.edges.size()), static_cast<int64_t>(net.operations.size())});
  for (size_t e = 0; e < net.edges.size() && e < arch.normal.edges.size(); ++e) {
    int64_t k = OpIndex(net, arch.normal.edges[e].op);
    if (k >= 0) w[static_cast<int64_t>(e)][k] = 1.0;
  }
  return w;
}

Architecture ArchitectureFromWeights(const Supernet& net, const at::Tensor& weights, bool skip_none) {
  at::Tensor w = weights.detach().to(torch::kFloat).clone();
  int64_t none = OpIndex(net, Operation::kNone);
  if (skip_none && none >= 0 && net.operations.size() > 1) w.select(1, none).fill_(-std::numeric_limits<float>::infinity());
  at::Tensor best = w.argmax(1);
  Architecture arch;
  for (size_t e = 0; e < net.edges.size(); ++e) {
    CellEdge edge = net.edges[e];
    edge.op = net.operations[static_cast<size_t>(best[static_cast<int64_t>(e)].item<int64_t>())];
    arch.normal.edges.push_back(edge);
  }
  return arch;
}

StatusOr<compress::ScriptModel> ExtractArchitecture(const Supernet& net, const ModelSpace& space,
                                                    const Architecture& arch) {
  auto model = BuildArchitectureModel(space, arch, 0);
  if (!model.ok()) return model.status();
  std::map<std::string, Operation> edge_ops;
  for (const CellEdge& e : arch.normal.edges) edge_ops[EdgeName(e)] = e.op;
  std::map<std::string, at::Tensor> source;
  for (const auto& p : net.module.named_parameters()) source[p.name] = p.value;
  for (const auto& b : net.module.named_buffers()) source[b.name] = b.value;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, const at::Tensor& target) -> Status {
    auto it = source.find(SupernetName(name, edge_ops));
    if (it == source.end() || !it->second.sizes().equals(target.sizes())) {
      return Internal("extract architecture: no supernet tensor for " + name);
    }
    target.copy_(it->second);
    return Status::Ok();
  };
  torch::jit::Module& m = compress::ModuleOf(*model);
  for (const auto& p : m.named_parameters()) HONE_RETURN_IF_ERROR(copy(p.name, p.value));
  for (const auto& b : m.named_buffers()) HONE_RETURN_IF_ERROR(copy(b.name, b.value));
  return model;
}

int SkipCount(const Architecture& arch) {
  int n = 0;
  for (const CellEdge& e : arch.normal.edges) n += e.op == Operation::kSkip ? 1 : 0;
  return n;
}

}  // namespace hone::nas
