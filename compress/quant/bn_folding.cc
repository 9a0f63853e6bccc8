#include "compress/quant/bn_folding.h"

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>

#include <functional>
#include <optional>
#include <set>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;


// `path` without its last ".name", or "" when `path` does not end in ".name".
std::string OwnerOf(const std::string& path, const std::string& name) {
  const std::string tail = "." + name;
  if (path.size() <= tail.size() || path.compare(path.size() - tail.size(), tail.size(), tail) != 0) return "";
  return path.substr(0, path.size() - tail.size());
}

// conv1d/2d/3d, and the _convolution of traced models unless transposed.
bool IsConv(const Node* n) {
  if (n->kind() == c10::aten::_convolution) {
    std::optional<c10::IValue> transposed = torch::jit::toIValue(n->input(6));
    return transposed && transposed->isBool() && !transposed->toBool();
  }
  return n->kind() == c10::aten::conv1d || n->kind() == c10::aten::conv2d || n->kind() == c10::aten::conv3d;
}

bool IsNone(const Value* v) { return v->type()->kind() == c10::TypeKind::NoneType; }

void CollectBatchNorms(Block* block, std::vector<Node*>& out) {
  for (Node* n : block->nodes()) {
    for (Block* sub : n->blocks()) CollectBatchNorms(sub, out);
    if (n->kind() == c10::aten::batch_norm) out.push_back(n);
  }
}

// A batch norm that can be folded and what it reads.
struct Candidate {
  Node* bn = nullptr;
  Node* conv = nullptr;
  std::string conv_path, bn_path;
  std::string gamma, beta, mean, var;  // attribute paths ("" for None weight or bias)
  double eps = 1e-5;
};

// Why `bn` cannot be folded ("" when it can; `c` is then filled in).
std::string Check(torch::jit::Module& root, Node* bn, const Value* self, const std::multiset<std::string>& conv_weights,
                  Candidate& c) {
  Node* conv = bn->input(0)->node();
  if (!IsConv(conv)) return "its input is not a convolution";
  for (const torch::jit::Use& u : conv->output()->uses()) {
    const auto kind = u.user->kind();
    if (u.user != bn && kind != c10::aten::dim && kind != c10::aten::size) {
      return "the convolution's output is also read by " + std::string(kind.toQualString());
    }
  }
  c = Candidate{};
  c.bn = bn;
  c.conv = conv;
  c.conv_path = OwnerOf(AttrPath(conv->input(1), self), "weight");
  if (c.conv_path.empty()) return "the convolution's weight is not a module parameter";
  if (conv_weights.count(c.conv_path + ".weight") != 1) return "the convolution is called more than once";
  c.mean = AttrPath(bn->input(3), self);
  c.var = AttrPath(bn->input(4), self);
  c.bn_path = OwnerOf(c.mean, "running_mean");
  if (c.bn_path.empty() || c.var.empty()) return "it keeps no running statistics";
  c.gamma = AttrPath(bn->input(1), self);
  c.beta = AttrPath(bn->input(2), self);
  if ((c.gamma.empty() && !IsNone(bn->input(1))) || (c.beta.empty() && !IsNone(bn->input(2)))) {
    return "its scale or shift is computed";
  }
  std::optional<c10::IValue> eps = torch::jit::toIValue(bn->input(7));
  if (!eps || !eps->isDouble()) return "its eps is not a constant";
  c.eps = eps->toDouble();
  const Value* bias = conv->input(2);
  if (!IsNone(bias)) {
    if (OwnerOf(AttrPath(bias, self), "bias") != c.conv_path) return "the convolution's bias is not its own parameter";
    return "";
  }
  // No bias in the code: the folded one goes into the convolution's `bias` attribute.
  auto type = FindSubmodule(root, c.conv_path)->type();
  if (type->hasAttribute("bias") && !c10::TensorType::get()->isSubtypeOf(*type->getAttribute("bias"))) {
    return "the convolution's bias attribute cannot hold a tensor";
  }
  return "";
}

at::Tensor Attr(torch::jit::Module& root, const std::string& path) {
  const std::string owner = path.substr(0, path.rfind('.'));
  return TensorAttr(root, owner, path.substr(path.rfind('.') + 1));
}

