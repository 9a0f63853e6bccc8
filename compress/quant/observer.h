// Observers: what calibration learns about a tensor's values, reduced to the range its
// quantization grid covers (ChooseQuantParams turns the range into scale and zero point).
// Torch-free: values arrive as float spans; compress/quant/fake_quant_torch.h feeds tensors.
//
//   auto obs = MakeObserver({.kind = ObserverKind::kEntropy});
//   for (const auto& batch : batches) obs->Observe(batch);      // one activation, N batches
//   QuantParams q = ChooseQuantParams(obs->Range(), ActivationSpec(8));
//
// Contract: Observe may be called any number of times (empty spans change nothing);
// Range may be called at any time and is {0, 0} before any value was observed. The kinds
// follow PyTorch 1.13 (min-max, moving average with constant 0.01) and NVIDIA's
// calibrators (percentile and entropy of |x| over a 2048-bin histogram). Not thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "compress/quant/quant_params.h"
#include "core/status.h"

namespace hone::compress {

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void Observe(std::span<const float> values) = 0;
  virtual ValueRange Range() const = 0;
  // The kind's config name ("minmax").
  virtual std::string name() const = 0;
};

enum class ObserverKind {
  kMinMax,         // the smallest and largest value seen
  kMovingAverage,  // min and max of each batch, averaged: m += c * (batch - m)
  kPercentile,     // |x| at the given percentile, the range clipped to +-that
  kEntropy,        // TensorRT's KL-divergence threshold of |x|, the range clipped to +-that
};

struct ObserverOptions {
  ObserverKind kind = ObserverKind::kMinMax;
  double averaging_constant = 0.01;  // moving average
  double percentile = 99.99;         // percentile, in (0, 100]
  int bins = 2048;                   // percentile and entropy: histogram bins of |x|
  int quant_bins = 128;              // entropy: levels of the candidate grid (128 for int8)
};

std::unique_ptr<Observer> MakeObserver(const ObserverOptions& options);

// "minmax", "moving_average", "percentile", "entropy" (also "kl"), case-insensitive.
// Errors: another name (listing the names).
StatusOr<ObserverKind> ParseObserverKind(std::string_view name);
const char* ObserverKindName(ObserverKind kind);

}  // namespace hone::compress
