#include "tuners/gp/log_ei.h"

#include <cmath>

namespace hone {
namespace {

const double kLogSqrt2Pi = 0.5 * std::log(2 * M_PI);
const double kLogSqrtHalfPi = 0.5 * std::log(M_PI / 2);

// log(1 - exp(x)) for x < 0, accurate at both ends.
double Log1mExp(double x) { return x > -M_LN2 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x)); }

}  // namespace

double Erfcx(double x) {
  if (x < 25) return std::exp(x * x) * std::erfc(x);
  // Asymptotic series; the next term is below 1e-10 relative at x = 25.
  double x2 = x * x;
  return 1 / (x * std::sqrt(M_PI)) * (1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2));
}

double LogH(double z) {
  if (z > -1) {
    double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    return std::log(phi + z * cdf);
  }
  if (z > -1e3) {
    // h(z) = phi(z) (1 - |z| sqrt(pi/2) erfcx(-z/sqrt2)).
    return -0.5 * z * z - kLogSqrt2Pi +
           Log1mExp(std::log(Erfcx(-z / std::sqrt(2.0)) * std::fabs(z)) + kLogSqrtHalfPi);
  }
  // h(z) = phi(z) / z^2 (1 - 3/z^2 + ...) as z -> -inf.
  return -0.5 * z * z - kLogSqrt2Pi - 2 * std::log(-z) + std::log1p(-3 / (z * z));
}

double LogExpectedImprovement(double mean, double sigma, double best) {
  return LogH((best - mean) / sigma) + std::log(sigma);
}

}  // namespace hone
