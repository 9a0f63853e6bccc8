// The quantization configuration of `hone compress quantize`, in NNI v3's config-list form:
//
//   quantizer: ptq          # ptq     static int8 (real kernels), activations calibrated
//                           # dynamic int8 linear layers, activations quantized per batch
//                           # qat | lsq  fake-quant training (STE | learned step sizes)
//                           # obq     error-compensated weights from calibration images
//                           # rtn     weights rounded to nearest
//   engine: onednn          # onednn | qnnpack: the int8 kernels
//   observer: entropy       # minmax | moving_average | percentile | entropy (activations)
//   calibration: {batches: 16, batch_size: 64, percentile: 99.99}
//   training: {epochs: 1, lr: 0.01, optimizer: sgd, batch_size: 64}   # qat, lsq
//   obq: {damp: 0.01, block: 128, act_order: true}
//   config_list:
//     - op_types: [Conv2d, Linear]             # selection as in prune configs: op_names
//       target_names: [_input_, weight, _output_]  # (globs), op_names_re, exclude_op_names...
//       quant_dtype: int8      # int2..int8, uint2..uint8
//       quant_scheme: affine   # affine | symmetric
//       granularity: default   # default | per_channel | per_tensor
//     - op_names: [fc]
//       target_settings: {weight: {quant_dtype: int4}}   # one target's own settings
//     - op_names: [conv1]
//       exclude: true
//
// Rules. A layer's setting of each target comes from the last entry that selects the
// layer and names the target (NNI's rule: later entries overwrite earlier ones); an
// `exclude` entry leaves the layer in float. Weights are signed symmetric grids (the int8
// kernels need zero point 0): per output channel by default, per_tensor on request; a
// quant_scheme: affine written for several targets applies to the activations, written for
// the weight alone it is an error. Activations (_input_, _output_) are per-tensor affine
// grids (intN and uintN give the same 2^N levels). ptq and dynamic emit int8 kernels, so
// their activations must be 8-bit (weights may use 2..8 bits, stored as int8 codes); obq
// and rtn quantize weights only, and with activation targets (8-bit) emit an int8 model
// too; qat and lsq emit an int8 model with 8-bit activations, else the fake-quant model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compress/prune/prune_config.h"
#include "compress/quant/observer.h"
#include "compress/quant/quant_engine.h"
#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

enum class Quantizer { kPtq, kDynamic, kQat, kLsq, kObq, kRtn };

// "ptq", ...; ParseQuantizer also takes NNI's class names (PtqQuantizer, QATQuantizer,
// LsqQuantizer), case-insensitively.
const char* QuantizerName(Quantizer q);
StatusOr<Quantizer> ParseQuantizer(const std::string& name);

// Whether `q` trains (qat, lsq), needs images (all but dynamic and rtn without activations).
bool QuantizerTrains(Quantizer q);

// A name of the config with where it was written (for the model check).
struct ConfigName {
  std::string name;
  int line = 0;  // 1-based
  int column = 0;
};

struct QuantRule {
  PruneRule select;  // op_types, op_names, ... (RuleMatches); its sparse fields are unused
  std::optional<QuantSpec> input, weight, output;  // the targets this entry sets
  bool weight_per_tensor = false;
  bool exclude = false;
  std::vector<ConfigName> names;  // op_names as written, each to be found in the model
};

struct QuantTraining {
  int epochs = 1;
  double lr = 0.01;
  std::string optimizer = "sgd";  // sgd | adam | adamw
  int64_t batch_size = 64;
};

struct ObqSettings {
  double damp = 0.01;
  int64_t block = 128;
  bool act_order = true;
};

struct QuantConfig {
  std::string origin;  // the file, for errors found later (the model check)
  Quantizer quantizer = Quantizer::kPtq;
  QuantEngine engine = QuantEngine::kOneDnn;
  ObserverOptions observer{.kind = ObserverKind::kMinMax};
  int64_t calibration_batches = 16;
  int64_t calibration_batch_size = 64;
  QuantTraining training;
  ObqSettings obq;
  std::vector<QuantRule> rules;
};

// Parses the YAML text; `origin` names the file in errors, which follow hone's
// "file:line:col: error: key.path: what must hold, but got what" format, all at once.
StatusOr<QuantConfig> ParseQuantConfig(const std::string& yaml_text, const std::string& origin);
StatusOr<QuantConfig> LoadQuantConfig(const std::string& path);

// One convolution or linear layer of the model, as the config sees it.
struct QuantLayerRef {
  std::string name;     // module path
  std::string op_type;  // "Conv2d", "Linear"
};

// What happens to one layer: its grids (nullopt: that target stays float), or why the
// layer stays in float.
struct LayerQuantPlan {
  std::string layer;
  std::string op_type;
  std::optional<QuantSpec> input, weight, output;
  bool weight_per_tensor = false;
  std::string reason;  // empty when quantized: "excluded by config_list[1]", ...

  bool quantized() const { return reason.empty(); }
  bool activations() const { return input.has_value() || output.has_value(); }
};

// Resolves the config over the model's layers (in their order). Errors (file:line:col):
// an op_names entry that names no layer of the model, a config that quantizes no layer.
StatusOr<std::vector<LayerQuantPlan>> PlanQuantization(const QuantConfig& config,
                                                       const std::vector<QuantLayerRef>& layers);

}  // namespace hone::compress
