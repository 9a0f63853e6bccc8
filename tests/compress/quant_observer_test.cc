// Observers: min-max, the moving average after several batches, percentile clipping an
// outlier, and entropy (KL) calibration beating min-max on a Gaussian with outliers.
#include "compress/quant/observer.h"

#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "compress/quant/abs_histogram.h"
#include "compress/quant/fake_quant_torch.h"

namespace hone::compress {
namespace {

std::unique_ptr<Observer> Make(ObserverKind kind) { return MakeObserver({.kind = kind}); }

TEST(ObserverTest, NothingObservedIsTheZeroRange) {
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kMovingAverage, ObserverKind::kPercentile,
                            ObserverKind::kEntropy}) {
    auto obs = Make(kind);
    obs->Observe({});
    EXPECT_EQ(obs->Range().min, 0.0f) << obs->name();
    EXPECT_EQ(obs->Range().max, 0.0f) << obs->name();
    EXPECT_EQ(obs->name(), ObserverKindName(kind));
  }
}

TEST(ObserverTest, MinMaxKeepsTheExtremesOfAllBatches) {
  auto obs = Make(ObserverKind::kMinMax);
  std::vector<float> a{0.5f, -1.0f, 2.0f}, b{3.0f, 0.0f}, c{-0.25f};
  obs->Observe(a);
  obs->Observe(b);
  obs->Observe(c);
  EXPECT_EQ(obs->Range().min, -1.0f);
  EXPECT_EQ(obs->Range().max, 3.0f);
  QuantParams p = ChooseQuantParams(obs->Range(), ActivationSpec(8));
  EXPECT_FLOAT_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point, 64);
}

TEST(ObserverTest, MovingAverageMovesByOnePercentOfEachBatch) {
  auto obs = Make(ObserverKind::kMovingAverage);
  std::vector<float> b1{-1.0f, 1.0f}, b2{-2.0f, 3.0f}, b3{0.0f, 5.0f};
  obs->Observe(b1);
  EXPECT_EQ(obs->Range().min, -1.0f);
  EXPECT_EQ(obs->Range().max, 1.0f);
  obs->Observe(b2);  // -1 + 0.01 (-2 + 1), 1 + 0.01 (3 - 1)
  EXPECT_FLOAT_EQ(obs->Range().min, -1.01f);
  EXPECT_FLOAT_EQ(obs->Range().max, 1.02f);
  obs->Observe(b3);  // -1.01 + 0.01 (0 + 1.01), 1.02 + 0.01 (5 - 1.02)
  EXPECT_FLOAT_EQ(obs->Range().min, -0.9999f);
  EXPECT_FLOAT_EQ(obs->Range().max, 1.0598f);
  auto fast = MakeObserver({.kind = ObserverKind::kMovingAverage, .averaging_constant = 0.5});
  fast->Observe(b1);
  fast->Observe(b3);
  EXPECT_FLOAT_EQ(fast->Range().min, -0.5f);
  EXPECT_FLOAT_EQ(fast->Range().max, 3.0f);
}

// 10000 values uniform in [-1, 1] and one at 100.
std::vector<float> UniformWithOutlier() {
  torch::manual_seed(11);
  at::Tensor x = torch::cat({torch::rand({10000}) * 2 - 1, torch::full({1}, 100.0f)});
  return std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
}

TEST(ObserverTest, PercentileClipsAnOutlier) {
  std::vector<float> v = UniformWithOutlier();
  auto minmax = Make(ObserverKind::kMinMax);
  auto pct = MakeObserver({.kind = ObserverKind::kPercentile, .percentile = 99.99});
  minmax->Observe(std::span(v).first(5000));
  minmax->Observe(std::span(v).subspan(5000));
  pct->Observe(std::span(v).first(5000));
  pct->Observe(std::span(v).subspan(5000));
  EXPECT_EQ(minmax->Range().max, 100.0f);
  // 99.99 % of 10001 values lie within |x| <= 1; the histogram's bins are 100 / 2048 wide.
  EXPECT_GT(pct->Range().max, 0.95f);
  EXPECT_LT(pct->Range().max, 1.0f + 100.0f / 2048 + 1e-4f);
  EXPECT_LT(pct->Range().min, -0.95f);
  EXPECT_GE(pct->Range().min, -1.0f);  // never beyond the values seen
  auto all = MakeObserver({.kind = ObserverKind::kPercentile, .percentile = 100.0});
  all->Observe(v);
  EXPECT_FLOAT_EQ(all->Range().max, 100.0f);
}

