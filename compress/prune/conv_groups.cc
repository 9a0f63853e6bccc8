#include "compress/prune/conv_groups_torch.h"

#include <torch/csrc/jit/passes/inliner.h>

#include <functional>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Block;
using torch::jit::Node;
using torch::jit::Value;

// The position of the groups argument of a convolution op, or -1.
int GroupsInput(const Node* n) {
  if (n->kind() == c10::aten::conv2d) return 6;
  if (n->kind() == c10::aten::_convolution) return 8;
  return -1;
}

// Sets the groups of every convolution in `block` (and its sub-blocks) that `pick` accepts.
int Rewrite(torch::jit::Graph& graph, Block* block, const std::function<bool(Node*)>& pick, int64_t groups) {
  int changed = 0;
  for (Node* n : block->nodes()) {
    for (Block* sub : n->blocks()) changed += Rewrite(graph, sub, pick, groups);
    const int at = GroupsInput(n);
    if (at < 0 || static_cast<int>(n->inputs().size()) <= at || !pick(n)) continue;
    torch::jit::WithInsertPoint guard(n);
    n->replaceInput(static_cast<size_t>(at), graph.insertConstant(groups));
    ++changed;
  }
  return changed;
}


}  // namespace

Status SetConvGroups(torch::jit::Module& root, const std::vector<std::pair<std::string, int64_t>>& groups) {
  try {
    std::vector<std::pair<std::string, int64_t>> shared;
    for (const auto& [layer, count] : groups) {
      auto sub = FindSubmodule(root, layer);
      if (!sub) return InvalidArgument("speedup: no layer '" + layer + "' to set the groups of");
      int instances = 0;
      for (const torch::jit::Module& m : root.modules()) instances += m.type() == sub->type();
      if (instances != 1) {
        shared.emplace_back(layer, count);
        continue;
      }
      auto graph = sub->get_method("forward").graph();
      torch::jit::Inline(*graph);
      if (Rewrite(*graph, graph->block(), [](Node*) { return true; }, count) == 0) shared.emplace_back(layer, count);
    }
    if (shared.empty()) return Status::Ok();
    // Inlined after the per-layer rewrites above, so that the copies carry them.
    auto graph = root.get_method("forward").graph();
    torch::jit::Inline(*graph);
    const Value* self = graph->inputs()[0];
    for (const auto& [layer, count] : shared) {
      const std::string weight = layer + ".weight";
      auto pick = [&](Node* n) { return AttrPath(n->input(1), self) == weight; };
      if (Rewrite(*graph, graph->block(), pick, count) == 0) {
        return InvalidArgument("speedup: cannot find the convolution of '" + layer +
                               "' in the model's TorchScript code to set its groups to " + std::to_string(count));
      }
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return InvalidArgument("speedup: cannot set the groups of a convolution: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
