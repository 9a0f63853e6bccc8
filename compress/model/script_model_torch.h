// The torch side of ScriptModel: the module it holds, and the conversion of libtorch's
// exceptions into Status at the boundary.
#pragma once

#include <torch/script.h>

#include <optional>
#include <string>

#include "compress/model/script_model.h"

namespace hone::compress {

struct ScriptModel::Impl {
  torch::jit::Module module;
};

inline torch::jit::Module& ModuleOf(const ScriptModel& model) { return model.impl().module; }
inline ScriptModel WrapModule(torch::jit::Module module) {
  return ScriptModel(std::make_shared<ScriptModel::Impl>(ScriptModel::Impl{std::move(module)}));
}

// The submodule at a dotted path ("layer1.b0.conv1"), or nullopt.
std::optional<torch::jit::Module> FindSubmodule(torch::jit::Module root, const std::string& path);

// The tensor attribute `name` of the submodule at `layer`, or an undefined tensor.
at::Tensor TensorAttr(torch::jit::Module& root, const std::string& layer, const std::string& name);

// The first line of a c10::Error (its message without the C++ backtrace).
std::string TorchErrorMessage(const std::exception& e);

}  // namespace hone::compress
