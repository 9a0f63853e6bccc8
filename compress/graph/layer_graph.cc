#include "compress/graph/layer_graph.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/peephole.h>

#include <map>
#include <set>
#include <unordered_map>

#include "compress/graph/eval_graph_torch.h"
#include "compress/model/script_model_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Node;
using torch::jit::Value;

const std::map<std::string, OpKind>& KnownOps() {
  static const std::map<std::string, OpKind> kOps = {
      {"aten::conv2d", OpKind::kConv2d},           {"aten::_convolution", OpKind::kConv2d},
      {"aten::linear", OpKind::kLinear},           {"aten::batch_norm", OpKind::kBatchNorm},
      {"aten::relu", OpKind::kActivation},         {"aten::relu_", OpKind::kActivation},
      {"aten::relu6", OpKind::kActivation},        {"aten::hardtanh", OpKind::kActivation},
      {"aten::hardtanh_", OpKind::kActivation},    {"aten::hardswish", OpKind::kActivation},
      {"aten::hardswish_", OpKind::kActivation},   {"aten::silu", OpKind::kActivation},
      {"aten::silu_", OpKind::kActivation},        {"aten::sigmoid", OpKind::kActivation},
      {"aten::sigmoid_", OpKind::kActivation},     {"aten::tanh", OpKind::kActivation},
      {"aten::gelu", OpKind::kActivation},         {"aten::gelu_", OpKind::kActivation},
      {"aten::tanh_", OpKind::kActivation},        {"aten::hardsigmoid", OpKind::kActivation},
      {"aten::hardsigmoid_", OpKind::kActivation}, {"aten::relu6_", OpKind::kActivation},
      {"aten::leaky_relu", OpKind::kActivation},   {"aten::leaky_relu_", OpKind::kActivation},
      {"aten::elu", OpKind::kActivation},          {"aten::elu_", OpKind::kActivation},
      {"aten::mish", OpKind::kActivation},         {"aten::mish_", OpKind::kActivation},
      {"aten::max_pool2d", OpKind::kPool},
      {"aten::avg_pool2d", OpKind::kPool},         {"aten::adaptive_avg_pool2d", OpKind::kAdaptivePool},
      {"aten::adaptive_max_pool2d", OpKind::kAdaptivePool},
      {"aten::mean", OpKind::kMean},
      {"aten::add", OpKind::kAdd},                 {"aten::add_", OpKind::kAdd},
      {"aten::sub", OpKind::kAdd},                 {"aten::sub_", OpKind::kAdd},
      {"aten::mul", OpKind::kMul},                 {"aten::mul_", OpKind::kMul},
      {"aten::div", OpKind::kMul},                 {"aten::div_", OpKind::kMul},
      {"aten::cat", OpKind::kConcat},              {"aten::flatten", OpKind::kFlatten},
      {"aten::view", OpKind::kFlatten},            {"aten::reshape", OpKind::kFlatten},
      {"aten::dropout", OpKind::kDropout},         {"aten::dropout_", OpKind::kDropout},
      {"aten::feature_dropout", OpKind::kDropout}, {"aten::contiguous", OpKind::kDropout},
  };
  return kOps;
}

bool IsTensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }


std::string ModulePathOf(const std::string& attr_path) {
  size_t dot = attr_path.rfind('.');
  return dot == std::string::npos ? "" : attr_path.substr(0, dot);
}

// The module instance path a node was inlined from ("layer1.b0").
std::string CallPath(const Node* n) {
  std::string path;
  if (auto cs = n->callstack()) {
    for (const auto& entry : (*cs)->vec()) {
      const auto& info = std::get<2>(entry);
      if (info && !info->instance_name().empty()) path += (path.empty() ? "" : ".") + info->instance_name();
    }
  }
  return path;
}

