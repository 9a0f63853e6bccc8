#include "nas/oneshot/path_sampler_torch.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace hone::nas {
namespace {

namespace F = torch::nn::functional;

int64_t Rows(const Supernet& net) { return static_cast<int64_t>(net.edges.size()); }
int64_t Ops(const Supernet& net) { return static_cast<int64_t>(net.operations.size()); }
int64_t RandomBelow(int64_t n) { return torch::randint(0, n, {1}, torch::kLong).item<int64_t>(); }

at::Tensor OneHot(const Supernet& net, const at::Tensor& choice) {
  return F::one_hot(choice, Ops(net)).to(torch::kFloat);
}

// The darts rows of each node: (first row, count), node by node, normal cell first.
std::vector<std::pair<int64_t, int64_t>> NodeRows(const Supernet& net) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t r = 0; r < net.edges.size(); ++r) {
    bool starts = r == 0 || r == net.normal_edges || net.edges[r].to != net.edges[r - 1].to;
    if (starts) out.emplace_back(static_cast<int64_t>(r), 0);
    ++out.back().second;
  }
  return out;
}

// A node's flattened (edge, operation) distribution with one edge's row left out.
at::Tensor WithoutRow(const at::Tensor& flat, int64_t row, int64_t ops) {
  at::Tensor out = flat.clone();
  out.slice(0, row * ops, (row + 1) * ops).zero_();
  if (out.sum().item<double>() <= 0) {
    out.fill_(1.0);
    out.slice(0, row * ops, (row + 1) * ops).zero_();
  }
  return out;
}

// log P of drawing (a, then b) from a node's logits (count x operations); a, b flat indices.
at::Tensor OrderedLogProb(const at::Tensor& node_logits, int64_t a, int64_t b, int64_t ops) {
  at::Tensor first = torch::log_softmax(node_logits.flatten(), 0)[a];
  at::Tensor mask = torch::zeros_like(node_logits, torch::kBool);
  mask[a / ops].fill_(true);
  at::Tensor second = torch::log_softmax(node_logits.masked_fill(mask, -std::numeric_limits<float>::infinity()).flatten(), 0)[b];
  return first + second;
}

// The two chosen flat indices (row * ops + op, by row) of a node in `path`; false when the
// node does not keep exactly two edges.
bool NodeChoice(const at::Tensor& node_path, int64_t* a, int64_t* b) {
  at::Tensor hot = node_path.flatten().nonzero().flatten();
  if (hot.numel() != 2) return false;
  *a = hot[0].item<int64_t>();
  *b = hot[1].item<int64_t>();
  return true;
}

void MutateDarts(const Supernet& net, Architecture& child) {
  bool reduce = !child.reduce.edges.empty() && RandomBelow(2) == 1;
  CellGenotype& cell = reduce ? child.reduce : child.normal;
  if (cell.edges.size() < 2) return;
  size_t e = static_cast<size_t>(RandomBelow(static_cast<int64_t>(cell.edges.size())));
  size_t pair = e & ~size_t{1};
  if (RandomBelow(2) == 0) {
    cell.edges[e].op = net.operations[static_cast<size_t>(RandomBelow(Ops(net)))];
    return;
  }
  int other = cell.edges[e ^ 1].from;
  int from = static_cast<int>(RandomBelow(cell.edges[e].to - 1));  // [0, to) without `other`
  cell.edges[e].from = from >= other ? from + 1 : from;
  if (cell.edges[pair].from > cell.edges[pair + 1].from) std::swap(cell.edges[pair], cell.edges[pair + 1]);
}

}  // namespace

at::Tensor UniformPath(const Supernet& net) {
  if (net.style == CellStyle::kNb201) return OneHot(net, torch::randint(0, Ops(net), {Rows(net)}, torch::kLong));
  at::Tensor path = torch::zeros({Rows(net), Ops(net)});
  for (const auto& [first, count] : NodeRows(net)) {
    int64_t a = RandomBelow(count), b = RandomBelow(count - 1);
    b += b >= a ? 1 : 0;
    path[first + a][RandomBelow(Ops(net))] = 1.0;
    path[first + b][RandomBelow(Ops(net))] = 1.0;
  }
  return path;
}

at::Tensor SampledPath(const Supernet& net, const at::Tensor& logits) {
  if (net.style == CellStyle::kNb201) {
    return OneHot(net, torch::multinomial(torch::softmax(logits.detach(), 1), 1).squeeze(1));
  }
  const int64_t ops = Ops(net);
  at::Tensor path = torch::zeros({Rows(net), ops});
  for (const auto& [first, count] : NodeRows(net)) {
    at::Tensor flat = torch::softmax(logits.detach().slice(0, first, first + count).flatten(), 0);
    int64_t a = torch::multinomial(flat, 1).item<int64_t>();
    int64_t b = torch::multinomial(WithoutRow(flat, a / ops, ops), 1).item<int64_t>();
    path[first + a / ops][a % ops] = 1.0;
    path[first + b / ops][b % ops] = 1.0;
  }
  return path;
}

at::Tensor PathLogProb(const Supernet& net, const at::Tensor& logits, const at::Tensor& path) {
  if (net.style == CellStyle::kNb201) {
    at::Tensor choice = path.argmax(1);
    return torch::log_softmax(logits, 1).gather(1, choice.unsqueeze(1)).sum();
  }
  const int64_t ops = Ops(net);
  at::Tensor total = torch::zeros({});
  for (const auto& [first, count] : NodeRows(net)) {
    at::Tensor node = logits.slice(0, first, first + count);
    int64_t a = 0, b = 0;
    if (!NodeChoice(path.slice(0, first, first + count), &a, &b)) continue;
    total = total + torch::logsumexp(torch::stack({OrderedLogProb(node, a, b, ops), OrderedLogProb(node, b, a, ops)}), 0);
  }
  return total;
}

at::Tensor PathEntropy(const Supernet& net, const at::Tensor& logits) {
  if (net.style == CellStyle::kNb201) return -(torch::softmax(logits, 1) * torch::log_softmax(logits, 1)).sum();
  at::Tensor total = torch::zeros({});
  for (const auto& [first, count] : NodeRows(net)) {
    at::Tensor flat = logits.slice(0, first, first + count).flatten();
    total = total - (torch::softmax(flat, 0) * torch::log_softmax(flat, 0)).sum();
  }
  return total;
}

at::Tensor GumbelPath(const Supernet& net, const at::Tensor& alpha, double tau) {
  at::Tensor g = -torch::log(-torch::log(torch::rand_like(alpha).clamp(1e-10, 1.0 - 1e-7)));
  at::Tensor soft = torch::softmax((alpha + g) / tau, 1);
  if (net.style == CellStyle::kNb201) {
    at::Tensor hard = OneHot(net, soft.argmax(1));
    return hard - soft.detach() + soft;
  }
  at::Tensor hard = PathWeights(net, ArchitectureFromWeights(net, soft, true));
  return (hard - soft.detach() + soft) * hard.sum(1, true);
}

Architecture MutateArchitecture(const Supernet& net, const Architecture& arch) {
  Architecture child = arch;
  if (net.style == CellStyle::kDarts) {
    MutateDarts(net, child);
    return child;
  }
  int64_t edge = torch::randint(0, Rows(net), {1}).item<int64_t>();
  int64_t op = torch::randint(0, Ops(net), {1}).item<int64_t>();
  child.normal.edges[static_cast<size_t>(edge)].op = net.operations[static_cast<size_t>(op)];
  return child;
}

}  // namespace hone::nas
