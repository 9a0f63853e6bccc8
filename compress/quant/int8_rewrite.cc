// Keeping tensors quantized between int8 layers. Each int8 layer ends in aten::dequantize;
// this pass walks the graph in order and moves the dequantize past every op that runs on
// quantized tensors with the same scale and zero point as its input (relu, hardtanh,
// pooling, flatten and reshapes), turns float adds of two dequantized tensors into
// quantized::add when a later quantize point fixes the sum's grid, and drops
// quantize_per_tensor(dequantize(q)) when the grids are the same.
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/common_subexpression_elimination.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <optional>
#include <set>

#include "compress/quant/int8_ops_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

struct Grid {
  double scale = 0;
  int64_t zero_point = 0;
  bool operator==(const Grid& o) const { return scale == o.scale && zero_point == o.zero_point; }
};

c10::Symbol Quantized(const char* name) { return c10::Symbol::fromQualString(std::string("quantized::") + name); }

// Ops whose quantized version keeps the input's grid.
bool KeepsGrid(const Node* n) {
  const c10::Symbol k = n->kind();
  if (k == c10::aten::dropout) {
    std::optional<c10::IValue> train = torch::jit::toIValue(n->input(2));
    return train && train->isBool() && !train->toBool();
  }
  return k == c10::aten::relu || k == c10::aten::hardtanh || k == c10::aten::max_pool2d ||
         k == c10::aten::adaptive_avg_pool2d || k == c10::aten::avg_pool2d || k == c10::aten::flatten ||
         k == c10::aten::view || k == c10::aten::reshape;
}

// Of those, the ones that commute with quantization exactly (monotone or moving values):
// a grid chosen after them is the right grid before them.
bool Monotone(const Node* n) {
  return KeepsGrid(n) && n->kind() != c10::aten::adaptive_avg_pool2d && n->kind() != c10::aten::avg_pool2d;
}

Value* DequantizedFrom(Value* v) {
  return v->node()->kind() == c10::aten::dequantize ? v->node()->input(0) : nullptr;
}

std::optional<Grid> ConstGrid(const Value* scale, const Value* zero_point) {
  auto s = torch::jit::toIValue(scale);
  auto z = torch::jit::toIValue(zero_point);
  if (!s || !z || !s->isDouble() || !z->isInt()) return std::nullopt;
  return Grid{s->toDouble(), z->toInt()};
}

// The grid of a quantized tensor that this pass or int8 conversion produced.
std::optional<Grid> GridOf(Value* q) {
  Node* n = q->node();
  if (n->kind() == c10::aten::quantize_per_tensor) {
    auto dtype = torch::jit::toIValue(n->input(3));
    if (!dtype || !dtype->isInt() || dtype->toInt() != static_cast<int64_t>(c10::kQUInt8)) return std::nullopt;
    return ConstGrid(n->input(1), n->input(2));
  }
  if (KeepsGrid(n)) return GridOf(n->input(0));
  if (std::string(n->kind().toQualString()).rfind("quantized::", 0) == 0 && n->inputs().size() == 4) {
    return ConstGrid(n->input(2), n->input(3));  // conv2d, conv2d_relu, linear, linear_relu, add, add_relu
  }
  return std::nullopt;
}

// The grid a later quantize point gives `v`: a quantize_per_tensor reading it, or one
// reading the end of a chain of single-reader monotone ops after it.
std::optional<Grid> DownstreamGrid(Value* v) {
  while (true) {
    for (const torch::jit::Use& u : v->uses()) {
      if (u.user->kind() == c10::aten::quantize_per_tensor && u.offset == 0) return GridOf(u.user->output());
    }
    if (v->uses().size() != 1 || !Monotone(v->uses()[0].user) || v->uses()[0].offset != 0) return std::nullopt;
    v = v->uses()[0].user->output();
  }
}

// v = op(dequantize(q), ...) -> dequantize(op(q, ...)).
void MoveDequantizePast(Graph& graph, Node* n, Value* q) {
  torch::jit::WithInsertPoint guard(n);
  Node* qn = graph.insertNode(graph.createClone(n, [](Value* v) { return v; }));
  qn->replaceInput(0, q);
  Value* dq = graph.insert(c10::aten::dequantize, {qn->output()});
  n->output()->replaceAllUsesWith(dq);
  n->destroy();
}

bool IsOne(const Value* v) {
  auto iv = torch::jit::toIValue(v);
  return iv && ((iv->isInt() && iv->toInt() == 1) || (iv->isDouble() && iv->toDouble() == 1.0));
}

// add(dequantize(a), dequantize(b)) [-> relu] -> dequantize(quantized::add[_relu](a, b)).
// Returns the relu fused into it, or nullptr.
Node* QuantizeAdd(Graph& graph, Node* add, std::set<Node*>& destroyed) {
  Value* a = DequantizedFrom(add->input(0));
  Value* b = DequantizedFrom(add->input(1));
  if (!a || !b || !IsOne(add->input(2))) return nullptr;
  Node* relu = nullptr;
  if (add->output()->uses().size() == 1 && add->output()->uses()[0].user->kind() == c10::aten::relu) {
    relu = add->output()->uses()[0].user;
  }
  Value* out = relu ? relu->output() : add->output();
  std::optional<Grid> grid = DownstreamGrid(out);
  if (!grid) return nullptr;
  torch::jit::WithInsertPoint guard(add);
  Value* q = graph.insert(Quantized(relu ? "add_relu" : "add"),
                          {a, b, graph.insertConstant(grid->scale), graph.insertConstant(grid->zero_point)});
  out->replaceAllUsesWith(graph.insert(c10::aten::dequantize, {q}));
  if (relu) {
    destroyed.insert(relu);
    relu->destroy();
  }
  add->destroy();
  return relu;
}

// Readers of a tensor's shape need not dequantize it.
void ReadShapesFromQuantized(Graph& graph) {
  for (Node* n : graph.nodes()) {
    if (n->kind() != c10::aten::size && n->kind() != c10::aten::dim) continue;
    if (Value* q = DequantizedFrom(n->input(0))) n->replaceInput(0, q);
  }
}

}  // namespace

void PropagateQuantized(const std::shared_ptr<Graph>& g) {
  Graph& graph = *g;
  std::vector<Node*> nodes(graph.nodes().begin(), graph.nodes().end());
  std::set<Node*> destroyed;
  for (Node* n : nodes) {
    if (destroyed.count(n)) continue;
    if (n->inputs().empty()) continue;
    Value* q = DequantizedFrom(n->input(0));
    if (KeepsGrid(n) && q != nullptr && GridOf(q)) {
      MoveDequantizePast(graph, n, q);
      destroyed.insert(n);
    } else if (n->kind() == c10::aten::quantize_per_tensor && q != nullptr && GridOf(q) &&
               GridOf(q) == GridOf(n->output())) {
      n->output()->replaceAllUsesWith(q);
      destroyed.insert(n);
      n->destroy();
    } else if (n->kind() == c10::aten::add && n->inputs().size() == 3 &&
               n->input(1)->type()->kind() == c10::TypeKind::TensorType) {
      QuantizeAdd(graph, n, destroyed);
      destroyed.insert(n);  // destroyed or left as it is: either way done
    }
  }
  ReadShapesFromQuantized(graph);
  torch::jit::EliminateCommonSubexpression(g);
  torch::jit::EliminateDeadCode(g);
}

}  // namespace hone::compress
