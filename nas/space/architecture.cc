#include "nas/space/architecture.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace hone::nas {
namespace {

using nlohmann::json;

struct Decision {
  std::string name;
  std::vector<json> options;
};

std::vector<json> OperationOptions(const CellSpace& cell) {
  std::vector<json> out;
  for (Operation op : cell.operations) out.emplace_back(OperationName(op));
  return out;
}

std::string PairName(int a, int b) { return std::to_string(a) + "+" + std::to_string(b); }

void CellDecisions(const ModelSpace& space, std::vector<Decision>& out) {
  const CellSpace& cell = space.cell;
  std::vector<json> ops = OperationOptions(cell);
  if (cell.style == CellStyle::kNb201) {
    for (int to = 1; to < cell.nodes; ++to) {
      for (int from = 0; from < to; ++from) out.push_back({"edge_" + std::to_string(to) + "_" + std::to_string(from), ops});
    }
    return;
  }
  std::vector<std::string> kinds = {"normal"};
  if (cell.stages.size() > 1) kinds.push_back("reduce");
  for (const std::string& kind : kinds) {
    for (int k = 2; k < cell.nodes + 2; ++k) {
      std::vector<json> pairs;
      for (int a = 0; a < k; ++a) {
        for (int b = a + 1; b < k; ++b) pairs.emplace_back(PairName(a, b));
      }
      std::string node = kind + ".node" + std::to_string(k);
      out.push_back({node + ".inputs", pairs});
      out.push_back({node + ".op0", ops});
      out.push_back({node + ".op1", ops});
    }
  }
}

template <typename T>
std::vector<json> ToOptions(const std::vector<T>& values) {
  return std::vector<json>(values.begin(), values.end());
}

void ChainDecisions(const ModelSpace& space, std::vector<Decision>& out) {
  for (size_t i = 0; i < space.chain.stages.size(); ++i) {
    const ChainStage& stage = space.chain.stages[i];
    std::string s = "stage" + std::to_string(i);
    out.push_back({s + ".depth", ToOptions(stage.depths)});
    out.push_back({s + ".width", ToOptions(stage.widths)});
    for (int j = 0; j < stage.MaxDepth(); ++j) {
      std::string b = s + ".block" + std::to_string(j);
      out.push_back({b + ".kernel", ToOptions(stage.kernels)});
      out.push_back({b + ".expansion", ToOptions(stage.expansions)});
    }
  }
}

std::vector<Decision> AllDecisions(const ModelSpace& space) {
  std::vector<Decision> out;
  if (space.kind == SpaceKind::kCell) {
    CellDecisions(space, out);
  } else {
    ChainDecisions(space, out);
  }
  return out;
}

// The chosen value of each decision, checked.
StatusOr<std::map<std::string, json>> Choices(const ModelSpace& space, const json& config) {
  if (!config.is_object()) return InvalidArgument("an architecture is a JSON object of decisions, but got " + config.dump());
  std::map<std::string, json> out;
  for (const Decision& d : AllDecisions(space)) {
    auto it = config.find(d.name);
    if (it == config.end()) {
      if (d.options.size() != 1) return InvalidArgument("architecture: decision '" + d.name + "' is missing");
      out[d.name] = d.options.front();
      continue;
    }
    if (std::find(d.options.begin(), d.options.end(), *it) == d.options.end()) {
      return InvalidArgument("architecture: " + d.name + " = " + it->dump() + " is not one of " + json(d.options).dump());
    }
    out[d.name] = *it;
  }
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (!out.count(it.key())) return InvalidArgument("architecture: '" + it.key() + "' is not a decision of space '" + space.name + "'");
  }
  return out;
}

Operation OpAt(const std::map<std::string, json>& c, const std::string& name) {
  return ParseOperation(c.at(name).get<std::string>()).value_or(Operation::kNone);
}

CellGenotype DartsCell(const ModelSpace& space, const std::map<std::string, json>& c, const std::string& kind) {
  CellGenotype cell;
  for (int k = 2; k < space.cell.nodes + 2; ++k) {
    std::string node = kind + ".node" + std::to_string(k);
    std::string pair = c.at(node + ".inputs").get<std::string>();
    size_t plus = pair.find('+');
    int a = std::stoi(pair.substr(0, plus));
    int b = std::stoi(pair.substr(plus + 1));
    cell.edges.push_back({k, a, OpAt(c, node + ".op0")});
    cell.edges.push_back({k, b, OpAt(c, node + ".op1")});
  }
  return cell;
}

}  // namespace

SearchSpace ToSearchSpace(const ModelSpace& space) {
  json out = json::object();
  for (const Decision& d : AllDecisions(space)) {
    if (d.options.size() > 1) out[d.name] = {{"_type", "choice"}, {"_value", d.options}};
  }
  auto s = SearchSpace::FromJson(out);
  return s.ok() ? *s : SearchSpace();
}

