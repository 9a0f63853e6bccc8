// The operations of hone's model spaces as TorchScript modules built from C++ (the way
// compress/zoo builds its models), so that a searched network saves, loads in Python
// with torch.jit.load and enters `hone compress` like any model. Every module maps its
// input to `out` channels; a stride of 2 halves the height and width (rounding up).
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <string>

#include "nas/space/operations.h"

namespace hone::nas::ops {

// An empty module of class __torch__.hone.nas.<kind>_<path>, in training mode.
torch::jit::Module NewModule(const std::string& kind, const std::string& path);

// A convolution without bias (kaiming-normal weights) with dilation and groups.
torch::jit::Module Conv(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                        int64_t dilation, int64_t groups);

// relu -> conv (padding keeps the size at stride 1) -> batch norm.
torch::jit::Module ReluConvBn(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride);

// Halves the size with two 1x1 convs of stride 2 on the input and on it shifted by one
// pixel, concatenated (out must be even), then batch norm: DARTS's skip at stride 2.
torch::jit::Module FactorizedReduce(const std::string& path, int64_t in, int64_t out);

// A cell edge's operation on `channels` channels at `stride` (kNone: zeros of the output shape).
torch::jit::Module EdgeOp(const std::string& path, Operation op, int64_t channels, int64_t stride);

// NAS-Bench-201's stride-2 residual block between stages: relu-conv-bn(3x3, stride 2),
// relu-conv-bn(3x3), plus average-pooled, 1x1-projected input.
torch::jit::Module ReductionBlock(const std::string& path, int64_t in, int64_t out);

// MobileNetV2's inverted residual: 1x1 expansion (when expansion > 1), kxk depthwise at
// `stride`, 1x1 linear projection, each with batch norm (relu6 after the first two); the
// input is added when the shapes match.
torch::jit::Module InvertedResidual(const std::string& path, int64_t in, int64_t out, int64_t kernel,
                                    int64_t expansion, int64_t stride);

}  // namespace hone::nas::ops
