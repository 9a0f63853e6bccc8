// Changing the `groups` of a convolution inside a TorchScript module, for speedup of
// depthwise convolutions: their groups equal their channels, so removing channels must
// rewrite the constant in the compiled code (the weights alone do not carry it).
//
//   HONE_RETURN_IF_ERROR(SetConvGroups(root, {{"block1.dw_conv", 60}, {"block2.dw_conv", 90}}));
//
// A layer whose TorchScript class only it uses has the constant rewritten in its own
// forward (inlined first, so that helper methods such as nn.Conv2d's _conv_forward are
// covered). Layers that share their class with others (torch.jit.script gives identical
// nn.Conv2d instances one class) are rewritten where `root`'s forward calls them, after
// inlining that forward: the model computes the right function, while calling such a
// layer on its own would still use the old groups.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/script.h>

#include "core/status.h"

namespace hone::compress {

// REQUIRES: `root` has not run since it was cloned or loaded (libtorch caches the
// optimized graph of a method on its first run). Errors: a layer that is not a
// submodule, or whose convolution is not found in the code.
Status SetConvGroups(torch::jit::Module& root, const std::vector<std::pair<std::string, int64_t>>& groups);

}  // namespace hone::compress
