// Calibration of activation grids for post-training quantization: the model runs on N
// batches of the user's images and an observer per quantization point learns its range.
// The points are where a quantized convolution or linear layer meets activations: its
// input, and its output, taken after the relu that follows it when that relu is its only
// reader (the relu is fused, as PyTorch's ConvReLU2d; a relu6, or any hardtanh from 0, fuses
// the same way: the output grid's saturation is its upper clamp). Torch-free.
//
//   auto graph = BuildLayerGraph(folded, {1, 1, 28, 28});
//   auto points = CalibrateActivations(folded, *graph, train_images, norm,
//                                      {.observer = {.kind = ObserverKind::kEntropy}, .batches = 16});
//   for (const ActivationPoint& p : *points) std::cout << p.layer << " " << p.params.scale << "\n";
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/quant/observer.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

struct CalibrationOptions {
  ObserverOptions observer;
  QuantSpec spec = ActivationSpec(8);
  int64_t batches = 8;
  int64_t batch_size = 64;
  uint64_t seed = 0;  // which images: a seeded shuffle
};

struct ActivationPoint {
  std::string layer;   // the convolution or linear layer (LayerNode::name)
  bool is_input = false;  // its input; else its output
  bool after_relu = false;  // an output observed after the fused relu
  std::string value;  // the observed value in the eval-mode forward graph ("%input.5")
  ValueRange range;
  QuantParams params;
};

// Two points (input, output) per convolution and linear layer of `graph`, in graph order.
// Errors: no such layer, a batch the model cannot run on, data without images.
StatusOr<std::vector<ActivationPoint>> CalibrateActivations(const ScriptModel& model, const LayerGraph& graph,
                                                            const ImageSet& data, const Normalization& norm,
                                                            const CalibrationOptions& options);

}  // namespace hone::compress
