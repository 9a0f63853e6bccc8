// Measured CPU latency of a whole model and of its layers (the conv, linear and batch
// norm modules of a LayerGraph, each run alone on a tensor of its input shape).
// Torch-free. Latency is the median of `repeats` runs after `warmup` runs, in eval mode
// without autograd, with libtorch's intra-op threads set to `threads` (<= 0: one per core).
// With `channels_last` the input and the 4-d weights are laid out NHWC for the runs (the
// layout oneDNN's CPU convolutions handle without reordering; the model's own parameters
// are restored afterwards): pruned channel counts that are not multiples of the kernels'
// block size cost about their FLOPs there, while NCHW pads them back up.
#pragma once

#include <vector>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct LatencyOptions {
  int warmup = 3;
  int repeats = 10;
  int threads = 0;
  bool channels_last = false;
};

StatusOr<double> MeasureLatencyMs(const ScriptModel& model, const std::vector<int64_t>& input_shape,
                                  const LatencyOptions& options = {});

// One entry per graph node: the node's module timed alone, or -1 for nodes that are not
// a module's own op (activations, pooling, adds...).
StatusOr<std::vector<double>> MeasureLayerLatencyMs(const ScriptModel& model, const LayerGraph& graph,
                                                    const LatencyOptions& options = {});

}  // namespace hone::compress
