#include "compress/quant/int8_model.h"

#include <cmath>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/int8_ops_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

struct LayerPoints {
  const ActivationPoint* input = nullptr;
  const ActivationPoint* output = nullptr;
};

bool Observed(const ActivationPoint* p) { return p != nullptr && p->range.min <= p->range.max; }

// Why `op` stays float before its weights are looked at ("" when it can run in int8).
std::string WhyFloat(const LayerOp& op, const LayerPoints& pts, const Int8Options& options) {
  if (options.exclude.count(op.layer)) return "excluded by the config";
  if (!op.why_float.empty()) return op.why_float;
  if (!Observed(pts.input)) return "its input was not calibrated";
  if (!Observed(pts.output)) return "its output was not calibrated";
  return "";
}

// The value the output point names must be the layer's output, or the relu (relu6, hardtanh
// from 0: calibration checked the bound) reading it; the quantized op's saturation clamps above.
std::string CheckPoints(const LayerOp& op, Value* x, Value* y, const ActivationPoint& out) {
  if (op.node->input(0) != x) return "its calibrated input is not the value it reads";
  if (out.after_relu) {
    const c10::Symbol k = y->node()->kind();
    const bool clamp = k == c10::aten::relu || k == c10::aten::relu_ || k == c10::aten::relu6 ||
                       k == c10::aten::hardtanh || k == c10::aten::hardtanh_;
    if (!clamp || y->node()->input(0) != op.node->output() ||
        op.node->output()->uses().size() != 1) {
      return "its calibrated output is not its fused relu";
    }
  } else if (y != op.node->output()) {
    return "its calibrated output is not its output";
  }
  return "";
}

// Replaces the layer (and its fused relu) by quantize -> quantized op -> dequantize.
void EmitInt8Layer(torch::jit::Module& module, Graph& graph, const LayerOp& op, const c10::IValue& packed,
                   const ActivationPoint& in, const ActivationPoint& out, Value* x, Value* y) {
  torch::jit::WithInsertPoint guard(op.node);
  Value* qx = graph.insert(c10::aten::quantize_per_tensor,
                           {x, graph.insertConstant(static_cast<double>(in.params.scale)),
                            graph.insertConstant(in.params.zero_point),
                            graph.insertConstant(static_cast<int64_t>(c10::kQUInt8))});
  std::string attr = "_hone_int8_" + op.layer;
  for (char& c : attr) c = c == '.' ? '_' : c;
  Value* w = AddPackedAttr(module, graph, attr, packed);
  std::string name = op.op == "conv2d" ? "quantized::conv2d" : "quantized::linear";
  if (out.after_relu) name += "_relu";
  Value* qy = graph.insert(c10::Symbol::fromQualString(name),
                           {qx, w, graph.insertConstant(static_cast<double>(out.params.scale)),
                            graph.insertConstant(out.params.zero_point)});
  y->replaceAllUsesWith(graph.insert(c10::aten::dequantize, {qy}));
  if (y->node() != op.node) y->node()->destroy();
  op.node->destroy();
}

double RelativeError(const at::Tensor& w_q, const at::Tensor& w) {
  const double norm = w.norm().item<double>();
  return norm > 0 ? (w_q.dequantize() - w).norm().item<double>() / norm : 0.0;
}

