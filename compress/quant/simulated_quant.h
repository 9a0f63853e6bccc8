// A model that simulates its quantized version in float: weights rounded onto their
// per-channel grids and a fake-quantize op on every calibrated activation point, the
// way QAT trains and the measure PTQ is checked with before real int8 kernels run. The
// result is an ordinary TorchScript model (eval mode: its forward is the eval-mode
// graph) that saves and loads in C++ and Python. Torch-free.
//
//   auto points = CalibrateActivations(folded, graph, images, norm, {});
//   auto sim = SimulateQuantization(folded, *points, WeightSpec(8));
#pragma once

#include <vector>

#include "compress/model/script_model.h"
#include "compress/quant/activation_calibration.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

// REQUIRES: `points` come from CalibrateActivations on `model` (their values name its
// eval-mode graph). Errors: an invalid weight spec, a point whose value is not in the graph.
StatusOr<ScriptModel> SimulateQuantization(const ScriptModel& model, const std::vector<ActivationPoint>& points,
                                           const QuantSpec& weights);

}  // namespace hone::compress
