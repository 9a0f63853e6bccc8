#include "compress/quant/quant_engine.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace hone::compress {
namespace {

c10::QEngine AtenEngine(QuantEngine engine) {
  return engine == QuantEngine::kQnnpack ? c10::QEngine::QNNPACK : c10::QEngine::ONEDNN;
}

}  // namespace

StatusOr<QuantEngine> ParseQuantEngine(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "onednn") return QuantEngine::kOneDnn;
  if (lower == "qnnpack") return QuantEngine::kQnnpack;
  return InvalidArgument("quantized engine must be one of onednn, qnnpack, but got '" + std::string(name) + "'");
}

const char* QuantEngineName(QuantEngine engine) { return engine == QuantEngine::kQnnpack ? "qnnpack" : "onednn"; }

Status UseQuantEngine(QuantEngine engine) {
  const c10::QEngine want = AtenEngine(engine);
  const auto& supported = at::globalContext().supportedQEngines();
  if (std::find(supported.begin(), supported.end(), want) == supported.end()) {
    return FailedPrecondition(std::string("quantized engine ") + QuantEngineName(engine) +
                              " is not supported by this libtorch build");
  }
  at::globalContext().setQEngine(want);
  return Status::Ok();
}

}  // namespace hone::compress