std::vector<int64_t> IntList(const Value* v) {
  if (auto iv = torch::jit::toIValue(v)) {
    if (iv->isIntList()) return iv->toIntVector();
    if (iv->isInt()) return {iv->toInt()};
  }
  std::vector<int64_t> out;
  if (v->node()->kind() == c10::prim::ListConstruct) {
    for (const Value* in : v->node()->inputs()) {
      auto iv = torch::jit::toIValue(in);
      if (!iv || !iv->isInt()) return {};
      out.push_back(iv->toInt());
    }
  }
  return out;
}

int64_t IntConst(const Value* v, int64_t fallback) {
  auto iv = torch::jit::toIValue(v);
  return iv && iv->isInt() ? iv->toInt() : fallback;
}

// Whether a view/reshape's size list has a constant other than -1 at dimension 1.
bool FixedChannelSize(const Value* sizes) {
  std::vector<int64_t> all = IntList(sizes);
  if (!all.empty()) return all.size() >= 2 && all[1] != -1;
  if (sizes->node()->kind() != c10::prim::ListConstruct || sizes->node()->inputs().size() < 2) return false;
  auto second = torch::jit::toIValue(sizes->node()->input(1));
  return second && second->isInt() && second->toInt() != -1;
}

int64_t Numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

// Inlines submodule calls and specializes the graph to the module as it is: `training`
// reads as false and other plain attributes (bool, int, float, string) as their current
// values, so that eval-mode branches (batch norm, dropout, F.hardswish's inplace switch)
// and configuration switches fold away and the graph is a straight line of ops.
// The attribute path of a value read from the module ("layer1.b0.conv1.weight"), or ""
// when it is not read from `self`.
std::string AttrPath(const torch::jit::Value* v, const torch::jit::Value* self) {
  std::vector<std::string> parts;
  while (v != self) {
    const torch::jit::Node* n = v->node();
    if (n->kind() != c10::prim::GetAttr) return "";
    parts.push_back(n->s(c10::attr::name));
    v = n->input(0);
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += (path.empty() ? "" : ".") + *it;
  return path;
}

void InstallForwardGraph(torch::jit::Module& module, torch::jit::Graph& graph) {
  std::shared_ptr<torch::jit::Graph> forward = module.get_method("forward").graph();
  std::vector<torch::jit::Node*> old(forward->nodes().begin(), forward->nodes().end());
  torch::jit::WithInsertPoint guard(forward->return_node());
  std::vector<torch::jit::Value*> outputs = torch::jit::insertGraph(*forward, graph, forward->inputs());
  forward->return_node()->replaceInput(0, outputs.at(0));
  for (auto it = old.rbegin(); it != old.rend(); ++it) (*it)->destroy();
}

std::shared_ptr<torch::jit::Graph> EvalGraph(torch::jit::Module& module) {
  auto g = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*g);
  const Value* self = g->inputs()[0];
  std::vector<std::pair<Node*, c10::IValue>> fixed;
  for (Node* n : g->nodes()) {
    if (n->kind() != c10::prim::GetAttr) continue;
    const c10::TypeKind kind = n->output()->type()->kind();
    if (kind != c10::TypeKind::BoolType && kind != c10::TypeKind::IntType && kind != c10::TypeKind::FloatType &&
        kind != c10::TypeKind::StringType) {
      continue;
    }
    const std::string name = n->s(c10::attr::name);
    if (name == "training") {
      fixed.emplace_back(n, c10::IValue(false));
      continue;
    }
    std::string owner_path = AttrPath(n->input(0), self);
    if (owner_path.empty() && n->input(0) != self) continue;
    auto owner = owner_path.empty() ? std::optional<torch::jit::Module>(module) : FindSubmodule(module, owner_path);
    if (owner && owner->hasattr(name)) fixed.emplace_back(n, owner->attr(name));
  }
  if (!fixed.empty()) {
    torch::jit::WithInsertPoint guard(*g->nodes().begin());
    for (auto& [n, value] : fixed) n->output()->replaceAllUsesWith(g->insertConstant(value));
  }
  for (int i = 0; i < 2; ++i) {
    torch::jit::PeepholeOptimize(g);
    torch::jit::ConstantPropagation(g);
    torch::jit::EliminateDeadCode(g);
  }
  return g;
}

