// Measured CPU latency of a whole model and of its layers (the conv, linear and batch
// norm modules of a LayerGraph, each run alone on a tensor of its input shape).
// Torch-free. Latency is measured over `repeats` runs after `warmup` untimed runs, in eval
// mode without autograd, with libtorch's intra-op threads set to `threads` (one by
// default, so that figures compare across machines and runs; <= 0: one per core), and
// reported as the median with its spread (10th and 90th percentiles, standard deviation).
// With `channels_last` the input and the 4-d weights are laid out NHWC for the runs (the
// layout oneDNN's CPU convolutions handle without reordering; the model's own parameters
// are restored afterwards): pruned channel counts that are not multiples of the kernels'
// block size cost about their FLOPs there, while NCHW pads them back up.
#pragma once

#include <string>
#include <vector>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct LatencyOptions {
  int warmup = 3;
  int repeats = 10;
  int threads = 1;
  bool channels_last = false;
};

// Milliseconds per run over the timed runs.
struct LatencyStats {
  double median = 0;
  double p10 = 0;  // 10th and 90th percentiles (nearest rank)
  double p90 = 0;
  double mean = 0;
  double stdev = 0;
  int runs = 0;
  int threads = 0;  // the libtorch threads it ran with
};

// From the times of single runs (ms; at least one).
LatencyStats SummarizeLatency(std::vector<double> ms, int threads);

// "1.234 ms (p10-p90 1.200-1.300, 20 runs, 1 thread)".
std::string LatencyText(const LatencyStats& stats);

StatusOr<LatencyStats> MeasureLatency(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                      const LatencyOptions& options = {});

// MeasureLatency's median.
StatusOr<double> MeasureLatencyMs(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                  const LatencyOptions& options = {});

// One entry per graph node: the node's module timed alone, or -1 for nodes that are not
// a module's own op (activations, pooling, adds...).
StatusOr<std::vector<double>> MeasureLayerLatencyMs(const ScriptModel& model, const LayerGraph& graph,
                                                    const LatencyOptions& options = {});

}  // namespace hone::compress
