#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/jit/ir/constants.h>

#include <set>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/int8_ops_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

std::optional<std::vector<int64_t>> IntList(const Value* v) {
  std::optional<c10::IValue> iv = torch::jit::toIValue(v);
  if (!iv || !iv->isIntList()) return std::nullopt;
  return iv->toIntVector();
}

std::optional<int64_t> Int(const Value* v) {
  std::optional<c10::IValue> iv = torch::jit::toIValue(v);
  if (!iv || !iv->isInt()) return std::nullopt;
  return iv->toInt();
}

// The attribute `path` ("layer1.conv.weight") of `root`, or an undefined tensor.
at::Tensor TensorAtPath(torch::jit::Module& root, const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos) {
    return root.hasattr(path) && root.attr(path).isTensor() ? root.attr(path).toTensor() : at::Tensor();
  }
  return TensorAttr(root, path.substr(0, dot), path.substr(dot + 1));
}

// Fills the kind, parameters and reason of a convolution node with inputs
// (x, w, b, stride, padding, dilation, ...) whose weight has `rank` dimensions.
void DescribeConv(LayerOp& op, int64_t rank) {
  Node* n = op.node;
  const int64_t dims = rank - 2;
  bool transposed = false;
  std::optional<int64_t> groups = Int(n->input(6));
  if (n->kind() == c10::aten::_convolution) {
    std::optional<c10::IValue> t = torch::jit::toIValue(n->input(6));
    transposed = !t || !t->isBool() || t->toBool();
    groups = Int(n->input(8));
  }
  op.op = std::string(transposed ? "conv_transpose" : "conv") + std::to_string(dims) + "d";
  auto stride = IntList(n->input(3)), padding = IntList(n->input(4)), dilation = IntList(n->input(5));
  if (transposed) {
    op.why_float = "a transposed convolution has no int8 kernel here";
  } else if (dims != 2) {
    op.why_float = "only 2-d convolutions run in int8";
  } else if (!stride || !padding || !dilation || !groups) {
    op.why_float = "its stride, padding, dilation or groups are not constants";
  } else {
    op.stride = *stride;
    op.padding = *padding;
    op.dilation = *dilation;
    op.groups = *groups;
  }
}

bool IsConvKind(c10::Symbol k) {
  return k == c10::aten::conv1d || k == c10::aten::conv2d || k == c10::aten::conv3d || k == c10::aten::_convolution ||
         k == c10::aten::conv_transpose1d || k == c10::aten::conv_transpose2d || k == c10::aten::conv_transpose3d;
}

}  // namespace

std::vector<LayerOp> FindLayerOps(torch::jit::Module& module, Graph& graph) {
  std::vector<LayerOp> ops;
  const Value* self = graph.inputs()[0];
  for (Node* n : graph.nodes()) {
    const bool conv = IsConvKind(n->kind());
    if (!conv && n->kind() != c10::aten::linear) continue;
    const std::string path = AttrPath(n->input(1), self);
    const std::string tail = ".weight";
    if (path.size() <= tail.size() || path.compare(path.size() - tail.size(), tail.size(), tail) != 0) continue;
    LayerOp op;
    op.node = n;
    op.layer = path.substr(0, path.size() - tail.size());
    at::Tensor w = LayerWeight(module, op);
    if (!w.defined()) continue;
    if (!conv) {
      op.op = "linear";
    } else if (n->kind() == c10::aten::conv_transpose1d || n->kind() == c10::aten::conv_transpose2d ||
               n->kind() == c10::aten::conv_transpose3d) {
      op.op = "conv_transpose" + std::to_string(w.dim() - 2) + "d";
      op.why_float = "a transposed convolution has no int8 kernel here";
    } else if (n->input(4)->type()->kind() == c10::TypeKind::StringType) {
      op.op = "conv" + std::to_string(w.dim() - 2) + "d";
      op.why_float = "its padding is given by name ('same', 'valid')";
    } else {
      DescribeConv(op, w.dim());
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

at::Tensor LayerWeight(torch::jit::Module& module, const LayerOp& op) {
  return TensorAtPath(module, op.layer + ".weight");
}

at::Tensor LayerBias(torch::jit::Module& module, const LayerOp& op) {
  const Value* b = op.node->input(2);
  if (b->type()->kind() == c10::TypeKind::NoneType) return at::Tensor();
  const std::string path = AttrPath(b, op.node->owningGraph()->inputs()[0]);
  return path.empty() ? at::Tensor() : TensorAtPath(module, path);
}

at::Tensor QuantizeWeight(const at::Tensor& w, const ChannelParams& grid) {
  return at::quantize_per_channel(w.detach().to(at::kFloat).contiguous(), ScalesTensor(grid), ZeroPointsTensor(grid),
                                  grid.axis, at::kQInt8);
}

StatusOr<c10::IValue> PackWeights(const LayerOp& op, const at::Tensor& w_q, const at::Tensor& bias) {
  const bool conv = op.op == "conv2d";
  torch::jit::Stack stack;
  stack.emplace_back(w_q);
  stack.emplace_back(bias.defined() ? c10::IValue(bias.detach().to(at::kFloat).contiguous()) : c10::IValue());
  if (conv) {
    stack.emplace_back(c10::IValue(op.stride));
    stack.emplace_back(c10::IValue(op.padding));
    stack.emplace_back(c10::IValue(op.dilation));
    stack.emplace_back(op.groups);
  }
  try {
    auto schema = c10::Dispatcher::singleton().findSchemaOrThrow(
        conv ? "quantized::conv2d_prepack" : "quantized::linear_prepack", "");
    schema.callBoxed(&stack);
  } catch (const std::exception& e) {
    return FailedPrecondition("the " + std::string(c10::toString(at::globalContext().qEngine())) +
                              " engine refuses it: " + TorchErrorMessage(e));
  }
  return stack.at(0);
}

Value* AddPackedAttr(torch::jit::Module& module, Graph& graph, const std::string& name, const c10::IValue& packed) {
  module.register_attribute(name, packed.type(), packed);
  return graph.insertGetAttr(graph.inputs()[0], name);
}

void DropFloatWeights(torch::jit::Module& module, Graph& graph, const std::vector<std::string>& layers) {
  std::set<std::string> read;
  const Value* self = graph.inputs()[0];
  for (Node* n : graph.nodes()) {
    if (n->kind() == c10::prim::GetAttr) read.insert(AttrPath(n->output(), self));
  }
  for (const std::string& layer : layers) {
    std::optional<torch::jit::Module> sub = FindSubmodule(module, layer);
    if (!sub) continue;
    for (const char* name : {"weight", "bias"}) {
      if (read.count(layer + "." + name) || !sub->hasattr(name) || !sub->attr(name).isTensor()) continue;
      sub->setattr(name, at::empty({0}));
    }
  }
}

}  // namespace hone::compress