// Quantizes the layer's weights and replaces it by its int8 op, or fills in why it stays float.
Status EmitLayer(torch::jit::Module& module, Graph& graph, const LayerOp& op, const ActivationPoint& in,
                 const ActivationPoint& out, Value* y, const Int8Options& options, Int8Layer& line) {
  line.input_scale = in.params.scale;
  line.input_zero_point = in.params.zero_point;
  line.output_scale = out.params.scale;
  line.output_zero_point = out.params.zero_point;
  at::Tensor w = LayerWeight(module, op).detach().to(at::kFloat);
  auto given = options.weight_grids.find(op.layer);
  const ChannelParams grid =
      given != options.weight_grids.end() ? given->second : ChoosePerChannelParams(w, 0, WeightSpec(8));
  if (grid.axis != 0 || grid.scales.size() != static_cast<size_t>(w.size(0))) {
    return InvalidArgument("int8 conversion: the weight grid of " + op.layer +
                           " must have one scale per output channel (axis 0)");
  }
  at::Tensor w_q = QuantizeWeight(w, grid);
  line.weight_relative_error = RelativeError(w_q, w);
  auto packed = PackWeights(op, w_q, LayerBias(module, op));
  if (!packed.ok()) {
    line.reason = packed.status().message();
    return Status::Ok();
  }
  // The layer's input now: an earlier layer's rewrite may have replaced the value it read.
  EmitInt8Layer(module, graph, op, *packed, in, out, op.node->input(0), y);
  line.quantized = true;
  return Status::Ok();
}

std::map<std::string, Value*> ValuesByName(Graph& graph) {
  std::map<std::string, Value*> by_name;
  for (Value* in : graph.inputs()) by_name["%" + in->debugName()] = in;
  for (Node* n : graph.nodes()) {
    for (Value* out : n->outputs()) by_name["%" + out->debugName()] = out;
  }
  return by_name;
}

}  // namespace

StatusOr<Int8Result> ConvertToInt8(const ScriptModel& folded, const std::vector<ActivationPoint>& points,
                                   const Int8Options& options) {
  HONE_RETURN_IF_ERROR(UseQuantEngine(options.engine));
  std::map<std::string, LayerPoints> by_layer;
  for (const ActivationPoint& p : points) {
    // quint8 tensors hold codes 0..255: a narrower grid would not saturate where it should.
    if (p.params.qmin != 0 || p.params.qmax != 255) {
      return InvalidArgument("int8 conversion: the " + std::string(p.is_input ? "input" : "output") + " of layer " +
                             p.layer + " has codes [" + std::to_string(p.params.qmin) + ", " +
                             std::to_string(p.params.qmax) + "]; real int8 layers need unsigned 8-bit activations [0, 255]");
    }
    (p.is_input ? by_layer[p.layer].input : by_layer[p.layer].output) = &p;
  }
  try {
    torch::jit::Module module = ModuleOf(folded).clone();
    module.eval();
    std::shared_ptr<Graph> graph = EvalGraph(module);
    std::map<std::string, Value*> by_name = ValuesByName(*graph);
    std::vector<LayerOp> ops = FindLayerOps(module, *graph);
    std::vector<Int8Layer> layers;
    for (const LayerOp& op : ops) {  // checked before any rewrite: the points name the folded graph's values
      Int8Layer line;
      line.layer = op.layer;
      line.op = op.op;
      const LayerPoints& pts = by_layer[op.layer];
      line.reason = WhyFloat(op, pts, options);
      if (line.reason.empty()) {
        for (const ActivationPoint* p : {pts.input, pts.output}) {
          if (!by_name.count(p->value)) {
            return InvalidArgument("int8 conversion: no value " + p->value + " (of layer " + p->layer +
                                   ") in the model's forward");
          }
        }
        line.reason = CheckPoints(op, by_name[pts.input->value], by_name[pts.output->value], *pts.output);
      }
      layers.push_back(std::move(line));
    }
    std::vector<std::string> quantized;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!layers[i].reason.empty()) continue;
      const LayerPoints& pts = by_layer[ops[i].layer];
      HONE_RETURN_IF_ERROR(EmitLayer(module, *graph, ops[i], *pts.input, *pts.output,
                                     by_name[pts.output->value], options, layers[i]));
      if (layers[i].quantized) quantized.push_back(ops[i].layer);
    }
    PropagateQuantized(graph);
    InstallForwardGraph(module, *graph);
    DropFloatWeights(module, *graph, quantized);
    return Int8Result{WrapModule(module), std::move(layers)};
  } catch (const std::exception& e) {
    return InvalidArgument("int8 conversion: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