StatusOr<Architecture> ArchitectureOf(const ModelSpace& space, const json& config) {
  auto choices = Choices(space, config);
  if (!choices.ok()) return choices.status();
  const auto& c = *choices;
  Architecture arch;
  if (space.kind == SpaceKind::kCell && space.cell.style == CellStyle::kNb201) {
    for (int to = 1; to < space.cell.nodes; ++to) {
      for (int from = 0; from < to; ++from) {
        arch.normal.edges.push_back({to, from, OpAt(c, "edge_" + std::to_string(to) + "_" + std::to_string(from))});
      }
    }
  } else if (space.kind == SpaceKind::kCell) {
    arch.normal = DartsCell(space, c, "normal");
    if (space.cell.stages.size() > 1) arch.reduce = DartsCell(space, c, "reduce");
  } else {
    for (size_t i = 0; i < space.chain.stages.size(); ++i) {
      std::string s = "stage" + std::to_string(i);
      int depth = c.at(s + ".depth").get<int>();
      int64_t width = c.at(s + ".width").get<int64_t>();
      std::vector<ChainBlock> blocks;
      for (int j = 0; j < depth; ++j) {
        std::string b = s + ".block" + std::to_string(j);
        int stride = j == 0 ? space.chain.stages[i].stride : 1;
        blocks.push_back({width, c.at(b + ".kernel").get<int>(), c.at(b + ".expansion").get<int>(), stride});
      }
      arch.stages.push_back(blocks);
    }
  }
  return arch;
}

json ConfigOf(const ModelSpace& space, const Architecture& arch) {
  std::map<std::string, json> c;
  auto put_cell = [&](const CellGenotype& cell, const std::string& kind) {
    for (size_t e = 0; e + 1 < cell.edges.size(); e += 2) {
      const CellEdge& x = cell.edges[e];
      const CellEdge& y = cell.edges[e + 1];
      std::string node = kind + ".node" + std::to_string(x.to);
      bool swap = y.from < x.from;
      c[node + ".inputs"] = swap ? PairName(y.from, x.from) : PairName(x.from, y.from);
      c[node + ".op0"] = OperationName(swap ? y.op : x.op);
      c[node + ".op1"] = OperationName(swap ? x.op : y.op);
    }
  };
  if (space.kind == SpaceKind::kCell && space.cell.style == CellStyle::kNb201) {
    for (const CellEdge& e : arch.normal.edges) c["edge_" + std::to_string(e.to) + "_" + std::to_string(e.from)] = OperationName(e.op);
  } else if (space.kind == SpaceKind::kCell) {
    put_cell(arch.normal, "normal");
    put_cell(arch.reduce, "reduce");
  } else {
    for (size_t i = 0; i < arch.stages.size() && i < space.chain.stages.size(); ++i) {
      std::string s = "stage" + std::to_string(i);
      const auto& blocks = arch.stages[i];
      c[s + ".depth"] = static_cast<int>(blocks.size());
      if (!blocks.empty()) c[s + ".width"] = blocks.front().width;
      for (size_t j = 0; j < blocks.size(); ++j) {
        c[s + ".block" + std::to_string(j) + ".kernel"] = blocks[j].kernel;
        c[s + ".block" + std::to_string(j) + ".expansion"] = blocks[j].expansion;
      }
    }
  }
  json out = json::object();
  for (const Decision& d : AllDecisions(space)) {
    if (d.options.size() < 2) continue;
    auto it = c.find(d.name);
    out[d.name] = it != c.end() ? it->second : d.options.front();  // unused blocks: the first candidate
  }
  return out;
}

std::string DescribeArchitecture(const ModelSpace& space, const Architecture& arch) {
  std::ostringstream out;
  auto cell_lines = [&](const CellGenotype& cell, const std::string& title) {
    std::map<int, std::vector<const CellEdge*>> by_node;
    for (const CellEdge& e : cell.edges) by_node[e.to].push_back(&e);
    out << title << " cell:\n";
    for (const auto& [node, edges] : by_node) {
      out << "  node " << node << " <-";
      for (size_t i = 0; i < edges.size(); ++i) {
        out << (i ? " +" : "") << " " << OperationName(edges[i]->op) << "(" << edges[i]->from << ")";
      }
      out << "\n";
    }
  };
  if (space.kind == SpaceKind::kCell) {
    cell_lines(arch.normal, space.cell.style == CellStyle::kDarts ? "normal" : "the");
    if (!arch.reduce.edges.empty()) cell_lines(arch.reduce, "reduction");
    return out.str();
  }
  for (size_t i = 0; i < arch.stages.size(); ++i) {
    const auto& blocks = arch.stages[i];
    out << "stage " << i << ": " << blocks.size() << (blocks.size() == 1 ? " block" : " blocks");
    if (!blocks.empty()) out << ", width " << blocks.front().width << ", stride " << blocks.front().stride << ":";
    for (const ChainBlock& b : blocks) out << " k" << b.kernel << "e" << b.expansion;
    out << "\n";
  }
  return out.str();
}

bool IsAllSkip(const CellGenotype& cell) {
  return std::all_of(cell.edges.begin(), cell.edges.end(),
                     [](const CellEdge& e) { return e.op == Operation::kSkip || e.op == Operation::kNone; });
}

}  // namespace hone::nas
