#include "compress/prune/layer_inputs_torch.h"

#include "compress/prune/graph_probe_torch.h"

namespace hone::compress {

std::vector<at::Tensor> InputColumns(const LayerNode& n, const at::Tensor& x) {
  if (n.kind == OpKind::kLinear) return {x.reshape({-1, x.size(-1)}).t()};
  namespace F = torch::nn::functional;
  at::Tensor u = F::unfold(x, F::UnfoldFuncOptions(n.kernel).dilation(n.dilation).padding(n.padding).stride(n.stride));
  const int64_t per_group = u.size(1) / n.groups;  // (in_channels / groups) x kernel area
  std::vector<at::Tensor> out;
  for (int64_t g = 0; g < n.groups; ++g) {
    out.push_back(u.slice(1, g * per_group, (g + 1) * per_group).transpose(0, 1).reshape({per_group, -1}));
  }
  return out;
}

StatusOr<std::unique_ptr<torch::jit::GraphFunction>> LayerInputsProbe(const torch::jit::Module& module,
                                                                      const LayerGraph& graph,
                                                                      const std::vector<int>& nodes,
                                                                      const std::string& who) {
  GraphProbe probe(module);
  std::vector<torch::jit::Value*> inputs;
  for (int node : nodes) {
    const LayerNode& layer = graph.nodes[static_cast<size_t>(node)];
    torch::jit::Value* v = probe.Find(layer.value);
    if (v == nullptr || v->node()->inputs().empty()) {
      return InvalidArgument(who + " cannot observe the input of layer " + layer.name + " (" + layer.value + ")");
    }
    inputs.push_back(v->node()->input(0));
  }
  return probe.Returning(inputs, "hone_layer_inputs");
}

at::Tensor ProbedLayerInput(torch::jit::GraphFunction& fn, torch::jit::Module& module, const at::Tensor& images,
                            size_t index) {
  c10::IValue result = fn({module._ivalue(), images});
  return result.toTupleRef().elements()[index].toTensor().to(torch::kFloat);
}

}  // namespace hone::compress