TEST(ObserverTest, HistogramGrowsWithoutLosingCounts) {
  AbsHistogram h(2048);
  std::vector<float> a{1.0f, -0.5f, 0.0f}, b{4.0f, -3.0f}, c{5000.0f};
  h.Add(a);
  EXPECT_DOUBLE_EQ(h.width(), 1.0 / 2048);
  h.Add(b);
  EXPECT_EQ(h.counts().size(), 4u * 2048);  // same width, more bins
  EXPECT_DOUBLE_EQ(h.counts()[1024], 1.0);  // -0.5
  EXPECT_DOUBLE_EQ(h.counts()[3 * 2048], 1.0);  // -3
  h.Add(c);  // 5000 / (1 / 2048) bins is past 16 x 2048: bins merge until it fits
  EXPECT_LE(h.counts().size(), 16u * 2048);
  EXPECT_GE(h.width() * static_cast<double>(h.counts().size()), 5000.0);
  double sum = 0;
  for (double n : h.counts()) sum += n;
  EXPECT_DOUBLE_EQ(sum, 5.0);
  EXPECT_DOUBLE_EQ(h.zeros(), 1.0);  // counted apart from bin 0
  EXPECT_DOUBLE_EQ(h.total(), 6.0);
  EXPECT_EQ(h.extremes().min, -3.0f);
  EXPECT_EQ(h.extremes().max, 5000.0f);
}

// The mean squared error of quantize-dequantize over `bulk` on the grid of `range`.
double BulkError(const at::Tensor& bulk, ValueRange range) {
  QuantParams p = ChooseQuantParams(range, ActivationSpec(8));
  return (FakeQuantize(bulk, p) - bulk).pow(2).mean().item<double>();
}

TEST(ObserverTest, EntropyPicksAThresholdWellBelowOutliersAndBeatsMinMax) {
  torch::manual_seed(12);
  at::Tensor bulk = torch::randn({200000});
  at::Tensor outliers = torch::tensor({40.0f, -35.0f, 50.0f, 45.0f, -48.0f});
  auto minmax = Make(ObserverKind::kMinMax);
  auto kl = Make(ObserverKind::kEntropy);
  for (const at::Tensor& batch : {bulk.slice(0, 0, 100000), outliers, bulk.slice(0, 100000)}) {
    ObserveTensor(*minmax, batch);
    ObserveTensor(*kl, batch);
  }
  const ValueRange r = kl->Range();
  EXPECT_EQ(minmax->Range().max, 50.0f);
  // Well below the outliers, yet past the bulk's 3 sigma (128 of 2048 bins of 50 / 2048).
  EXPECT_GT(r.max, 3.0f);
  EXPECT_LT(r.max, 10.0f);
  EXPECT_FLOAT_EQ(r.min, -r.max);
  const double kl_error = BulkError(bulk, r);
  const double minmax_error = BulkError(bulk, minmax->Range());
  EXPECT_LT(kl_error * 10, minmax_error) << kl_error << " vs " << minmax_error;
  std::printf("entropy threshold %.4f (min-max 50): bulk MSE %.3g vs min-max %.3g\n", r.max, kl_error, minmax_error);
}

TEST(ObserverTest, EntropyOnAPlainGaussianKeepsMostOfTheRange) {
  torch::manual_seed(13);
  at::Tensor x = torch::randn({100000});
  auto kl = Make(ObserverKind::kEntropy);
  ObserveTensor(*kl, x);
  const float max_abs = x.abs().max().item<float>();
  EXPECT_GT(kl->Range().max, 2.0f);  // past 2 sigma
  EXPECT_LE(kl->Range().max, max_abs);
}

// Half of a relu's output is exactly 0: those values sit on every grid and must not pull
// the threshold down (with them in bin 0, a trained vgg-small lost 35 points at int8).
TEST(ObserverTest, EntropyIgnoresExactZeros) {
  torch::manual_seed(14);
  at::Tensor positive = torch::randn({100000}).abs();
  at::Tensor relu = torch::cat({positive, torch::zeros({100000})});
  auto with_zeros = Make(ObserverKind::kEntropy);
  auto without = Make(ObserverKind::kEntropy);
  ObserveTensor(*with_zeros, relu);
  ObserveTensor(*without, positive);
  EXPECT_EQ(with_zeros->Range().max, without->Range().max);
  EXPECT_GT(with_zeros->Range().max, 2.0f);
  EXPECT_EQ(with_zeros->Range().min, 0.0f);
}

TEST(ObserverTest, ParsesKindNames) {
  EXPECT_EQ(*ParseObserverKind("MinMax"), ObserverKind::kMinMax);
  EXPECT_EQ(*ParseObserverKind("moving_average"), ObserverKind::kMovingAverage);
  EXPECT_EQ(*ParseObserverKind("percentile"), ObserverKind::kPercentile);
  EXPECT_EQ(*ParseObserverKind("kl"), ObserverKind::kEntropy);
  EXPECT_EQ(ParseObserverKind("histogram").status().message(),
            "observer must be one of minmax, moving_average, percentile, entropy, but got 'histogram'");
}

}  // namespace
}  // namespace hone::compress
