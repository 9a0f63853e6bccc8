#include "compress/prune/graph_probe_torch.h"

#include "compress/graph/eval_graph_torch.h"

namespace hone::compress {

namespace {

// The graph BuildLayerGraph read, so that its values' names are found here.
std::shared_ptr<torch::jit::Graph> ProbeGraph(const torch::jit::Module& module) {
  torch::jit::Module handle = module;  // the same module; EvalGraph reads its attributes
  return EvalGraph(handle);
}

}  // namespace

GraphProbe::GraphProbe(const torch::jit::Module& module) : graph_(ProbeGraph(module)) {
  for (torch::jit::Node* n : graph_->nodes()) {
    for (torch::jit::Value* v : n->outputs()) by_name_["%" + v->debugName()] = v;
  }
}

torch::jit::Value* GraphProbe::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end() || it->second->node()->owningBlock() != graph_->block()) return nullptr;
  return it->second;
}

namespace {

// Whether the graph has an in-place ATen op (relu_, add_, ...), which may change a probed
// tensor after it is defined.
bool HasInPlaceOps(const torch::jit::Graph& graph) {
  for (const torch::jit::Node* n : graph.nodes()) {
    const c10::Symbol k = n->kind();
    const std::string name = k.is_aten() ? k.toUnqualString() : "";
    if (!name.empty() && name.back() == '_') return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<torch::jit::GraphFunction> GraphProbe::Returning(const std::vector<torch::jit::Value*>& values,
                                                                 const std::string& function_name) {
  // With in-place ops in the graph, each value is copied where it is defined, so the
  // caller sees it as it was then and not as a later relu_ or add_ left it.
  std::vector<torch::jit::Value*> returned = values;
  if (HasInPlaceOps(*graph_)) {
    for (torch::jit::Value*& v : returned) {
      torch::jit::Node* at = v->node()->kind() == c10::prim::Param ? *graph_->nodes().begin() : v->node()->next();
      torch::jit::WithInsertPoint guard(at);
      v = graph_->insert(c10::aten::clone, {v});
    }
  }
  {
    torch::jit::WithInsertPoint guard(graph_->return_node());
    torch::jit::Node* tuple = graph_->insertNode(graph_->createTuple(returned));
    graph_->eraseOutput(0);
    graph_->registerOutput(tuple->output());
  }
  return std::make_unique<torch::jit::GraphFunction>(function_name, graph_, nullptr);
}

}  // namespace hone::compress
