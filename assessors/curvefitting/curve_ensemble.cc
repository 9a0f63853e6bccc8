#include "assessors/curvefitting/curve_ensemble.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Core>
#include <unsupported/Eigen/NonLinearOptimization>
#include <unsupported/Eigen/NumericalDiff>

#include "assessors/curvefitting/curve_families.h"

namespace hone {
namespace {

// Residuals of one family over the observed points, in Eigen's functor shape. Outside
// the family's domain the residuals are large rather than NaN, so that the optimizer
// steps back instead of stopping.
struct Residuals {
  using Scalar = double;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  const CurveFamily* family;
  std::span<const double> ys;
  double penalty;

  int inputs() const { return family->num_params; }
  int values() const { return static_cast<int>(ys.size()); }
  int operator()(const Eigen::VectorXd& p, Eigen::VectorXd& out) const {
    for (size_t i = 0; i < ys.size(); ++i) {
      double f = family->eval(static_cast<double>(i + 1), std::span<const double>(p.data(), p.size()));
      out[static_cast<Eigen::Index>(i)] = std::isfinite(f) ? f - ys[i] : penalty;
    }
    return 0;
  }
};

FamilyFit Fit(const CurveFamily& family, std::span<const double> ys, double target_x, double lo, double hi) {
  FamilyFit fit;
  fit.name = std::string(family.name);
  if (static_cast<int>(ys.size()) < family.num_params) return fit;
  std::vector<double> init = family.initial(ys);
  Eigen::VectorXd p = Eigen::Map<Eigen::VectorXd>(init.data(), static_cast<Eigen::Index>(init.size()));
  Residuals residuals{&family, ys, 1e3 * (1 + std::fabs(hi) + std::fabs(lo))};
  Eigen::NumericalDiff<Residuals> diff(residuals);
  Eigen::LevenbergMarquardt<Eigen::NumericalDiff<Residuals>, double> lm(diff);
  lm.parameters.maxfev = 400 * (family.num_params + 1);
  lm.minimize(p);
  fit.params.assign(p.data(), p.data() + p.size());
  double sse = 0;
  for (size_t i = 0; i < ys.size(); ++i) {
    double f = family.eval(static_cast<double>(i + 1), fit.params);
    if (!std::isfinite(f)) return fit;
    sse += (f - ys[i]) * (f - ys[i]);
  }
  fit.mse = sse / static_cast<double>(ys.size());
  fit.prediction = family.eval(target_x, fit.params);
  double range = std::max(hi - lo, 1e-9);
  bool plausible = std::isfinite(fit.prediction) && std::isfinite(fit.mse) &&
                   fit.prediction >= lo - 2 * range && fit.prediction <= hi + 2 * range;
  if (plausible) fit.weight = 1;  // normalized below
  return fit;
}

}  // namespace

std::optional<CurvePrediction> PredictCurve(std::span<const double> ys, double target_x) {
  if (ys.empty()) return std::nullopt;
  double lo = *std::min_element(ys.begin(), ys.end());
  double hi = *std::max_element(ys.begin(), ys.end());
  // A floor on the residual keeps a family that interpolates the points exactly from
  // taking all the weight.
  double floor = 1e-6 * std::max(hi - lo, 1e-3) * std::max(hi - lo, 1e-3) + 1e-12;
  CurvePrediction out;
  double total = 0;
  for (const CurveFamily& family : CurveFamilies()) {
    FamilyFit fit = Fit(family, ys, target_x, lo, hi);
    if (fit.weight > 0) {
      fit.weight = 1.0 / std::max(fit.mse, floor);
      total += fit.weight;
    }
    out.fits.push_back(std::move(fit));
  }
  if (total <= 0) return std::nullopt;
  double value = 0;
  for (auto& fit : out.fits) {
    fit.weight /= total;
    value += fit.weight * fit.prediction;
  }
  out.value = value;
  return out;
}

}  // namespace hone
