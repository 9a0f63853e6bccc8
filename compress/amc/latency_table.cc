#include "compress/amc/latency_table.h"

#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>

#include "compress/graph/model_profile.h"
#include "compress/model/script_model_torch.h"

namespace hone::compress {

LatencyTable::LatencyTable(std::vector<int64_t> dense_widths, double dense_ms, std::vector<std::vector<int64_t>> widths,
                           std::vector<std::vector<double>> saved_ms, int64_t batch)
    : dense_widths_(std::move(dense_widths)),
      dense_ms_(dense_ms),
      widths_(std::move(widths)),
      saved_ms_(std::move(saved_ms)),
      batch_(batch) {}

int64_t LatencyTable::CheapestWidth(int g, const std::vector<int64_t>& allowed) const {
  int64_t best = allowed.front();
  for (int64_t w : allowed) {
    if (SavedMs(g, w) > SavedMs(g, best)) best = w;
  }
  return best;
}

double LatencyTable::SavedMs(int g, int64_t width) const {
  const std::vector<int64_t>& w = Widths(g);
  const std::vector<double>& s = Saved(g);
  if (w.empty() || width >= w.back()) return 0.0;
  if (width <= w.front()) return s.front();
  const size_t hi = static_cast<size_t>(std::lower_bound(w.begin(), w.end(), width) - w.begin());
  if (w[hi] == width) return s[hi];
  const double f = static_cast<double>(width - w[hi - 1]) / static_cast<double>(w[hi] - w[hi - 1]);
  return s[hi - 1] + f * (s[hi] - s[hi - 1]);
}

double LatencyTable::Cost(const std::vector<int64_t>& kept) const {
  double ms = dense_ms_;
  for (size_t g = 0; g < widths_.size(); ++g) ms -= SavedMs(static_cast<int>(g), kept[g]);
  return ms;
}

std::string LatencyTable::Amount(double cost) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", cost);
  return buf;
}

int LatencyTable::Entries() const {
  int n = 0;
  for (const auto& w : widths_) n += static_cast<int>(w.size());
  return n;
}

std::vector<int64_t> BatchShape(const LayerGraph& graph, int64_t batch) {
  std::vector<int64_t> shape = graph.input_shape;
  if (!shape.empty()) shape[0] = batch;
  return shape;
}

StatusOr<double> MeasureModelMs(const ScriptModel& model, const LayerGraph& graph, const LatencyTableOptions& o) {
  const int saved_threads = at::get_num_threads();
  auto ms = MeasureLatencyMs(model, BatchShape(graph, o.batch),
                             {.warmup = o.warmup, .repeats = std::max(1, o.repeats), .threads = o.threads});
  at::set_num_threads(saved_threads);
  return ms;
}

