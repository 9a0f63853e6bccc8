// ScriptModel: a TorchScript module (a .pt file written by torch.jit.save, or one of
// hone's zoo models) behind a torch-free handle, so that callers such as the CLI and
// trials do not compile libtorch headers. compress/model/script_model_torch.h reaches
// the module itself.
//
//   auto model = ScriptModel::Load("m.pt");
//   if (!model.ok()) return model.status();
//   HONE_RETURN_IF_ERROR(model->Save("copy.pt"));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone::compress {

class ScriptModel {
 public:
  struct Impl;

  static StatusOr<ScriptModel> Load(const std::string& path);
  Status Save(const std::string& path) const;

  // Parameters (not buffers) in the whole module tree.
  int64_t NumParameters() const;
  // Runs forward on zeros of `input_shape` and returns the output shape.
  StatusOr<std::vector<int64_t>> OutputShape(const std::vector<int64_t>& input_shape) const;

  Impl& impl() const { return *impl_; }
  explicit ScriptModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<Impl> impl_;
};

// Parses "1,1,28,28" into {1, 1, 28, 28}; every dimension must be a positive integer.
StatusOr<std::vector<int64_t>> ParseShape(const std::string& text);

// Sets libtorch's intra-op thread count (threads <= 0: the number of cores).
void SetTorchThreads(int threads);

}  // namespace hone::compress
