// `hone compress profile MODEL --input 1,1,28,28`: per-layer output shapes, parameters,
// FLOPs and measured latency, and the whole model's latency.
#include <cmath>
#include <cstdio>
#include <memory>

#include "compress/cli/compress_commands.h"
#include "compress/cli/model_input.h"
#include "compress/graph/layer_graph.h"
#include "compress/graph/model_profile.h"

namespace hone::compress {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// 1234567 -> "1,234,567"
std::string Grouped(int64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct ProfileArgs {
  std::string model;
  std::string input = "1,1,28,28";
  bool all = false;
  LatencyOptions latency;
};

Status RunProfile(const ProfileArgs& a) {
  auto net = LoadModelWithGraph(a.model, a.input);
  if (!net.ok()) return net.status();
  const std::vector<int64_t>& shape = net->shape;
  const LayerGraph* graph = &net->graph;
  auto layer_ms = MeasureLayerLatencyMs(net->model, *graph, a.latency);
  if (!layer_ms.ok()) return layer_ms.status();
  auto total = MeasureLatency(net->model, shape, a.latency);
  if (!total.ok()) return total.status();

  std::printf("%-28s %-14s %-16s %12s %16s %10s\n", "layer", "op", "output", "params", "FLOPs", "ms");
  for (const LayerNode& n : graph->nodes) {
    const bool weighted = n.params > 0 || n.flops > 0;
    if (!a.all && !weighted && n.kind != OpKind::kOther) continue;
    std::string op = n.kind == OpKind::kOther ? n.op + " (?)" : std::string(OpKindName(n.kind));
    if (n.kind == OpKind::kConv2d && n.groups > 1) op += n.groups == n.in_channels ? " dw" : " g" + std::to_string(n.groups);
    double ms = (*layer_ms)[static_cast<size_t>(n.id)];
    std::printf("%-28s %-14s %-16s %12s %16s %10s\n", n.name.c_str(), op.c_str(), ShapeText(n.output_shape).c_str(),
                Grouped(n.params).c_str(), Grouped(n.flops).c_str(),
                ms >= 0 ? (std::to_string(std::round(ms * 1000) / 1000).substr(0, 6)).c_str() : "-");
  }
  std::printf("\ninput %s: %s parameters, %s FLOPs (multiply-accumulates), latency %s, median after %d warm-up "
              "runs%s\n",
              ShapeText(shape).c_str(), Grouped(graph->total_params).c_str(), Grouped(graph->total_flops).c_str(),
              LatencyText(*total).c_str(), a.latency.warmup, a.latency.channels_last ? ", channels last" : "");
  for (const LayerNode& n : graph->nodes) {
    if (n.kind == OpKind::kOther) {
      std::printf("note: %s at node %s is not understood; structured pruning keeps the channels it reads\n",
                  n.op.c_str(), n.value.c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

void SetupProfileCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<ProfileArgs>();
  auto* cmd = app.add_subcommand("profile", "Per-layer shapes, parameters, FLOPs and measured latency of a model");
  AddModelOptions(*cmd, a->model, a->input);
  cmd->add_flag("--all", a->all, "Show every op, not only layers with parameters or FLOPs");
  cmd->add_option("--repeats", a->latency.repeats, "Timed runs (the median and the p10-p90 spread are shown)")
      ->capture_default_str();
  cmd->add_option("--threads", a->latency.threads, "libtorch threads while timing (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--warmup", a->latency.warmup, "Untimed runs before the timed ones")->capture_default_str();
  cmd->add_flag("--channels-last", a->latency.channels_last, "Time with input and 4-d weights laid out NHWC");
  cmd->callback([a, result] { *result = RunProfile(*a); });
}

}  // namespace hone::compress
