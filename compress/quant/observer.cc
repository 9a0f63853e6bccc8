#include "compress/quant/observer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "compress/quant/abs_histogram.h"

namespace hone::compress {
namespace {

// The min and max of `values` (NaN skipped); false when there is none.
bool BatchRange(std::span<const float> values, ValueRange& r) {
  bool any = false;
  for (float v : values) {
    if (std::isnan(v)) continue;
    if (!any) r = {v, v};
    any = true;
    r.min = std::min(r.min, v);
    r.max = std::max(r.max, v);
  }
  return any;
}

class MinMaxObserver : public Observer {
 public:
  void Observe(std::span<const float> values) override {
    ValueRange b;
    if (!BatchRange(values, b)) return;
    range_ = seen_ ? ValueRange{std::min(range_.min, b.min), std::max(range_.max, b.max)} : b;
    seen_ = true;
  }
  ValueRange Range() const override { return range_; }
  std::string name() const override { return "minmax"; }

 private:
  bool seen_ = false;
  ValueRange range_;
};

// PyTorch's MovingAverageMinMaxObserver: the first batch sets the range, later ones move
// it by c x (batch - range), in float32 as PyTorch computes it.
class MovingAverageObserver : public Observer {
 public:
  explicit MovingAverageObserver(double c) : c_(static_cast<float>(c)) {}
  void Observe(std::span<const float> values) override {
    ValueRange b;
    if (!BatchRange(values, b)) return;
    if (!seen_) {
      range_ = b;
      seen_ = true;
      return;
    }
    const float dmin = c_ * (b.min - range_.min);
    const float dmax = c_ * (b.max - range_.max);
    range_ = {range_.min + dmin, range_.max + dmax};
  }
  ValueRange Range() const override { return range_; }
  std::string name() const override { return "moving_average"; }

 private:
  float c_;
  bool seen_ = false;
  ValueRange range_;
};

class PercentileObserver : public Observer {
 public:
  PercentileObserver(int bins, double percentile) : histogram_(bins), percentile_(percentile) {}
  void Observe(std::span<const float> values) override { histogram_.Add(values); }
  ValueRange Range() const override { return histogram_.Clipped(histogram_.Percentile(percentile_)); }
  std::string name() const override { return "percentile"; }

 private:
  AbsHistogram histogram_;
  double percentile_;
};

class EntropyObserver : public Observer {
 public:
  EntropyObserver(int bins, int quant_bins) : histogram_(bins), quant_bins_(quant_bins) {}
  void Observe(std::span<const float> values) override { histogram_.Add(values); }
  ValueRange Range() const override { return histogram_.Clipped(EntropyThreshold(histogram_, quant_bins_)); }
  std::string name() const override { return "entropy"; }

 private:
  AbsHistogram histogram_;
  int quant_bins_;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::unique_ptr<Observer> MakeObserver(const ObserverOptions& options) {
  switch (options.kind) {
    case ObserverKind::kMinMax:
      return std::make_unique<MinMaxObserver>();
    case ObserverKind::kMovingAverage:
      return std::make_unique<MovingAverageObserver>(options.averaging_constant);
    case ObserverKind::kPercentile:
      return std::make_unique<PercentileObserver>(options.bins, options.percentile);
    case ObserverKind::kEntropy:
      return std::make_unique<EntropyObserver>(options.bins, options.quant_bins);
  }
  return nullptr;
}

StatusOr<ObserverKind> ParseObserverKind(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "minmax") return ObserverKind::kMinMax;
  if (n == "moving_average") return ObserverKind::kMovingAverage;
  if (n == "percentile") return ObserverKind::kPercentile;
  if (n == "entropy" || n == "kl") return ObserverKind::kEntropy;
  return InvalidArgument("observer must be one of minmax, moving_average, percentile, entropy, but got '" +
                         std::string(name) + "'");
}

const char* ObserverKindName(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::kMinMax: return "minmax";
    case ObserverKind::kMovingAverage: return "moving_average";
    case ObserverKind::kPercentile: return "percentile";
    case ObserverKind::kEntropy: return "entropy";
  }
  return "?";
}

}  // namespace hone::compress