namespace {

// How removing channels of one group changes a layer: outputs, inputs (features per
// channel) and, for a depthwise convolution, its groups.
struct Narrowing {
  int64_t out = 0;
  int64_t in = 0;
  int64_t groups = 0;
};

// The layers whose cost depends on group g, with how each narrows per removed channel.
std::map<int, Narrowing> TouchedLayers(const ChannelGroup& g) {
  std::map<int, Narrowing> touched;
  for (int p : g.producers) touched[p].out += 1;
  for (const ChannelConsumer& f : g.followers) {
    Narrowing& n = touched[f.node];
    n.out += 1;
    if (std::find(g.depthwise.begin(), g.depthwise.end(), f.node) != g.depthwise.end()) {
      n.in += 1;
      n.groups += 1;
    }
  }
  for (const ChannelConsumer& c : g.consumers) touched[c.node].in += c.spatial;
  return touched;
}

double MedianMs(const std::function<void()>& run, const LatencyTableOptions& o) {
  for (int i = 0; i < o.warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < o.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms.size() % 2 == 1 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
}

// Layer `n` run alone at batch `batch` with `removed` channels of a group narrowing it as
// `by` says (removed 0: its full shape); -1 for a node that is not a timed layer.
double LayerMs(const LayerNode& n, const Narrowing& by, int64_t removed, const LatencyTableOptions& o) {
  if (n.input_shapes.empty() || n.input_shapes[0].size() < 2) return -1;
  std::vector<int64_t> in_shape = n.input_shapes[0];
  in_shape[0] = o.batch;
  if (n.kind == OpKind::kBatchNorm) {
    const int64_t c = in_shape[1] - by.out * removed;
    in_shape[1] = c;
    at::Tensor x = torch::randn(in_shape), w = torch::ones({c}), b = torch::zeros({c});
    return MedianMs([&] { at::batch_norm(x, w, b, w, w, false, 0.1, 1e-5, true); }, o);
  }
  const int64_t in = n.in_channels - by.in * removed, out = n.out_channels - by.out * removed;
  at::Tensor bias;
  if (n.has_bias) bias = torch::randn({out});
  if (n.kind == OpKind::kLinear) {
    in_shape.back() = in;
    at::Tensor x = torch::randn(in_shape), w = torch::randn({out, in});
    return MedianMs([&] { at::linear(x, w, bias); }, o);
  }
  if (n.kind != OpKind::kConv2d || in_shape.size() != 4 || n.kernel.size() != 2) return -1;
  const int64_t groups = std::max<int64_t>(1, n.groups - by.groups * removed);
  in_shape[1] = in;
  const std::vector<int64_t> stride = n.stride.empty() ? std::vector<int64_t>{1, 1} : n.stride;
  const std::vector<int64_t> padding = n.padding.empty() ? std::vector<int64_t>{0, 0} : n.padding;
  const std::vector<int64_t> dilation = n.dilation.empty() ? std::vector<int64_t>{1, 1} : n.dilation;
  at::Tensor x = torch::randn(in_shape), w = torch::randn({out, in / groups, n.kernel[0], n.kernel[1]});
  return MedianMs([&] { at::conv2d(x, w, bias, stride, padding, dilation, groups); }, o);
}

// One group's row: widths and the milliseconds saved at each.
void MeasureGroup(const LayerGraph& graph, const ChannelGroup& g, const WallOptions& wall,
                  const LatencyTableOptions& o, std::map<int, double>& dense_ms, std::vector<int64_t>& widths,
                  std::vector<double>& saved) {
  widths = g.prunable ? WidthRange(g.channels, wall) : std::vector<int64_t>{};
  if (widths.size() < 2) widths.clear();
  if (widths.empty() || widths.back() != g.channels) widths.push_back(g.channels);
  saved.assign(widths.size(), 0.0);
  if (widths.size() < 2) return;
  const std::map<int, Narrowing> touched = TouchedLayers(g);
  for (const auto& [node, by] : touched) {
    const LayerNode& n = graph.nodes[static_cast<size_t>(node)];
    if (!dense_ms.count(node)) dense_ms[node] = LayerMs(n, by, 0, o);
    if (dense_ms[node] < 0) continue;
    for (size_t i = 0; i + 1 < widths.size(); ++i) saved[i] += dense_ms[node] - LayerMs(n, by, g.channels - widths[i], o);
  }
}

}  // namespace

StatusOr<LatencyTable> MeasureLatencyTable(const ScriptModel& model, const LayerGraph& graph,
                                           const ChannelAnalysis& groups, const WallOptions& wall,
                                           const LatencyTableOptions& o) {
  HONE_RETURN_IF_ERROR(ValidateWallOptions(wall));
  if (o.batch < 1 || o.repeats < 1 || o.warmup < 0) {
    return InvalidArgument("amc: the latency table needs batch >= 1, repeats >= 1 and warmup >= 0");
  }
  auto dense = MeasureModelMs(model, graph, o);
  if (!dense.ok()) return dense.status();
  const int saved_threads = at::get_num_threads();
  SetTorchThreads(o.threads);
  std::vector<int64_t> dense_widths;
  std::vector<std::vector<int64_t>> widths(groups.groups.size());
  std::vector<std::vector<double>> saved(groups.groups.size());
  std::map<int, double> dense_ms;
  try {
    torch::NoGradGuard no_grad;
    for (const ChannelGroup& g : groups.groups) {
      dense_widths.push_back(g.channels);
      MeasureGroup(graph, g, wall, o, dense_ms, widths[static_cast<size_t>(g.id)], saved[static_cast<size_t>(g.id)]);
    }
  } catch (const std::exception& e) {
    at::set_num_threads(saved_threads);
    return InvalidArgument("amc: cannot time the model's layers: " + TorchErrorMessage(e));
  }
  at::set_num_threads(saved_threads);
  return LatencyTable(std::move(dense_widths), *dense, std::move(widths), std::move(saved), o.batch);
}

}  // namespace hone::compress
