// Quantization-aware training: the folded model's forward rewritten with trainable
// quantizers on every convolution and linear weight and on every calibrated activation
// point, then trained with hone's Trainer, so that the weights (and, with LSQ, the grids)
// adapt to the quantization the int8 model will apply. Torch-free.
//
//   auto folded = FoldBatchNorms(model);
//   auto graph = BuildLayerGraph(folded->model, {1, 1, 28, 28});
//   CalibrationOptions cal;
//   cal.spec = ActivationSpec(4);
//   auto points = CalibrateActivations(folded->model, *graph, train, norm, cal);
//   QatOptions opt;
//   opt.method = QatMethod::kLsq;
//   opt.weights = WeightSpec(4);
//   opt.activations = ActivationSpec(4);
//   opt.train.optimizer = "adam"; opt.train.lr = 5e-4; opt.train.weight_decay = 0;
//   auto qat = TrainQuantAware(folded->model, *points, train, &test, norm, opt);
//   HONE_RETURN_IF_ERROR(qat->model.Save("qat.pt"));  // the simulated (fake-quant) model
//   // qat->weights, qat->points and qat->weight_grids are the input of the int8 converter.
//
// Methods:
// - kSte ("qat"): PyTorch-style QAT with a straight-through estimator. Each weight goes
//   through fake_quantize_per_channel_affine with symmetric per-output-channel scales
//   recomputed from the current weight's max|w| on every forward (a per-channel min-max
//   observer; the scales carry no gradient). Activations go through
//   fake_quantize_per_tensor_affine on the grids of the calibration, kept fixed: the
//   training forward is a straight line (no observer state to update, the same function
//   in train and eval mode, deterministic), and the points the caller calibrated are the
//   ones the int8 model uses. Gradients pass unchanged inside the grid, zero outside.
// - kLsq ("lsq", Esser et al. 2020, learned step size quantization): the step sizes are
//   parameters of the model, trained by the same optimizer as the weights, through
//   _fake_quantize_learnable_per_channel_affine (weights, one step per output channel,
//   zero point 0) and _fake_quantize_learnable_per_tensor_affine (activations), with the
//   gradient scale 1 / sqrt(n * qmax) of the paper (n: the weights of one channel; the
//   features of one sample for activations). Activation steps start from the calibrated
//   scales, their zero points stay the calibrated ones (not learned); weight steps start
//   from the min-max grid or from 2 mean|w| / sqrt(qmax) (`lsq_weight_init`). A step is
//   clamped at float32's epsilon in the forward, so it never reaches 0.
//   The step parameters are registered on the root module as "qat_<path>_weight_step"
//   (the path's dots as underscores) and "qat_act<i>_step"/"qat_act<i>_zero_point"; the
//   options.train optimizer (and its weight decay) applies to them as to the weights.
//   A point read through a max pool or flatten from the previous quantized output starts
//   on that grid, and its step has no gradient until the two steps differ.
//
// Batch norms are already folded (the forward no longer calls them): training updates the
// folded weights and biases directly. The training forward is the eval-mode graph (no
// dropout; a batch norm that could not be folded uses its running statistics). The input
// model is not changed. The quantizers run on any device options.train.device names.
// Figures (vgg-small width 8, 4000 Fashion-MNIST images, one float epoch, then one QAT
// epoch with Adam at 5e-4; QatSlowTest): float 75.8 %, w4a4 PTQ 65.1 %, QAT 72.5 %,
// LSQ 72.3 % (72.7 % with mean|w| steps); w8a8 LSQ 76.4 %, 76.4 % once converted to int8.
//
// After training, `weights` is `folded` with the trained weights and biases and every
// weight snapped onto its final grid (`weight_grids`), and `points` carry the final
// activation grids, so that the int8 converter given (weights, points, weight_grids)
// computes what `model` simulates.
//
// Thread safety: one call at a time per model (see Train).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/model/script_model.h"
#include "compress/quant/activation_calibration.h"
#include "compress/quant/quant_params.h"
#include "compress/train/trainer.h"
#include "core/status.h"

namespace hone::compress {

enum class QatMethod { kSte, kLsq };

// "qat" (straight-through estimator) or "lsq"; else an error listing them.
StatusOr<QatMethod> ParseQatMethod(std::string_view name);
std::string_view QatMethodName(QatMethod method);

// How LSQ's weight steps start: the per-channel min-max grid (max|w| / ((qmax - qmin) / 2)),
// or the paper's 2 mean|w| / sqrt(qmax) per channel.
enum class LsqWeightInit { kMinMax, kMeanAbs };

struct QatOptions {
  QatMethod method = QatMethod::kLsq;
  QuantSpec weights = WeightSpec(8);          // per-channel symmetric
  QuantSpec activations = ActivationSpec(8);  // per-tensor affine
  LsqWeightInit lsq_weight_init = LsqWeightInit::kMinMax;
  TrainOptions train;
};

struct QatResult {
  // The trained fake-quant model; its eval forward simulates the quantized model.
  ScriptModel model;
  // The folded float model with the trained weights snapped onto their grids.
  ScriptModel weights;
  // The learned activation grids (same layers and values as the input points).
  std::vector<ActivationPoint> points;
  // Per layer (module path): the final weight grid.
  std::map<std::string, ChannelParams> weight_grids;
  std::vector<EpochStats> history;
};

// REQUIRES: `folded` from FoldBatchNorms, `points` from CalibrateActivations on it (they
// initialise the activation grids: each starts as options.activations' grid of its range).
// Errors: invalid specs or training options, a point whose value is not in the forward,
// training failures (see Train).
StatusOr<QatResult> TrainQuantAware(const ScriptModel& folded, const std::vector<ActivationPoint>& points,
                                    const ImageSet& train, const ImageSet* test, const Normalization& norm,
                                    const QatOptions& options, const EpochCallback& on_epoch = {});

}  // namespace hone::compress
