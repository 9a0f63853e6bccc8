// The Gaussian-process model and log expected improvement behind the gp tuner.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tuners/gp/gaussian_process.h"
#include "tuners/gp/log_ei.h"

namespace hone {
namespace {

Eigen::MatrixXd RandomPoints(int n, int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = u(rng);
  return x;
}

Eigen::VectorXd Target(const Eigen::MatrixXd& x) {
  Eigen::VectorXd y(x.rows());
  for (int i = 0; i < x.rows(); ++i) y[i] = std::sin(6 * x(i, 0)) + x.row(i).squaredNorm();
  return y;
}

TEST(GaussianProcessTest, PosteriorInterpolatesTrainingPointsWithSmallNoise) {
  Eigen::MatrixXd x = RandomPoints(12, 2, 1);
  Eigen::VectorXd y = Target(x);
  GpHyper h = DefaultGpHyper(2);
  h.theta[3] = std::log(1e-8);
  GaussianProcess gp(x, y, h);
  Eigen::VectorXd mean, var;
  gp.Predict(x, mean, var);
  for (int i = 0; i < x.rows(); ++i) {
    EXPECT_NEAR(mean[i], y[i], 1e-4) << "point " << i;
    EXPECT_LT(var[i], 1e-5) << "point " << i;
  }
  // Away from the data the model is uncertain.
  Eigen::MatrixXd far(1, 2);
  far << 5, 5;
  gp.Predict(far, mean, var);
  EXPECT_GT(var[0], 0.9);
}

TEST(GaussianProcessTest, LogPosteriorGradientMatchesFiniteDifferences) {
  Eigen::MatrixXd x = RandomPoints(15, 3, 2);
  Eigen::VectorXd y = Target(x);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  Eigen::VectorXd theta(5);
  theta << std::log(0.3), std::log(0.7), std::log(1.5), std::log(0.8), std::log(1e-2);
  Eigen::VectorXd grad;
  GpLogPosterior(x, y, theta, &grad);
  ASSERT_EQ(grad.size(), 5);
  for (int i = 0; i < 5; ++i) {
    const double h = 1e-5;
    Eigen::VectorXd plus = theta, minus = theta;
    plus[i] += h;
    minus[i] -= h;
    double fd = (GpLogPosterior(x, y, plus, nullptr) - GpLogPosterior(x, y, minus, nullptr)) / (2 * h);
    EXPECT_NEAR(grad[i], fd, 1e-4 * std::max(1.0, std::fabs(fd))) << "hyperparameter " << i;
  }
}

TEST(GaussianProcessTest, FitRaisesTheLogPosteriorAboveTheDefault) {
  Eigen::MatrixXd x = RandomPoints(30, 2, 3);
  Eigen::VectorXd y = Target(x);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GpHyper fitted = FitGpHyper(x, y);
  EXPECT_GT(GpLogPosterior(x, y, fitted.theta, nullptr),
            GpLogPosterior(x, y, DefaultGpHyper(2).theta, nullptr));
}

double DirectLogEi(double mean, double sigma, double best) {
  long double z = (best - mean) / sigma;
  long double phi = std::exp(-0.5L * z * z) / std::sqrt(2 * M_PIl);
  long double cdf = 0.5L * std::erfc(-z / std::sqrt(2.0L));
  return static_cast<double>(std::log(sigma * (phi + z * cdf)));
}

TEST(LogExpectedImprovementTest, MatchesLogOfEiWhereEiIsNotTiny) {
  for (double z = -8; z <= 6; z += 0.25) {
    double sigma = 0.7, best = 0.1;
    double mean = best - z * sigma;
    double want = DirectLogEi(mean, sigma, best);
    EXPECT_NEAR(LogExpectedImprovement(mean, sigma, best), want, 1e-8 * std::max(1.0, std::fabs(want)))
        << "z = " << z;
  }
}

TEST(LogExpectedImprovementTest, StaysFiniteAndDecreasingWhereEiUnderflows) {
  double previous = LogH(-30);
  EXPECT_TRUE(std::isfinite(previous));
  for (double z : {-40.0, -100.0, -999.0, -1001.0, -1e4, -1e8, -1e150}) {
    double v = LogH(z);
    EXPECT_TRUE(std::isfinite(v)) << "z = " << z;
    EXPECT_LT(v, previous) << "z = " << z;
    // log h(z) = -z^2/2 - log sqrt(2 pi) - 2 log|z| + O(1/z^2).
    double asymptote = -0.5 * z * z - 0.5 * std::log(2 * M_PI) - 2 * std::log(-z);
    EXPECT_NEAR(v, asymptote, 3.5 / (z * z) + 1e-12 * std::fabs(asymptote)) << "z = " << z;
    previous = v;
  }
  EXPECT_EQ(std::exp(LogH(-40)), 0.0);  // EI itself underflows here
}

TEST(LogExpectedImprovementTest, IsContinuousAcrossBranchPoints) {
  for (double z : {-1.0, -1e3}) {
    double a = LogH(z * (1 + 1e-9)), b = LogH(z * (1 - 1e-9));
    EXPECT_NEAR(a, b, 1e-5 * std::max(1.0, std::fabs(a))) << "z = " << z;
  }
}

TEST(LogExpectedImprovementTest, ErfcxMatchesDefinitionAndAsymptote) {
  for (double x : {0.0, 0.5, 2.0, 10.0, 20.0})
    EXPECT_NEAR(Erfcx(x), std::exp(x * x) * std::erfc(x), 1e-12 * Erfcx(x)) << x;
  for (double x : {30.0, 1e3, 1e6}) EXPECT_NEAR(Erfcx(x) * x * std::sqrt(M_PI), 1.0, 1e-3) << x;
}

}  // namespace
}  // namespace hone
