// Round-to-nearest weight quantization of a whole model: every convolution and linear
// weight replaced by its per-output-channel symmetric fake-quantized values, with the
// per-layer error. The baseline that error-compensating methods (OBQ/GPTQ, LSQ) must
// beat, and the weight side of PTQ. Torch-free.
//
//   auto folded = FoldBatchNorms(model);                         // fold first
//   auto q = QuantizeWeightsRtn(folded->model, WeightSpec(4));
//   for (const LayerWeightError& e : q->layers) std::cout << e.layer << " " << e.relative_error << "\n";
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

struct LayerWeightError {
  std::string layer;        // module path
  int64_t channels = 0;     // output channels, one grid each
  float min_scale = 0.0f;   // the smallest and largest channel step
  float max_scale = 0.0f;
  double mse = 0.0;             // mean squared weight error
  double relative_error = 0.0;  // ||W_q - W|| / ||W||
  // Measured on calibration inputs X by data-driven methods (QuantizeWeightsObq); 0 elsewhere.
  double output_error = 0.0;      // ||(W_q - W) X||^2 / ||W X||^2
  double rtn_output_error = 0.0;  // the same for round-to-nearest on the same grid and inputs
};

struct WeightQuantResult {
  ScriptModel model;
  std::vector<LayerWeightError> layers;  // in module order
};

// A copy of `model` whose weights of rank >= 2 (convolutions, linear layers) lie on
// `spec`'s per-channel grids (channel axis 0); the input model is not changed. Errors:
// an invalid spec, no such weight in the model.
StatusOr<WeightQuantResult> QuantizeWeightsRtn(const ScriptModel& model, const QuantSpec& spec);

}  // namespace hone::compress
