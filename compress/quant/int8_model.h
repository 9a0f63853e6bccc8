// Real int8 models from post-training quantization: a folded, calibrated model becomes a
// TorchScript module whose forward runs ATen's quantized kernels (quantized::conv2d,
// quantized::linear, quantized::add on uint8 activations with int8 per-channel weights),
// so that it is about 4x smaller on disk and runs on the oneDNN or QNNPACK engine. The
// model saves and loads in C++ and in Python's torch 1.13 (with
// torch.backends.quantized.engine set to the same engine). Torch-free.
//
//   auto folded = FoldBatchNorms(model);
//   auto graph = BuildLayerGraph(folded->model, {1, 1, 28, 28});
//   auto points = CalibrateActivations(folded->model, *graph, images, norm, {});
//   auto int8 = ConvertToInt8(folded->model, *points, {.engine = QuantEngine::kOneDnn});
//   for (const Int8Layer& l : int8->layers) if (!l.quantized) std::cout << l.layer << ": " << l.reason << "\n";
//   HONE_RETURN_IF_ERROR(int8->model.Save("q.pt"));
//
// Tensors stay quantized between layers through ops that run on quantized tensors (relu,
// max/avg pooling, flatten and reshapes, residual adds via quantized::add); float
// resumes (aten::dequantize) only where a float op reads the value. A layer that cannot
// run in int8 (input or output not calibrated, excluded, not a 2-d convolution, transposed,
// refused by the engine) stays in float, with its reason in `layers`.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "compress/quant/activation_calibration.h"
#include "compress/quant/quant_engine.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

struct Int8Options {
  QuantEngine engine = QuantEngine::kOneDnn;
  // Per layer (module path): the weight grid to use instead of 8-bit per-channel min-max;
  // the layer's weights already lie on it (QAT, LSQ, OBQ results). A grid of fewer than 8
  // bits is stored as int8 codes.
  std::map<std::string, ChannelParams> weight_grids;
  std::set<std::string> exclude;  // layers kept in float ("excluded by the config")
};

struct Int8Layer {
  std::string layer;  // module path
  std::string op;     // "conv2d", "linear"
  bool quantized = false;
  std::string reason;  // why it stays in float (empty when quantized)
  float input_scale = 0, output_scale = 0;
  int64_t input_zero_point = 0, output_zero_point = 0;
  double weight_relative_error = 0;  // ||W_q - W|| / ||W||
};

struct Int8Result {
  ScriptModel model;
  std::vector<Int8Layer> layers;
};

// REQUIRES: `points` come from CalibrateActivations on `folded` (FoldBatchNorms' output).
// Sets the process-global quantized engine to options.engine (UseQuantEngine); run the
// result with that engine. The input model is not changed. Errors: the engine is not
// available, a point whose grid is not unsigned 8-bit ([0, 255]), a point names no value of the model's forward, libtorch failing on the rewrite.
StatusOr<Int8Result> ConvertToInt8(const ScriptModel& folded, const std::vector<ActivationPoint>& points,
                                   const Int8Options& options);

}  // namespace hone::compress
