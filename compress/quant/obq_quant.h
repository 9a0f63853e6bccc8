// OBQ-style post-training weight quantization (Optimal Brain Compression, Frantar et al.
// 2022; GPTQ, Frantar et al. 2023): every convolution and linear weight put on its
// per-output-channel symmetric grid one input column at a time, each rounding error
// compensated by moving the columns not yet quantized, so that the layer's output on
// calibration images changes as little as possible (least squares, H = 2 X X^T / n from
// the layer's inputs X). No training; 4-bit and 3-bit weights stay far closer to the
// float model than round-to-nearest (QuantizeWeightsRtn). Torch-free.
//
//   auto folded = FoldBatchNorms(model);                              // fold first
//   auto q = QuantizeWeightsObq(folded->model, train_images, norm, {.spec = WeightSpec(4)});
//   for (const LayerWeightError& e : q->layers) std::cout << e.layer << " " << e.output_error << "\n";
//   q->model.Save("w4.pt");      // float storage, every weight on q->weight_grids[layer]
//
// The grids are per output channel, symmetric, from the min-max of the weights being
// quantized (the original weights, or the compensated ones below); OBQ chooses the codes,
// not the scales. Layers are quantized one after another in execution order, on
// `batches` x `batch_size` seeded images in eval mode, each from H of its inputs in the
// model whose earlier layers are already quantized (sequential, GPTQ's mode), after its
// weights absorbed what those layers changed in its input (compensate: W* = W X X~^T
// (X~ X~^T + damp)^-1, X its inputs in the float model, X~ in the quantized one, as the
// obs pruner does). sequential = false takes H from the float model's inputs. Columns
// go in order of decreasing Hessian diagonal (act_order), in blocks of `block` with lazy
// updates; grouped convolutions are solved group by group. Measured on Fashion-MNIST
// (resnet20 trained 1 epoch, 83.6 % float): 4 bits, round-to-nearest 80.5 %, OBQ 83.4 %;
// 3 bits, 60.3 % and 83.2 %. Compensation is what counts at 3 bits (83.2 % against
// 82.4 % sequential alone and 82.7 % from float inputs; vgg-small 73.9 % against 71.7 %
// and 72.0 %); act_order against natural order is within noise there (83.2 / 83.4 %,
// vgg-small 73.9 / 73.5 %). Weights whose layer input cannot be observed in the forward
// graph (inside a branch or loop, or a module not called as a convolution or linear
// layer) are rounded to nearest: their output_error stays 0.
//
// Each LayerWeightError's output_error is ||(W_q - W*) X~||^2 / ||W* X~||^2 (W* = W
// without compensation) and rtn_output_error the same for W rounded to nearest on its
// own grid; relative_error and mse compare W_q with the original W.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/model/script_model.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/weight_quant.h"
#include "core/status.h"

namespace hone::compress {

struct ObqOptions {
  QuantSpec spec = WeightSpec(4);  // per-output-channel symmetric grids from the weights' min-max
  int64_t batches = 16;            // calibration batches of the user's images
  int64_t batch_size = 64;
  double damp = 0.01;              // added to H's diagonal: damp x mean(diag H)
  int64_t block = 128;             // lazy-update block (GPTQ)
  bool act_order = true;           // columns by decreasing Hessian diagonal; false: natural order
  bool sequential = true;          // inputs from the partly quantized model; false: from the float model
  bool compensate = true;          // sequential: weights first absorb earlier layers' change (W X X~^T (X~ X~^T)^-1)
  uint64_t seed = 0;               // which images: a seeded shuffle
  std::set<std::string> exclude = {};  // layers (module paths) left as they are
  int threads = 0;                 // libtorch intra-op threads, set process-wide (SetTorchThreads; 0: all cores)
  std::FILE* progress = nullptr;   // a line per layer; nothing when null
};

struct ObqResult {
  ScriptModel model;                                  // weights on their grids (float storage), else unchanged
  std::vector<LayerWeightError> layers;               // quantized layers, in execution order
  std::map<std::string, ChannelParams> weight_grids;  // per layer: the grid its weights lie on
};

// A copy of `folded` (batch norms already folded: FoldBatchNorms) with every
// convolution and linear weight not in options.exclude on its grid; the input model is
// not changed. Errors: an invalid spec, no data, an excluded name that is no layer, a
// model with no layer to quantize, images the model does not accept, a Hessian that
// stays singular after dampening (raise damp).
StatusOr<ObqResult> QuantizeWeightsObq(const ScriptModel& folded, const ImageSet& data, const Normalization& norm,
                                       const ObqOptions& options);

}  // namespace hone::compress
