// Tensors on quantization grids: observing a tensor, quantize-dequantize (fake quant) per
// tensor and per channel with ATen's own kernels, and the per-channel symmetric weight
// grids of PyTorch's PerChannelMinMaxObserver.
//
//   auto obs = MakeObserver({.kind = ObserverKind::kMinMax});
//   ObserveTensor(*obs, activation);
//   at::Tensor a = FakeQuantize(activation, ChooseQuantParams(obs->Range(), ActivationSpec(8)));
//   at::Tensor w = FakeQuantizePerChannel(weight, ChoosePerChannelParams(weight, 0, WeightSpec(4)));
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <vector>

#include "compress/quant/observer.h"
#include "compress/quant/quant_params.h"

namespace hone::compress {

// Passes the values of `x` (any dtype and device) to `observer` as float32.
void ObserveTensor(Observer& observer, const at::Tensor& x);

// at::fake_quantize_per_tensor_affine on `p`'s grid: the same numbers as quantizing with
// at::quantize_per_tensor and dequantizing, for any bit width.
at::Tensor FakeQuantize(const at::Tensor& x, const QuantParams& p);

// The grid of each slice of `w` along `axis` from that slice's min and max.
ChannelParams ChoosePerChannelParams(const at::Tensor& w, int64_t axis, const QuantSpec& spec);

at::Tensor FakeQuantizePerChannel(const at::Tensor& w, const ChannelParams& p);

// The scales as a float64 tensor and the zero points as int64, the dtypes
// at::quantize_per_channel takes.
at::Tensor ScalesTensor(const ChannelParams& p);
at::Tensor ZeroPointsTensor(const ChannelParams& p);

}  // namespace hone::compress
