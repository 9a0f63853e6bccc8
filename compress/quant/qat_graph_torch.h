// The forward rewrite behind quantization-aware training (quant_aware_training.h): a
// quantizer inserted after every read of a convolution or linear weight and after every
// activation point of the eval-mode forward, then the rewritten graph installed as the
// module's forward. LSQ's step sizes are registered on the root module first, so that the
// forward reads them as parameters.
//
//   torch::jit::Module m = ModuleOf(folded).clone();
//   auto sites = InstallQuantizers(m, points, {.kind = QuantizerKind::kLsq, ...});
//   // train m; then sites->weights[i].step names the root parameter holding the steps.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include "compress/quant/activation_calibration.h"
#include "compress/quant/quant_aware_training.h"
#include "core/status.h"

namespace hone::compress {

enum class QuantizerKind {
  kSte,     // min-max per-channel weight scales each forward, fixed activation grids
  kLsq,     // learned steps (root parameters)
  kStatic,  // fixed activation grids only: the weights are already on their grids
};

struct QuantizerConfig {
  QuantizerKind kind = QuantizerKind::kLsq;
  QuantSpec weights = WeightSpec(8);
  QuantSpec activations = ActivationSpec(8);
  LsqWeightInit weight_init = LsqWeightInit::kMinMax;
};

struct WeightSite {
  std::string layer;  // module path of the convolution or linear layer
  std::string step;   // LSQ: the root parameter with its per-channel steps; else ""
};

struct ActivationSite {
  std::string value;       // the point's value in the eval graph
  QuantParams params;      // the grid it starts on (fixed for kSte and kStatic)
  std::string step;        // LSQ: root parameter [1] with the step; else ""
  std::string zero_point;  // LSQ: root buffer [1] with the (fixed) zero point; else ""
};

struct QuantizerSites {
  std::vector<WeightSite> weights;         // every quantized layer, in graph order
  std::vector<ActivationSite> activations;  // one per distinct point value
  std::vector<size_t> point_site;           // per input point: its index in `activations`
};

// Rewrites `module`'s forward in place (the eval-mode graph with the quantizers).
// Errors: a point whose value is not in the forward, libtorch failing on the rewrite.
StatusOr<QuantizerSites> InstallQuantizers(torch::jit::Module& module, const std::vector<ActivationPoint>& points,
                                           const QuantizerConfig& config);

}  // namespace hone::compress
