#include "compress/quant/simulated_quant.h"

#include <map>
#include <set>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/weight_quant.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

// Inserts x -> fake_quantize(x) right after `v` is defined; its readers read the result.
void InsertFakeQuant(Graph& graph, Value* v, const QuantParams& p) {
  Node* at = v->node()->kind() == c10::prim::Param ? *graph.nodes().begin() : v->node()->next();
  torch::jit::WithInsertPoint guard(at);
  Value* q = graph.insert(c10::aten::fake_quantize_per_tensor_affine,
                          {v, graph.insertConstant(static_cast<double>(p.scale)), graph.insertConstant(p.zero_point),
                           graph.insertConstant(p.qmin), graph.insertConstant(p.qmax)});
  v->replaceAllUsesAfterNodeWith(q->node(), q);
}

}  // namespace

StatusOr<ScriptModel> SimulateQuantization(const ScriptModel& model, const std::vector<ActivationPoint>& points,
                                           const QuantSpec& weights) {
  auto quantized = QuantizeWeightsRtn(model, weights);
  if (!quantized.ok()) return quantized.status();
  try {
    torch::jit::Module module = ModuleOf(quantized->model);  // a clone already
    std::shared_ptr<Graph> graph = EvalGraph(module);
    std::map<std::string, Value*> by_name;
    for (Value* in : graph->inputs()) by_name["%" + in->debugName()] = in;
    for (Node* n : graph->nodes()) {
      for (Value* out : n->outputs()) by_name["%" + out->debugName()] = out;
    }
    std::set<std::string> done;
    for (const ActivationPoint& p : points) {
      if (!done.insert(p.value).second) continue;
      auto it = by_name.find(p.value);
      if (it == by_name.end()) {
        return InvalidArgument("simulate quantization: no value " + p.value + " (of layer " + p.layer +
                               ") in the model's forward");
      }
      InsertFakeQuant(*graph, it->second, p.params);
    }
    InstallForwardGraph(module, *graph);
    return WrapModule(module);
  } catch (const std::exception& e) {
    return InvalidArgument("simulate quantization: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
