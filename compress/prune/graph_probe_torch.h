// A copy of a model's forward graph (inlined and specialized to eval mode as
// compress/graph/eval_graph_torch.h says, as BuildLayerGraph reads it) that returns chosen
// intermediate values instead of the model's output: how the data-driven pruners see
// activations and layer inputs without hooks (TorchScript modules have none in C++).
//
//   GraphProbe probe(module);
//   torch::jit::Value* v = probe.Find("%input.5");        // a LayerNode's value
//   auto fn = probe.Returning({v, v->node()->input(0)});  // the value and its node's input
//   auto outs = (*fn)({module._ivalue(), images}).toTupleRef().elements();
#pragma once

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hone::compress {

class GraphProbe {
 public:
  explicit GraphProbe(const torch::jit::Module& module);

  // The value of that name ("%input.5") defined in the graph's top block (not inside a
  // branch or loop), or nullptr.
  torch::jit::Value* Find(const std::string& name) const;

  // A function of (module, input) that returns `values` as a tuple. Consumes the probe's
  // graph: call once. The function runs on `module` and on modules of the same type.
  std::unique_ptr<torch::jit::GraphFunction> Returning(const std::vector<torch::jit::Value*>& values,
                                                       const std::string& function_name);

 private:
  std::shared_ptr<torch::jit::Graph> graph_;
  std::map<std::string, torch::jit::Value*> by_name_;
};

}  // namespace hone::compress
