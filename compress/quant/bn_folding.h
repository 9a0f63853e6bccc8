// Folding batch norms into the convolutions before them, the first step of quantization:
// conv -> bn becomes one conv with W' = W x g / sqrt(var + eps) per output channel and
// b' = (b - mean) x g / sqrt(var + eps) + beta, so the quantized model rounds the weights
// it really computes with. Works on any TorchScript model hone loads (zoo models, models
// scripted or traced in Python). Torch-free.
//
//   auto folded = FoldBatchNorms(model);
//   if (!folded.ok()) return folded.status();
//   for (const FoldedLayer& f : folded->folded) std::cout << f.conv << " <- " << f.batch_norm << "\n";
//
// The folded model computes the original's eval-mode function (the batch norms' running
// statistics, not batch statistics); the input model is not changed. The rewrite is in
// the model's inlined forward: the folded batch norms stay registered (their state_dict
// entries remain) but are no longer called, and calling a folded convolution on its own
// still skips the batch norm's shift, as in SetConvGroups.
#pragma once

#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct FoldedLayer {
  std::string conv;        // module path of the convolution ("layer1.b0.conv1")
  std::string batch_norm;  // module path of the batch norm folded into it
  bool relu = false;       // the folded output goes through relu (conv-bn-relu)
};

struct FoldResult {
  ScriptModel model;
  std::vector<FoldedLayer> folded;
  std::vector<std::string> kept;  // "<batch norm>: why it stays" for each one not folded
};

// Errors: a model without a forward method, or libtorch failing on the rewrite.
StatusOr<FoldResult> FoldBatchNorms(const ScriptModel& model);

}  // namespace hone::compress
