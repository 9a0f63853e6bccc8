#include "compress/quant/dynamic_quant.h"

#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/int8_ops_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;

// x -> quantized::linear_dynamic(x, packed): the input quantized per batch from its range.
void EmitDynamicLinear(torch::jit::Module& module, Graph& graph, const LayerOp& op, const c10::IValue& packed) {
  torch::jit::WithInsertPoint guard(op.node);
  std::string attr = "_hone_dynamic_" + op.layer;
  for (char& c : attr) c = c == '.' ? '_' : c;
  torch::jit::Value* w = AddPackedAttr(module, graph, attr, packed);
  torch::jit::Value* y = graph.insert(c10::Symbol::fromQualString("quantized::linear_dynamic"),
                                      {op.node->input(0), w, graph.insertConstant(false)});
  op.node->output()->replaceAllUsesWith(y);
  op.node->destroy();
}

}  // namespace

StatusOr<Int8Result> QuantizeDynamic(const ScriptModel& model, const Int8Options& options) {
  HONE_RETURN_IF_ERROR(UseQuantEngine(options.engine));
  try {
    torch::jit::Module module = ModuleOf(model).clone();
    module.eval();
    std::shared_ptr<Graph> graph = EvalGraph(module);
    std::vector<Int8Layer> layers;
    std::vector<std::string> quantized;
    for (const LayerOp& op : FindLayerOps(module, *graph)) {
      Int8Layer line;
      line.layer = op.layer;
      line.op = op.op;
      if (options.exclude.count(op.layer)) {
        line.reason = "excluded by the config";
      } else if (op.op != "linear") {
        line.reason = "dynamic quantization covers linear layers only";
      } else {
        at::Tensor w = LayerWeight(module, op).detach().to(at::kFloat);
        auto grid = options.weight_grids.find(op.layer);
        at::Tensor w_q = QuantizeWeight(
            w, grid != options.weight_grids.end() ? grid->second : ChoosePerChannelParams(w, 0, WeightSpec(8)));
        const double norm = w.norm().item<double>();
        line.weight_relative_error = norm > 0 ? (w_q.dequantize() - w).norm().item<double>() / norm : 0.0;
        auto packed = PackWeights(op, w_q, LayerBias(module, op));
        if (packed.ok()) {
          EmitDynamicLinear(module, *graph, op, *packed);
          line.quantized = true;
          quantized.push_back(op.layer);
        } else {
          line.reason = packed.status().message();
        }
      }
      layers.push_back(std::move(line));
    }
    torch::jit::EliminateDeadCode(graph);  // the float weights' reads go with the linear ops
    InstallForwardGraph(module, *graph);
    DropFloatWeights(module, *graph, quantized);
    return Int8Result{WrapModule(module), std::move(layers)};
  } catch (const std::exception& e) {
    return InvalidArgument("dynamic quantization: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
