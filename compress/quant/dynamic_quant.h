// Dynamic int8 quantization: each linear layer's weights are stored as int8 per output
// channel (symmetric, 8-bit per-channel min-max, or options.weight_grids), and its input is
// quantized on the fly from each batch's own range (quantized::linear_dynamic), so no
// calibration data is needed. Convolutions stay float (listed with the reason). Both
// oneDNN and QNNPACK take per-channel weights in 1.13's linear_dynamic. Torch-free.
//
//   auto dyn = QuantizeDynamic(model, {.engine = QuantEngine::kQnnpack});
//   HONE_RETURN_IF_ERROR(dyn->model.Save("dyn.pt"));
#pragma once

#include "compress/model/script_model.h"
#include "compress/quant/int8_model.h"
#include "core/status.h"

namespace hone::compress {

// Sets the process-global quantized engine to options.engine (UseQuantEngine). The input
// model is not changed; options.exclude keeps layers in float. Errors: the engine is not
// available, libtorch failing on the rewrite.
StatusOr<Int8Result> QuantizeDynamic(const ScriptModel& model, const Int8Options& options);

}  // namespace hone::compress
