// Building blocks of TorchScript modules made in C++: each layer is a script module with
// registered parameters and buffers and a forward method compiled from TorchScript
// source. Class names derive from the layer's path, so every layer has its own class.
#pragma once

#include <torch/script.h>

#include <string>

namespace hone::compress::layers {

// An empty module in training mode, of class __torch__.hone.zoo.<kind>_<path>.
torch::jit::Module NewModule(const std::string& kind, const std::string& path);

// y = conv2d(x); weights uniform(+-1/sqrt(fan_in)) (PyTorch's default) or, with
// kaiming, normal with std sqrt(2 / fan_out) (for nets with batch norm).
torch::jit::Module Conv2d(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                          int64_t padding, int64_t groups, bool bias, bool kaiming);
torch::jit::Module Linear(const std::string& path, int64_t in, int64_t out);
torch::jit::Module BatchNorm2d(const std::string& path, int64_t channels);

// Compiles `code` as the module's methods. Calls of submodules written self.name(x)
// become self.name.forward(x), the form TorchScript compiled from C++ requires.
void Define(torch::jit::Module& m, const std::string& code);

// Output side of a convolution or pooling window.
inline int64_t OutSize(int64_t in, int64_t kernel, int64_t stride, int64_t padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

}  // namespace hone::compress::layers
