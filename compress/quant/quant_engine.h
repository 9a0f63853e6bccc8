// The quantized engine that runs int8 kernels on CPU: oneDNN (the default, x86) or QNNPACK
// (ARM, and x86 without oneDNN). Debian's libtorch 1.13 has both and no FBGEMM. The engine
// is ATen's process-global setting; functions that emit or run quantized models set it
// explicitly with UseQuantEngine. Torch-free.
//
//   auto engine = ParseQuantEngine("qnnpack");
//   if (!engine.ok()) return engine.status();
//   HONE_RETURN_IF_ERROR(UseQuantEngine(*engine));   // before running a quantized model
#pragma once

#include <string_view>

#include "core/status.h"

namespace hone::compress {

enum class QuantEngine { kOneDnn, kQnnpack };

// "onednn" (the default), "qnnpack", case-insensitive; the error lists the names.
StatusOr<QuantEngine> ParseQuantEngine(std::string_view name);

// "onednn", "qnnpack".
const char* QuantEngineName(QuantEngine engine);

// Sets ATen's process-global quantized engine (at::globalContext().setQEngine): every
// quantized op in the process runs on it afterwards. Errors: the engine is not supported
// by this libtorch build.
Status UseQuantEngine(QuantEngine engine);

}  // namespace hone::compress
