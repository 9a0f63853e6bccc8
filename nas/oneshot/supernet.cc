#include "nas/oneshot/supernet_torch.h"

#include <algorithm>
#include <limits>
#include <map>

#include "compress/model/script_model_torch.h"
#include "nas/model/arch_model.h"
#include "nas/oneshot/supernet_modules_torch.h"

namespace hone::nas {
namespace {

int64_t OpIndex(const Supernet& net, Operation op) {
  for (size_t k = 0; k < net.operations.size(); ++k) {
    if (net.operations[k] == op) return static_cast<int64_t>(k);
  }
  return -1;
}

// The darts rows of one cell: node k (k >= 2) from every earlier node.
void AppendDartsRows(int nodes, std::vector<CellEdge>& rows) {
  for (int to = 2; to < nodes + 2; ++to) {
    for (int from = 0; from < to; ++from) rows.push_back({to, from, Operation::kNone});
  }
}

int64_t DartsRow(const Supernet& net, bool reduce, const CellEdge& e) {
  size_t first = reduce ? net.normal_edges : 0, end = reduce ? net.edges.size() : net.normal_edges;
  for (size_t r = first; r < end; ++r) {
    if (net.edges[r].to == e.to && net.edges[r].from == e.from) return static_cast<int64_t>(r);
  }
  return -1;
}

// DARTS's rule over the rows [first, end): per node the two edges of largest strongest
// weight (ties: the earlier edge), listed by `from`, each with its strongest operation.
CellGenotype DartsCellFromWeights(const Supernet& net, const at::Tensor& w, size_t first, size_t end) {
  auto [max, best] = w.max(1);
  at::Tensor m = max.contiguous();
  std::vector<float> values(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
  std::map<int, std::vector<size_t>> by_node;
  for (size_t r = first; r < end; ++r) by_node[net.edges[r].to].push_back(r);
  CellGenotype cell;
  for (auto& [node, rows] : by_node) {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
    if (rows.size() > 2) rows.resize(2);
    std::sort(rows.begin(), rows.end());
    for (size_t r : rows) {
      CellEdge edge = net.edges[r];
      edge.op = net.operations[static_cast<size_t>(best[static_cast<int64_t>(r)].item<int64_t>())];
      cell.edges.push_back(edge);
    }
  }
  return cell;
}

// The supernet's name of a stand-alone parameter or buffer: "cell3.e2_1.conv.weight"
// becomes "cell3.e2_1.conv_3x3.conv.weight" for the operation of cell 3's edge 2_1.
std::string SupernetName(const std::string& name, const std::map<std::string, Operation>& edge_ops) {
  size_t first = name.find('.');
  if (first == std::string::npos || name.rfind("cell", 0) != 0) return name;
  size_t second = name.find('.', first + 1);
  if (second == std::string::npos) return name;
  auto it = edge_ops.find(name.substr(0, second));
  if (it == edge_ops.end()) return name;
  return name.substr(0, second) + "." + OperationName(it->second) + name.substr(second);
}

}  // namespace

StatusOr<Supernet> BuildSupernet(const ModelSpace& space, uint64_t seed) {
  if (space.kind != SpaceKind::kCell) {
    return InvalidArgument("space '" + space.name + "': the supernet supports nb201-style cell spaces and " +
                           "darts-style ones, but this is a " + SpaceKindName(space.kind) + " space");
  }
  Supernet net;
  net.style = space.cell.style;
  net.operations = space.cell.operations;
  if (net.style == CellStyle::kNb201) {
    for (int to = 1; to < space.cell.nodes; ++to) {
      for (int from = 0; from < to; ++from) net.edges.push_back({to, from, Operation::kNone});
    }
    net.normal_edges = net.edges.size();
    for (const CellStage& stage : space.cell.stages) net.reduction_cells.insert(net.reduction_cells.end(), stage.cells, false);
  } else {
    AppendDartsRows(space.cell.nodes, net.edges);
    net.normal_edges = net.edges.size();
    if (space.cell.stages.size() > 1) AppendDartsRows(space.cell.nodes, net.edges);
  }
  try {
    torch::manual_seed(seed);
    net.module = net.style == CellStyle::kNb201 ? Nb201SuperNetwork(space, net) : DartsSuperNetwork(space, net);
  } catch (const std::exception& e) {
    return Internal("building the supernet of '" + space.name + "' failed: " + compress::TorchErrorMessage(e));
  }
  return net;
}

at::Tensor PathWeights(const Supernet& net, const Architecture& arch) {
  at::Tensor w = torch::zeros({static_cast<int64_t>(net.edges.size()), static_cast<int64_t>(net.operations.size())});
  if (net.style == CellStyle::kNb201) {
    for (size_t e = 0; e < net.edges.size() && e < arch.normal.edges.size(); ++e) {
      int64_t k = OpIndex(net, arch.normal.edges[e].op);
      if (k >= 0) w[static_cast<int64_t>(e)][k] = 1.0;
    }
    return w;
  }
  for (bool reduce : {false, true}) {
    for (const CellEdge& e : reduce ? arch.reduce.edges : arch.normal.edges) {
      int64_t r = DartsRow(net, reduce, e), k = OpIndex(net, e.op);
      if (r >= 0 && k >= 0) w[r][k] = 1.0;
    }
  }
  return w;
}

Architecture ArchitectureFromWeights(const Supernet& net, const at::Tensor& weights, bool skip_none) {
  at::Tensor w = weights.detach().to(torch::kFloat).clone();
  int64_t none = OpIndex(net, Operation::kNone);
  if (skip_none && none >= 0 && net.operations.size() > 1) w.select(1, none).fill_(-std::numeric_limits<float>::infinity());
  Architecture arch;
  if (net.style == CellStyle::kDarts) {
    arch.normal = DartsCellFromWeights(net, w, 0, net.normal_edges);
    if (net.edges.size() > net.normal_edges) arch.reduce = DartsCellFromWeights(net, w, net.normal_edges, net.edges.size());
    return arch;
  }
  at::Tensor best = w.argmax(1);
  for (size_t e = 0; e < net.edges.size(); ++e) {
    CellEdge edge = net.edges[e];
    edge.op = net.operations[static_cast<size_t>(best[static_cast<int64_t>(e)].item<int64_t>())];
    arch.normal.edges.push_back(edge);
  }
  return arch;
}

StatusOr<compress::ScriptModel> ExtractArchitecture(const Supernet& net, const ModelSpace& space,
                                                    const Architecture& arch) {
  auto model = BuildArchitectureShell(space, arch);
  if (!model.ok()) return model.status();
  std::map<std::string, Operation> edge_ops;  // "cell<i>.e<to>_<from>" -> operation
  for (size_t i = 0; i < net.reduction_cells.size(); ++i) {
    for (const CellEdge& e : net.reduction_cells[i] ? arch.reduce.edges : arch.normal.edges) {
      edge_ops["cell" + std::to_string(i) + "." + EdgeName(e)] = e.op;
    }
  }
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
