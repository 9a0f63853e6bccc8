// Quantization grids and their parameters: the integer range of a bit width and scheme,
// and the scale and zero point that map an observed [min, max] onto it, computed exactly
// as PyTorch 1.13's observers do (float32 arithmetic, the range widened to include 0,
// the scale at least float32's epsilon, zero points rounded half to even). Torch-free.
//
//   QuantParams a = ChooseQuantParams({-0.5f, 3.0f}, ActivationSpec(8));  // uint8 affine
//   QuantParams w = ChooseQuantParams({-1.0f, 2.0f}, WeightSpec(4));      // int4 symmetric
//   float y = FakeQuantizeValue(0.7f, a);   // 0.7 on the grid: within scale / 2 of 0.7
//
// Activations use per-tensor affine unsigned grids [0, 2^bits - 1]; weights per-channel
// symmetric signed grids [-2^(bits-1), 2^(bits-1) - 1] with zero point 0. Symmetric
// scales divide max|x| by (qmax - qmin) / 2 (127.5 at 8 bits), as PyTorch does.
// reduce_range (7-bit activations, for FBGEMM) is never used: hone targets oneDNN and
// QNNPACK, whose qconfigs turn it off.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone::compress {

enum class QuantScheme { kAffine, kSymmetric };

// A quantization grid. REQUIRES (checked by ValidateQuantSpec for user input): 2 <= bits <= 8.
struct QuantSpec {
  int bits = 8;
  bool is_signed = false;
  QuantScheme scheme = QuantScheme::kAffine;

  int64_t qmin() const { return is_signed ? -(int64_t{1} << (bits - 1)) : 0; }
  int64_t qmax() const { return is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1; }
};

// Unsigned affine (uint8 at 8 bits): activations.
QuantSpec ActivationSpec(int bits = 8);
// Signed symmetric (int8 at 8 bits): weights, one grid per output channel.
QuantSpec WeightSpec(int bits = 8);

// OK when 2 <= bits <= 8; else an error naming the value.
Status ValidateQuantSpec(const QuantSpec& spec);

// "uint8 affine", "int4 symmetric".
std::string QuantSpecName(const QuantSpec& spec);

// The range an observer saw. min > max means nothing was observed.
struct ValueRange {
  float min = 0.0f;
  float max = 0.0f;
};

// x -> clamp(round(x / scale) + zero_point, qmin, qmax); back: (q - zero_point) * scale.
struct QuantParams {
  float scale = 1.0f;
  int64_t zero_point = 0;
  int64_t qmin = 0;
  int64_t qmax = 255;
};

// One grid per slice of `axis` (per output channel for axis 0).
struct ChannelParams {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  int64_t axis = 0;
  int64_t qmin = -128;
  int64_t qmax = 127;
};

// The parameters of `spec` for values in `range` (PyTorch's _calculate_qparams).
QuantParams ChooseQuantParams(ValueRange range, const QuantSpec& spec);

// The integer code of `x` (ATen's quantize_val: round(x * (1 / scale)) half to even).
int64_t QuantizeValue(float x, const QuantParams& p);
// `x` quantized and dequantized.
float FakeQuantizeValue(float x, const QuantParams& p);

}  // namespace hone::compress
