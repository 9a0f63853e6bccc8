#include "compress/quant/quant_params.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace hone::compress {

QuantSpec ActivationSpec(int bits) { return {.bits = bits, .is_signed = false, .scheme = QuantScheme::kAffine}; }

QuantSpec WeightSpec(int bits) { return {.bits = bits, .is_signed = true, .scheme = QuantScheme::kSymmetric}; }

Status ValidateQuantSpec(const QuantSpec& spec) {
  if (spec.bits >= 2 && spec.bits <= 8) return Status::Ok();
  return InvalidArgument("quantization bits must be between 2 and 8, but got " + std::to_string(spec.bits));
}

std::string QuantSpecName(const QuantSpec& spec) {
  return std::string(spec.is_signed ? "int" : "uint") + std::to_string(spec.bits) +
         (spec.scheme == QuantScheme::kSymmetric ? " symmetric" : " affine");
}

QuantParams ChooseQuantParams(ValueRange range, const QuantSpec& spec) {
  assert(spec.bits >= 2 && spec.bits <= 8);
  // Every step in float32, as the observers compute on float32 tensors.
  const float eps = std::numeric_limits<float>::epsilon();
  const float min_neg = std::min(range.min, 0.0f);
  const float max_pos = std::max(range.max, 0.0f);
  QuantParams p{.scale = 1.0f, .zero_point = 0, .qmin = spec.qmin(), .qmax = spec.qmax()};
  const auto levels = static_cast<float>(p.qmax - p.qmin);
  if (spec.scheme == QuantScheme::kSymmetric) {
    p.scale = std::max(std::max(-min_neg, max_pos) / (levels / 2.0f), eps);
    // An unsigned symmetric grid is centred: 128 for PyTorch's default quint8 range,
    // (qmin + qmax) / 2 for a custom one.
    p.zero_point = spec.is_signed ? 0 : (spec.bits == 8 ? 128 : (p.qmin + p.qmax) / 2);
    return p;
  }
  p.scale = std::max((max_pos - min_neg) / levels, eps);
  const float shift = std::nearbyint(min_neg / p.scale);
  p.zero_point = std::clamp(p.qmin - static_cast<int64_t>(shift), p.qmin, p.qmax);
  return p;
}

int64_t QuantizeValue(float x, const QuantParams& p) {
  const float inv_scale = 1.0f / p.scale;
  const float q = std::nearbyint(x * inv_scale) + static_cast<float>(p.zero_point);
  return std::clamp(static_cast<int64_t>(q), p.qmin, p.qmax);
}

float FakeQuantizeValue(float x, const QuantParams& p) {
  return static_cast<float>(QuantizeValue(x, p) - p.zero_point) * p.scale;
}

}  // namespace hone::compress
