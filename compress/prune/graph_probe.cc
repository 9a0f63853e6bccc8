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

std::unique_ptr<torch::jit::GraphFunction> GraphProbe::Returning(const std::vector<torch::jit::Value*>& values,
                                                                 const std::string& function_name) {
  {
    torch::jit::WithInsertPoint guard(graph_->return_node());
    torch::jit::Node* tuple = graph_->insertNode(graph_->createTuple(values));
    graph_->eraseOutput(0);
    graph_->registerOutput(tuple->output());
  }
  return std::make_unique<torch::jit::GraphFunction>(function_name, graph_, nullptr);
}

}  // namespace hone::compress