namespace {

at::Tensor AttrTensor(torch::jit::Module& module, const std::string& path) {
  size_t dot = path.rfind('.');
  std::optional<torch::jit::Module> owner =
      dot == std::string::npos ? std::optional<torch::jit::Module>(module) : FindSubmodule(module, path.substr(0, dot));
  if (!owner) return at::Tensor();
  const std::string name = dot == std::string::npos ? path : path.substr(dot + 1);
  if (!owner->hasattr(name)) return at::Tensor();
  c10::IValue v = owner->attr(name);
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

// Ops whose result is not one tensor but that only read a tensor's shape or type, or
// gather tensors for another op (a concat's list): nothing for channel pruning to keep.
bool ReadsOnlyShapes(const Node* n) {
  static const std::set<std::string> kOps = {
      "aten::size",    "aten::dim",   "aten::len",      "aten::numel",     "aten::__is__",     "aten::__isnot__",
      "prim::shape",   "prim::device", "prim::dtype",   "prim::layout",    "prim::is_cuda",    "aten::is_floating_point",
      "prim::ListConstruct", "aten::warn", "prim::Print", "prim::RaiseException"};
  return kOps.count(n->kind().toQualString()) > 0;
}

// The values read inside `n`'s sub-blocks (an if or a loop that specialization left in
// place), as far down as they go; not those only read for their shape (the checks of
// nn.BatchNorm2d's input dimension).
void BlockReads(const Node* n, std::vector<const Value*>& out) {
  for (const torch::jit::Block* b : n->blocks()) {
    for (const Node* inner : b->nodes()) {
      if (!ReadsOnlyShapes(inner)) {
        for (const Value* in : inner->inputs()) out.push_back(in);
      }
      BlockReads(inner, out);
    }
    for (const Value* v : b->outputs()) out.push_back(v);
  }
}

// The TorchScript values `n` reads as tensors: its inputs, or the tensors of a list
// (concat), and what its sub-blocks read.
std::vector<const Value*> DataInputs(const Node* n) {
  std::vector<const Value*> out;
  for (const Value* in : n->inputs()) {
    if (in->node()->kind() == c10::prim::ListConstruct) {
      for (const Value* item : in->node()->inputs()) out.push_back(item);
    } else {
      out.push_back(in);
    }
  }
  BlockReads(n, out);
  return out;
}

// A convolution's, linear layer's or batch norm's parameters and geometry from its
// weight and bias; returns the weight's attribute path ("" when not read from `self`).
std::string ReadLayerAttributes(const Node* n, torch::jit::Module& module, const Value* self, LayerNode& node) {
  const std::string weight_path = AttrPath(n->input(1), self);
  at::Tensor w = weight_path.empty() ? at::Tensor() : AttrTensor(module, weight_path);
  std::string bias_path = AttrPath(n->input(2), self);
  at::Tensor b = bias_path.empty() ? at::Tensor() : AttrTensor(module, bias_path);
  node.has_bias = b.defined();
  node.params = (w.defined() ? w.numel() : 0) + (b.defined() ? b.numel() : 0);
  if (node.kind == OpKind::kConv2d && w.defined() && w.dim() == 4) {
    const bool raw = node.op == "aten::_convolution";
    node.stride = IntList(n->input(3));
    node.padding = IntList(n->input(4));
    node.dilation = IntList(n->input(5));
    node.groups = IntConst(n->input(raw ? 8 : 6), 1);
    node.out_channels = w.size(0);
    node.in_channels = w.size(1) * node.groups;
    node.kernel = {w.size(2), w.size(3)};
  } else if (node.kind == OpKind::kLinear && w.defined()) {
    node.out_channels = w.size(0);
    node.in_channels = w.size(1);
  }
  return weight_path;
}

// The LayerNode `id` for op `n`: its kind (kOther when its result is not one tensor),
// inputs (by `producer`), layer attributes and name (the module path of its weight; else
// "<call path>/<op>#<k>", counted in `name_counts`).
LayerNode ReadNode(const Node* n, int id, torch::jit::Module& module, const Value* self,
                   const std::unordered_map<const Value*, int>& producer, std::map<std::string, int>& name_counts) {
  LayerNode node;
  node.id = id;
  node.op = n->kind().toQualString();
  auto known = KnownOps().find(node.op);
  const bool one_tensor = n->outputs().size() == 1 && IsTensor(n->output());
  node.kind = known == KnownOps().end() || !one_tensor ? OpKind::kOther : known->second;
  node.value = n->outputs().empty() ? "(no output)" : "%" + n->outputs()[0]->debugName();
  for (const Value* in : DataInputs(n)) {
    if (IsTensor(in)) ++node.tensor_operands;
    auto it = producer.find(in);
    if (it != producer.end()) node.inputs.push_back(it->second);
  }
  std::string weight_path;
  if (node.kind == OpKind::kConv2d || node.kind == OpKind::kLinear || node.kind == OpKind::kBatchNorm) {
    weight_path = ReadLayerAttributes(n, module, self, node);
  } else if (node.kind == OpKind::kConcat) {
    node.concat_dim = IntConst(n->inputs().back(), 0);
  } else if (node.kind == OpKind::kPool) {
    node.kernel = IntList(n->input(1));
    node.stride = IntList(n->input(2));
  } else if (node.kind == OpKind::kMean && n->inputs().size() > 1) {
    node.dims = IntList(n->input(1));
  } else if (node.kind == OpKind::kFlatten && node.op != "aten::flatten" && n->inputs().size() > 1) {
    node.fixed_shape = FixedChannelSize(n->input(1));
  }
  if (!weight_path.empty()) {
    node.name = ModulePathOf(weight_path);
  } else {
    std::string prefix = CallPath(n);
    std::string base = (prefix.empty() ? "" : prefix + "/") + std::string(n->kind().toUnqualString());
    int k = name_counts[base]++;
    node.name = k == 0 ? base : base + "#" + std::to_string(k);
  }
  return node;
}

// Whether `n` reads a tensor that a recorded node (or the model's input) produced.
bool ReadsRecordedTensor(const Node* n, const std::unordered_map<const Value*, int>& producer) {
  for (const Value* in : DataInputs(n)) {
    if (producer.count(in)) return true;
  }
  return false;
}

// Runs the graph once on zeros, returning the output of every node that has one tensor
// (`probe`, by node index), to learn the shapes. Rewrites `g`'s output.
void RecordShapes(const std::shared_ptr<torch::jit::Graph>& g, const std::vector<std::pair<size_t, Value*>>& probed,
                  torch::jit::Module& module, LayerGraph& graph) {
  std::vector<Value*> probe;
  for (const auto& [index, value] : probed) probe.push_back(value);
  torch::jit::WithInsertPoint guard(g->return_node());
  Node* tuple = g->insertNode(g->createTuple(probe));
  g->eraseOutput(0);
  g->registerOutput(tuple->output());
  torch::jit::GraphFunction fn("hone_shape_probe", g, nullptr);
  torch::NoGradGuard no_grad;
  c10::IValue result = fn({module._ivalue(), torch::zeros(graph.input_shape)});
  const auto& values = result.toTupleRef().elements();
  for (size_t i = 0; i < probed.size(); ++i) {
    graph.nodes[probed[i].first].output_shape = values[i].toTensor().sizes().vec();
  }
}

// Input shapes and FLOPs of every node, and the total.
void CountFlops(LayerGraph& graph) {
  for (LayerNode& node : graph.nodes) {
    for (int in : node.inputs) node.input_shapes.push_back(in < 0 ? graph.input_shape : graph.nodes[in].output_shape);
    const int64_t out = Numel(node.output_shape);
    switch (node.kind) {
      case OpKind::kConv2d:
        if (!node.kernel.empty()) {
          node.flops = out * (node.in_channels / node.groups * node.kernel[0] * node.kernel[1]) +
                       (node.has_bias ? out : 0);
        }
        break;
      case OpKind::kLinear: node.flops = out * node.in_channels + (node.has_bias ? out : 0); break;
      case OpKind::kBatchNorm: node.flops = 2 * out; break;
      default: break;
    }
    graph.total_flops += node.flops;
  }
}

}  // namespace

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kConv2d: return "conv2d";
    case OpKind::kLinear: return "linear";
    case OpKind::kBatchNorm: return "batch_norm";
    case OpKind::kActivation: return "activation";
    case OpKind::kPool: return "pool";
    case OpKind::kAdaptivePool: return "adaptive_pool";
    case OpKind::kMean: return "mean";
    case OpKind::kAdd: return "add";
    case OpKind::kMul: return "mul";
    case OpKind::kConcat: return "concat";
    case OpKind::kFlatten: return "flatten";
    case OpKind::kDropout: return "dropout";
    case OpKind::kOther: return "other";
  }
  return "other";
}

