// The twelve learning-curve families NNI's curve-fitting assessor uses (Domhan et al.,
// "Speeding up automatic hyperparameter optimization of deep neural networks by
// extrapolation of learning curves", IJCAI 2015). x is the epoch, from 1.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace hone {

struct CurveFamily {
  std::string_view name;
  int num_params;
  // f(x; p). May return NaN or Inf where the parameters leave the family's domain.
  double (*eval)(double x, std::span<const double> p);
  // A starting point for least squares from the observed curve (x = 1..ys.size()).
  std::vector<double> (*initial)(std::span<const double> ys);
};

// vap, pow3, linear, logx_linear, dr_hill_zero_background, log_power, pow4, mmf, exp4,
// ilog2, weibull, janoschek; formulas in curve_families.cc.
std::span<const CurveFamily> CurveFamilies();

}  // namespace hone
