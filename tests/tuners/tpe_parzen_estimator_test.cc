#include "tuners/tpe/parzen_estimator.h"

#include <cmath>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tuners/tpe/tpe_sampler.h"

namespace hone {
namespace {

double Integrate1D(const ParzenEstimator& e, double lo, double hi, int steps = 20000) {
  double h = (hi - lo) / steps, sum = 0;
  for (int i = 0; i <= steps; ++i) {
    double w = (i == 0 || i == steps) ? 0.5 : 1.0;
    sum += w * std::exp(e.LogPdf(lo + i * h));
  }
  return sum * h;
}

TEST(TpeParzenEstimatorTest, BoundedDensityIntegratesToOne) {
  std::vector<double> mus = {-0.9, -0.2, 0.1, 0.11, 0.5, 0.98};
  std::vector<double> w = {1, 0.5, 1, 1, 0.2, 1};
  ParzenPrior prior{0, 2, -1, 1};
  ParzenEstimator e(mus, w, prior, 1.0);
  EXPECT_NEAR(Integrate1D(e, -1, 1), 1.0, 1e-3);
  EXPECT_EQ(e.LogPdf(1.5), -std::numeric_limits<double>::infinity());
}

TEST(TpeParzenEstimatorTest, UnboundedNormalPriorIntegratesToOne) {
  std::vector<double> mus = {-1, 0.3, 4};
  std::vector<double> w = {1, 1, 1};
  ParzenPrior prior{0, 2};  // N(0, 2), no bounds
  ParzenEstimator e(mus, w, prior, 1.0);
  EXPECT_NEAR(Integrate1D(e, -30, 30), 1.0, 1e-3);
}

TEST(TpeParzenEstimatorTest, ManyObservationsStillIntegrateToOne) {
  // Enough observations for the windowed sum to skip most components.
  std::vector<double> mus, w;
  for (int i = 0; i < 2000; ++i) {
    mus.push_back(-1 + 2.0 * i / 1999 * (i % 7 == 0 ? 0.3 : 1.0));
    w.push_back(1.0 + (i % 3));
  }
  std::sort(mus.begin(), mus.end());
  ParzenEstimator e(mus, w, ParzenPrior{0, 2, -1, 1}, 1.0);
  EXPECT_NEAR(Integrate1D(e, -1, 1, 200000), 1.0, 2e-3);
}

TEST(TpeParzenEstimatorTest, MassConcentratesNearObservations) {
  std::vector<double> mus, w;  // 20 observations in [0.25, 0.345]
  for (int i = 0; i < 20; ++i) {
    mus.push_back(0.25 + 0.005 * i);
    w.push_back(1);
  }
  ParzenEstimator e(mus, w, ParzenPrior{0.5, 1, 0, 1}, 1.0);
  EXPECT_GT(e.LogPdf(0.3), e.LogPdf(0.9) + 1.0);
  std::mt19937_64 rng(7);
  int near = 0;
  for (int i = 0; i < 2000; ++i) {
    double x = e.Sample(rng);
    ASSERT_GE(x, 0);
    ASSERT_LE(x, 1);
    near += std::fabs(x - 0.3) < 0.15;
  }
  EXPECT_GT(near, 1500);  // a uniform draw lands there 30% of the time
}

TEST(TpeParzenEstimatorTest, MultivariateDensityIntegratesToOne) {
  std::vector<double> mus = {0.1, 0.2, 0.8, 0.9, 0.5, 0.5};  // three 2-D points
  std::vector<double> w = {1, 1, 0.5};
  std::vector<ParzenPrior> priors = {{0.5, 1, 0, 1}, {0.5, 1, 0, 1}};
  MultivariateParzenEstimator e(mus, w, priors, 1.0);
  int steps = 400;
  double h = 1.0 / steps, sum = 0;
  for (int i = 0; i < steps; ++i)
    for (int j = 0; j < steps; ++j) {
      double x[2] = {(i + 0.5) * h, (j + 0.5) * h};
      sum += std::exp(e.LogPdf(x));
    }
  EXPECT_NEAR(sum * h * h, 1.0, 5e-3);
  double at_point[2] = {0.1, 0.2}, far[2] = {0.1, 0.9};
  EXPECT_GT(e.LogPdf(at_point), e.LogPdf(far));
}

TEST(TpeParzenEstimatorTest, BinMassIsTheIntegratedDensity) {
  std::vector<double> mus = {-0.9, -0.2, 0.1, 0.11, 0.5, 0.98};
  std::vector<double> w = {1, 0.5, 1, 1, 0.2, 1};
  ParzenEstimator e(mus, w, ParzenPrior{0, 2, -1, 1}, 1.0);
  EXPECT_NEAR(e.LogMass(-1, 1), 0.0, 1e-9);
  EXPECT_NEAR(e.LogMass(-5, 5), 0.0, 1e-9);  // clipped to the support
  for (auto [lo, hi] : {std::pair{-0.25, 0.25}, std::pair{0.4, 0.6}, std::pair{-1.0, -0.95}}) {
    EXPECT_NEAR(std::exp(e.LogMass(lo, hi)), Integrate1D(e, lo, hi), 1e-4) << lo << ".." << hi;
  }
  EXPECT_EQ(e.LogMass(2, 3), -std::numeric_limits<double>::infinity());
  // Far from every component the mass is tiny but finite, so far bins still compare.
  ParzenEstimator narrow(std::vector<double>{0.0}, std::vector<double>{1.0}, ParzenPrior{0, 1, -100, 100}, 1e-12);
  EXPECT_TRUE(std::isfinite(narrow.LogMass(60, 61)));
  EXPECT_GT(narrow.LogMass(30, 31), narrow.LogMass(60, 61));
}

TEST(TpeParzenEstimatorTest, PeakHeightDoesNotGrowAsTheBandwidthShrinks) {
  // One observation at the prior's mean with a negligible prior weight: the mixture is a
  // single Gaussian whose bandwidth is the magic clip, prior.sigma / min(100, 1 + 2) = 1/3.
  std::vector<double> mus = {0.5}, w = {1};
  ParzenPrior prior{0.5, 1, 0, 1};
  ParzenEstimator density(mus, w, prior, 1e-12, KernelHeight::kDensity);
  ParzenEstimator peak(mus, w, prior, 1e-12, KernelHeight::kPeak);
  EXPECT_NEAR(density.LogPdf(0.5) - peak.LogPdf(0.5), std::log(3.0), 1e-6);
  EXPECT_NEAR(density.LogPdf(0.8) - peak.LogPdf(0.8), std::log(3.0), 1e-6);
  // Masses do not depend on the height convention.
  EXPECT_NEAR(density.LogMass(0.2, 0.4), peak.LogMass(0.2, 0.4), 1e-12);
}

TEST(TpeParzenEstimatorTest, MultivariateScoreUsesBinMassWhereActive) {
  std::vector<double> mus = {0.2, 0.3, 0.7, 0.6, 0.4, 0.9};  // three points in 2-D
  std::vector<double> w = {1, 1, 1};
  std::vector<ParzenPrior> priors = {{0.5, 1, 0, 1}, {0.5, 1, 0, 1}};
  MultivariateParzenEstimator e(mus, w, priors, 1.0, KernelHeight::kDensity);
  std::vector<double> x = {0.35, 0.5};
  std::vector<ParzenBin> none(2);
  EXPECT_DOUBLE_EQ(e.LogScore(x, none), e.LogPdf(x));
  // A bin covering all of dimension 0 marginalizes it out: the same number as integrating
  // the density over that dimension.
  std::vector<ParzenBin> all0 = {{true, 0.0, 1.0}, {}};
  double sum = 0;
  const int steps = 4000;
  for (int i = 0; i <= steps; ++i) {
    std::vector<double> p = {static_cast<double>(i) / steps, 0.5};
    sum += ((i == 0 || i == steps) ? 0.5 : 1.0) * std::exp(e.LogPdf(p));
  }
  EXPECT_NEAR(e.LogScore(x, all0), std::log(sum / steps), 1e-3);
  // A narrow bin around x[0] approaches the density times the bin width.
  std::vector<ParzenBin> tiny = {{true, 0.35 - 1e-4, 0.35 + 1e-4}, {}};
  EXPECT_NEAR(e.LogScore(x, tiny), e.LogPdf(x) + std::log(2e-4), 1e-3);
}

TEST(TpeParzenEstimatorTest, SplitRulesFollowHyperoptAndOptuna) {
  TpeModelOptions sqrt_rule;  // ceil(gamma * sqrt(n)), at most 25
  sqrt_rule.gamma_rule = GammaRule::kSqrt;
  sqrt_rule.gamma = 0.25;
  EXPECT_EQ(NumBelow(1, sqrt_rule), 1u);
  EXPECT_EQ(NumBelow(100, sqrt_rule), 3u);
  EXPECT_EQ(NumBelow(100000, sqrt_rule), 25u);
  TpeModelOptions linear;
  linear.gamma_rule = GammaRule::kLinear;
  linear.gamma = 0.1;
  EXPECT_EQ(NumBelow(30, linear), 3u);
  EXPECT_EQ(NumBelow(1000, linear), 25u);
}

TEST(TpeParzenEstimatorTest, LinearForgettingRampsOlderObservations) {
  EXPECT_EQ(ForgettingWeight(0, 10, 25), 1.0);  // fewer than 25: all weigh 1
  EXPECT_NEAR(ForgettingWeight(0, 100, 25), 0.01, 1e-12);  // oldest: 1/n
  EXPECT_EQ(ForgettingWeight(99, 100, 25), 1.0);
  EXPECT_EQ(ForgettingWeight(75, 100, 25), 1.0);  // the newest 25
  EXPECT_LT(ForgettingWeight(30, 100, 25), ForgettingWeight(60, 100, 25));
  EXPECT_EQ(ForgettingWeight(0, 100, 0), 1.0);  // off
}

}  // namespace
}  // namespace hone