// Gives every instance of `conv`'s class a zero bias parameter (they share the class,
// which gains the attribute once).
void AddBias(torch::jit::Module& root, const torch::jit::Module& conv) {
  for (torch::jit::Module m : root.modules()) {
    if (m.type() != conv.type()) continue;
    const int64_t out = m.attr("weight").toTensor().size(0);
    m.register_parameter("bias", torch::zeros({out}, m.attr("weight").toTensor().options()), false);
  }
}

// Folds `c` into its convolution's parameters and removes the batch norm from `graph`.
void Fold(torch::jit::Module& root, Graph& graph, const Candidate& c) {
  torch::jit::Module conv = *FindSubmodule(root, c.conv_path);
  const at::Tensor w = conv.attr("weight").toTensor();
  const auto d = at::kDouble;
  const at::Tensor var = Attr(root, c.var).to(d);
  const at::Tensor gamma = c.gamma.empty() ? torch::ones_like(var) : Attr(root, c.gamma).to(d);
  const at::Tensor beta = c.beta.empty() ? torch::zeros_like(var) : Attr(root, c.beta).to(d);
  const at::Tensor inv = gamma / torch::sqrt(var + c.eps);
  const bool has_bias = !IsNone(c.conv->input(2));
  const bool bias_set = has_bias && conv.attr("bias").isTensor();
  const at::Tensor b = bias_set ? conv.attr("bias").toTensor().to(d) : torch::zeros_like(var);
  std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
  shape[0] = -1;
  torch::NoGradGuard no_grad;
  at::Tensor new_w = (w.to(d) * inv.reshape(shape)).to(w.scalar_type()).set_requires_grad(w.requires_grad());
  at::Tensor new_b = ((b - Attr(root, c.mean).to(d)) * inv + beta).to(w.scalar_type());
  conv.setattr("weight", new_w);
  if (!has_bias) {
    if (!conv.hasattr("bias")) AddBias(root, conv);
    torch::jit::WithInsertPoint guard(c.conv);
    Value* v = graph.inputs()[0];
    size_t start = 0;
    const std::string path = c.conv_path + ".bias";
    while (start < path.size()) {
      const size_t dot = std::min(path.find('.', start), path.size());
      v = graph.insertGetAttr(v, path.substr(start, dot - start));
      start = dot + 1;
    }
    c.conv->replaceInput(2, v);
  }
  conv.setattr("bias", new_b.set_requires_grad(w.requires_grad()));
  c.bn->output()->replaceAllUsesWith(c.conv->output());
  c.bn->destroy();
}

bool FeedsRelu(const Node* conv) {
  for (const torch::jit::Use& u : conv->output()->uses()) {
    if (u.user->kind() == c10::aten::relu || u.user->kind() == c10::aten::relu_) return true;
  }
  return false;
}

}  // namespace

StatusOr<FoldResult> FoldBatchNorms(const ScriptModel& model) {
  try {
    torch::jit::Module root = ModuleOf(model).clone();
    root.eval();
    if (!root.find_method("forward")) return InvalidArgument("fold batch norms: the model has no forward method");
    std::shared_ptr<Graph> graph = root.get_method("forward").graph();
    torch::jit::Inline(*graph);
    torch::jit::ConstantPropagation(graph);
    const Value* self = graph->inputs()[0];
    std::multiset<std::string> conv_weights;
    std::function<void(Block*)> weights = [&](Block* block) {
      for (Node* n : block->nodes()) {
        for (Block* sub : n->blocks()) weights(sub);
        if (IsConv(n)) conv_weights.insert(AttrPath(n->input(1), self));
      }
    };
    weights(graph->block());
    std::vector<Node*> bns;
    CollectBatchNorms(graph->block(), bns);
    FoldResult result{WrapModule(root), {}, {}};
    for (Node* bn : bns) {
      Candidate c;
      const std::string why = Check(root, bn, self, conv_weights, c);
      if (!why.empty()) {
        const std::string name = OwnerOf(AttrPath(bn->input(3), self), "running_mean");
        result.kept.push_back((name.empty() ? std::string("batch_norm") : name) + ": " + why);
        continue;
      }
      Node* conv = c.conv;
      Fold(root, *graph, c);
      result.folded.push_back({.conv = c.conv_path, .batch_norm = c.bn_path, .relu = FeedsRelu(conv)});
    }
    torch::jit::EliminateDeadCode(graph);
    return result;
  } catch (const std::exception& e) {
    return InvalidArgument("fold batch norms: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