StatusOr<LayerGraph> BuildLayerGraph(const ScriptModel& model, const std::vector<int64_t>& input_shape) {
  LayerGraph graph;
  graph.input_shape = input_shape;
  try {
    torch::jit::Module& module = ModuleOf(model);
    auto g = EvalGraph(module);
    if (g->inputs().size() != 2 || !IsTensor(g->inputs()[1])) {
      return InvalidArgument("the model's forward must take exactly one tensor");
    }
    const Value* self = g->inputs()[0];
    std::unordered_map<const Value*, int> producer{{g->inputs()[1], -1}};
    std::vector<std::pair<size_t, Value*>> probe;  // node index and tensor output, for the shape run
    std::map<std::string, int> name_counts;
    for (Node* n : g->nodes()) {
      if (n->kind() == c10::prim::GetAttr || n->kind() == c10::prim::Constant) continue;
      const bool one_tensor = n->outputs().size() == 1 && IsTensor(n->output());
      // An op with other results (chunk, split, a tuple) that reads the model's tensors
      // is kept as an op hone does not follow, so that pruning leaves those channels be.
      if (!one_tensor && (ReadsOnlyShapes(n) || !ReadsRecordedTensor(n, producer))) continue;
      LayerNode node = ReadNode(n, static_cast<int>(graph.nodes.size()), module, self, producer, name_counts);
      if (one_tensor) {
        producer[n->output()] = node.id;
        probe.emplace_back(graph.nodes.size(), n->output());
      }
      graph.nodes.push_back(std::move(node));
    }
    auto out = producer.find(g->outputs()[0]);
    graph.output = out == producer.end() ? -1 : out->second;
    RecordShapes(g, probe, module, graph);
  } catch (const std::exception& e) {
    return InvalidArgument("cannot read the model's graph on an input of the given shape: " + TorchErrorMessage(e));
  }
  CountFlops(graph);
  graph.total_params = model.NumParameters();
  return graph;
}

Status RequireStructuredSupport(const LayerGraph& graph) {
  std::string unsupported;
  for (const LayerNode& n : graph.nodes) {
    bool bad = n.kind == OpKind::kOther ||
               ((n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) && n.in_channels == 0);
    if (bad) unsupported += "\n  " + n.op + " at node " + n.value + " (" + n.name + ")";
  }
  if (unsupported.empty()) return Status::Ok();
  return InvalidArgument("structured pruning keeps the channels these ops read as they are (hone does not follow "
                         "channels through them; unstructured pruning is not affected):" + unsupported);
}

}  // namespace hone::compress
