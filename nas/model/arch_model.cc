#include "nas/model/arch_model.h"

#include <map>
#include <mutex>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/script_layers_torch.h"
#include "nas/model/cell_networks_torch.h"
#include "nas/model/nas_ops_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

std::string EdgeName(const CellEdge& e) { return "e" + std::to_string(e.to) + "_" + std::to_string(e.from); }

// The forward lines computing nodes `first`.. of a cell from `edges`: n<k> = sum of its
// edges' operations on earlier nodes; `none` edges are left out unless all are.
std::string NodeSums(Module& cell, const std::string& path, const CellGenotype& g, int first,
                     const std::map<int, int64_t>& stride_of_from, int64_t channels) {
  std::map<int, std::vector<const CellEdge*>> by_node;
  for (const CellEdge& e : g.edges) by_node[e.to].push_back(&e);
  std::string code;
  for (const auto& [node, edges] : by_node) {
    if (node < first) continue;
    std::string sum;
    for (const CellEdge* e : edges) {
      if (e->op == Operation::kNone && !(sum.empty() && e == edges.back())) continue;
      auto it = stride_of_from.find(e->from);
      int64_t stride = it == stride_of_from.end() ? 1 : it->second;
      std::string term = "n" + std::to_string(e->from);
      if (e->op != Operation::kSkip || stride != 1) {
        cell.register_module(EdgeName(*e), ops::EdgeOp(path + "." + EdgeName(*e), e->op, channels, stride));
        term = "self." + EdgeName(*e) + "(" + term + ")";
      }
      sum += (sum.empty() ? "" : " + ") + term;
    }
    code += "    n" + std::to_string(node) + " = " + sum + "\n";
  }
  return code;
}

Module Nb201Cell(const std::string& path, const CellGenotype& g, int nodes, int64_t channels) {
  Module cell = ops::NewModule("Nb201Cell", path);
  std::string code = "def forward(self, x):\n    n0 = x\n" + NodeSums(cell, path, g, 1, {}, channels);
  layers::Define(cell, code + "    return n" + std::to_string(nodes - 1) + "\n");
  return cell;
}

Module DartsCell(const std::string& path, const CellGenotype& g, int nodes, const DartsCellShape& s) {
  Module cell = ops::NewModule(s.reduction ? "DartsReductionCell" : "DartsCell", path);
  cell.register_module("pre0", s.reduction_prev ? ops::FactorizedReduce(path + ".pre0", s.prev_prev, s.channels)
                                                : ops::ReluConvBn(path + ".pre0", s.prev_prev, s.channels, 1, 1));
  cell.register_module("pre1", ops::ReluConvBn(path + ".pre1", s.prev, s.channels, 1, 1));
  std::map<int, int64_t> strides;
  if (s.reduction) strides = {{0, 2}, {1, 2}};
  std::string code = "def forward(self, s0, s1):\n    n0 = self.pre0(s0)\n    n1 = self.pre1(s1)\n" +
                     NodeSums(cell, path, g, 2, strides, s.channels);
  std::string outs;
  for (int k = 2; k < nodes + 2; ++k) outs += (outs.empty() ? "" : ", ") + ("n" + std::to_string(k));
  layers::Define(cell, code + "    return torch.cat([" + outs + "], 1)\n");
  return cell;
}

Module Nb201Network(const ModelSpace& space, const Architecture& arch) {
  return Nb201Body("Nb201Network", space, "", [&](const std::string& name, int64_t channels) {
    return Nb201Cell(name, arch.normal, space.cell.nodes, channels);
  });
}

Module DartsNetwork(const ModelSpace& space, const Architecture& arch) {
  return DartsBody("DartsNetwork", space, "", [&](const std::string& name, int, const DartsCellShape& shape) {
    return DartsCell(name, shape.reduction ? arch.reduce : arch.normal, space.cell.nodes, shape);
  });
}

Module ChainNetwork(const ModelSpace& space, const Architecture& arch) {
  Module m = ops::NewModule("ChainNetwork", "");
  std::string code = "def forward(self, x):\n" + AddStem(m, space, true);
  int64_t in = space.stem_channels;
  for (size_t s = 0; s < arch.stages.size(); ++s) {
    for (size_t b = 0; b < arch.stages[s].size(); ++b) {
      const ChainBlock& block = arch.stages[s][b];
      std::string name = "s" + std::to_string(s) + "b" + std::to_string(b);
      m.register_module(name, ops::InvertedResidual(name, in, block.width, block.kernel, block.expansion, block.stride));
      code += "    x = self." + name + "(x)\n";
      in = block.width;
    }
  }
  if (space.chain.head_channels > 0) {
    m.register_module("head", ops::Conv("head", in, space.chain.head_channels, 1, 1, 1, 1));
    m.register_module("head_bn", layers::BatchNorm2d("head_bn", space.chain.head_channels));
    code += "    x = torch.hardtanh(self.head_bn(self.head(x)), 0.0, 6.0)\n";
    in = space.chain.head_channels;
  }
  layers::Define(m, code + AddClassifier(m, space, in));
  return m;
}

Status CheckFits(const ModelSpace& space, const Architecture& arch) {
  auto config = ConfigOf(space, arch);
  auto again = ArchitectureOf(space, config);
  if (!again.ok()) return again.status();
  if (DescribeArchitecture(space, *again) != DescribeArchitecture(space, arch)) {
    return InvalidArgument("the architecture does not fit space '" + space.name + "'");
  }
  int reductions = 0;
  if (space.kind == SpaceKind::kCell) reductions = static_cast<int>(space.cell.stages.size()) - 1;
  for (const ChainStage& stage : space.chain.stages) reductions += stage.stride == 2 ? 1 : 0;
  if ((space.input.height >> reductions) < 1 || (space.input.width >> reductions) < 1) {
    return InvalidArgument("space '" + space.name + "': an input of " + std::to_string(space.input.height) + "x" +
                           std::to_string(space.input.width) + " is too small for " + std::to_string(reductions) +
                           " reductions");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<compress::ScriptModel> BuildArchitectureModel(const ModelSpace& space, const Architecture& arch,
                                                       uint64_t seed) {
  HONE_RETURN_IF_ERROR(CheckFits(space, arch));
  try {
    torch::manual_seed(seed);
    if (space.kind == SpaceKind::kChain) return compress::WrapModule(ChainNetwork(space, arch));
    if (space.cell.style == CellStyle::kNb201) return compress::WrapModule(Nb201Network(space, arch));
    return compress::WrapModule(DartsNetwork(space, arch));
  } catch (const std::exception& e) {
    return Internal("building the network of space '" + space.name + "' failed: " + compress::TorchErrorMessage(e));
  }
}

StatusOr<compress::ScriptModel> BuildArchitectureShell(const ModelSpace& space, const Architecture& arch) {
  at::Generator global = at::detail::getDefaultCPUGenerator();
  at::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(global.mutex());
    saved = global.get_state();
  }
  auto model = BuildArchitectureModel(space, arch, 0);
  std::lock_guard<std::mutex> lock(global.mutex());
  global.set_state(saved);
  return model;
}

}  // namespace hone::nas
