#include "compress/quant/activation_calibration.h"

#include "compress/model/script_model_torch.h"
#include "compress/prune/graph_probe_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {
namespace {

bool Quantizable(const LayerNode& n) { return n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear; }

bool IsClampAtZero(const std::string& op) {
  return op == "aten::relu" || op == "aten::relu_" || op == "aten::hardtanh" || op == "aten::hardtanh_" ||
         op == "aten::relu6";
}

// The relu (or relu6: a hardtanh from 0) that is the only reader of node `id`, or -1.
// A hardtanh from 0 to M fuses like a relu: its output grid covers [0, at most M], so the
// quantized layer's saturation is the clamp at M.
int FusedRelu(const LayerGraph& graph, int id) {
  int relu = -1, readers = 0;
  for (const LayerNode& n : graph.nodes) {
    for (int in : n.inputs) {
      if (in != id) continue;
      ++readers;
      if (IsClampAtZero(n.op)) relu = n.id;
    }
  }
  return readers == 1 && graph.output != id ? relu : -1;
}

// Whether `v` is a relu, a relu6, or a hardtanh whose lower bound is exactly 0.
bool ClampsAtZero(torch::jit::Value* v) {
  torch::jit::Node* n = v->node();
  if (n->kind() == c10::aten::relu || n->kind() == c10::aten::relu_ || n->kind() == c10::aten::relu6) return true;
  if (n->kind() != c10::aten::hardtanh && n->kind() != c10::aten::hardtanh_) return false;
  auto low = torch::jit::toIValue(n->input(1));
  return low && low->isDouble() && low->toDouble() == 0.0;
}

}  // namespace

StatusOr<std::vector<ActivationPoint>> CalibrateActivations(const ScriptModel& model, const LayerGraph& graph,
                                                            const ImageSet& data, const Normalization& norm,
                                                            const CalibrationOptions& options) {
  HONE_RETURN_IF_ERROR(ValidateQuantSpec(options.spec));
  if (data.count <= 0) return InvalidArgument("calibration: the data set has no images");
  try {
    torch::jit::Module module = ModuleOf(model).clone();
    module.eval();
    GraphProbe probe(module);
    std::vector<ActivationPoint> points;
    std::vector<torch::jit::Value*> values;
    for (const LayerNode& n : graph.nodes) {
      if (!Quantizable(n)) continue;
      int relu = FusedRelu(graph, n.id);
      torch::jit::Value* v = probe.Find(n.value);
      torch::jit::Value* o = probe.Find(relu >= 0 ? graph.nodes[static_cast<size_t>(relu)].value : n.value);
      if (relu >= 0 && o != nullptr && !ClampsAtZero(o)) {
        relu = -1;
        o = v;
      }
      if (v == nullptr || o == nullptr || v->node()->inputs().empty()) {
        return InvalidArgument("calibration: cannot observe layer " + n.name + " (" + n.value + ")");
      }
      ActivationPoint input;
      input.layer = n.name;
      input.is_input = true;
      input.value = "%" + v->node()->input(0)->debugName();
      ActivationPoint output = input;
      output.is_input = false;
      output.after_relu = relu >= 0;
      output.value = "%" + o->debugName();
      points.push_back(input);
      points.push_back(output);
      values.push_back(v->node()->input(0));
      values.push_back(o);
    }
    if (points.empty()) return InvalidArgument("calibration: the model has no convolution or linear layer");
    auto fn = probe.Returning(values, "hone_quant_points");
    std::vector<std::unique_ptr<Observer>> observers;
    for (size_t i = 0; i < points.size(); ++i) observers.push_back(MakeObserver(options.observer));
    ImageBatches images(data, norm);
    torch::NoGradGuard no_grad;
    for (const at::Tensor& idx : SeededBatchIndices(data.count, options.batches * options.batch_size,
                                                     options.batch_size, options.seed)) {
      c10::IValue result = (*fn)({module._ivalue(), images.Images(idx)});
      const auto& outs = result.toTupleRef().elements();
      for (size_t i = 0; i < points.size(); ++i) ObserveTensor(*observers[i], outs[i].toTensor());
    }
    for (size_t i = 0; i < points.size(); ++i) {
      points[i].range = observers[i]->Range();
      points[i].params = ChooseQuantParams(points[i].range, options.spec);
    }
    return points;
  } catch (const std::exception& e) {
    return InvalidArgument("calibration: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
