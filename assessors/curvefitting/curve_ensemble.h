// CurveEnsemble: fits every curve family (curve_families.h) to a partial learning curve
// by least squares (Levenberg-Marquardt, Eigen) and extrapolates with a weighted
// average, each family weighted by the inverse of its mean squared residual.
//
//   auto p = PredictCurve({0.50, 0.62, 0.69, 0.73, 0.75, 0.765}, 20);  // value at epoch 20
//
// A family takes part only when the curve has at least as many points as it has
// parameters, its fit converged to finite values, and its extrapolation stays plausible
// (within twice the observed range beyond the observed values). nullopt when no family
// takes part. Deterministic: the same curve gives the same prediction.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hone {

struct FamilyFit {
  std::string name;
  std::vector<double> params;
  double mse = 0;         // mean squared residual over the observed points
  double prediction = 0;  // f(target_x)
  double weight = 0;      // normalized weight in the ensemble (0: left out)
};

struct CurvePrediction {
  double value = 0;
  std::vector<FamilyFit> fits;  // every family, in CurveFamilies() order
};

// ys[i] is the value at epoch i + 1 (all finite). REQUIRES: target_x >= 1.
std::optional<CurvePrediction> PredictCurve(std::span<const double> ys, double target_x);

}  // namespace hone
