#include "tuners/gp/gaussian_process.h"

#include <cmath>
#include <exception>
#include <limits>
#include <vector>

#include <nlopt.hpp>

namespace hone {
namespace {

const double kSqrt5 = std::sqrt(5.0);
constexpr double kJitter = 1e-8;

// Box bounds and prior (mean, sd) of each log hyperparameter. Inputs live in [0,1] and
// outputs are standardized, so these are scale-free.
constexpr double kLogLsMin = -4.6, kLogLsMax = 3.0;      // l in [0.01, 20]
constexpr double kLogSigMin = -4.6, kLogSigMax = 4.6;    // signal in [0.01, 100]
constexpr double kLogNoiseMin = -13.8, kLogNoiseMax = 0; // noise in [1e-6, 1]
constexpr double kLsPriorMean = -0.7, kLsPriorSd = 1.5;
constexpr double kSigPriorMean = 0.0, kSigPriorSd = 1.5;
constexpr double kNoisePriorMean = -6.9, kNoisePriorSd = 3.0;

// Squared scaled distances between the rows of a and b.
Eigen::MatrixXd SquaredDistances(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  Eigen::VectorXd na = a.rowwise().squaredNorm(), nb = b.rowwise().squaredNorm();
  Eigen::MatrixXd d = (-2.0 * a * b.transpose()).colwise() + na;
  d.rowwise() += nb.transpose();
  return d.cwiseMax(0.0);
}

// (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r), elementwise on squared distances.
Eigen::MatrixXd Matern52(const Eigen::MatrixXd& r2) {
  return r2.unaryExpr([](double s) {
    double r = std::sqrt(s);
    return (1 + kSqrt5 * r + 5.0 / 3.0 * s) * std::exp(-kSqrt5 * r);
  });
}

// Cholesky of k + (noise + jitter) I, raising the jitter until it succeeds.
Eigen::LLT<Eigen::MatrixXd> Factor(Eigen::MatrixXd k, double noise) {
  double jitter = kJitter;
  for (int attempt = 0;; ++attempt) {
    Eigen::MatrixXd a = k;
    a.diagonal().array() += noise + jitter;
    Eigen::LLT<Eigen::MatrixXd> llt(a);
    if (llt.info() == Eigen::Success || attempt >= 8) return llt;
    jitter *= 10;
  }
}

double LogPrior(const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
  int d = static_cast<int>(theta.size()) - 2;
  double lp = 0;
  auto term = [&](int i, double mean, double sd) {
    double z = (theta[i] - mean) / sd;
    lp += -0.5 * z * z;
    if (grad) (*grad)[i] += -z / sd;
  };
  for (int i = 0; i < d; ++i) term(i, kLsPriorMean, kLsPriorSd);
  term(d, kSigPriorMean, kSigPriorSd);
  term(d + 1, kNoisePriorMean, kNoisePriorSd);
  return lp;
}

double Lml(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
           Eigen::VectorXd* grad) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  Eigen::ArrayXd inv_ls = (-theta.head(d).array()).exp();
  double signal = std::exp(theta[d]), noise = std::exp(theta[d + 1]);
  Eigen::MatrixXd xs = x.array().rowwise() * inv_ls.transpose();
  Eigen::MatrixXd r2 = SquaredDistances(xs, xs);
  Eigen::MatrixXd k = signal * Matern52(r2);
  auto llt = Factor(k, noise);
  if (llt.info() != Eigen::Success) {
    if (grad) grad->setZero(d + 2);
    return -1e30;
  }
  Eigen::VectorXd alpha = llt.solve(y);
  double logdet = 2 * llt.matrixLLT().diagonal().array().log().sum();
  double lml = -0.5 * y.dot(alpha) - 0.5 * logdet - 0.5 * n * std::log(2 * M_PI);
  if (!grad) return lml;
  grad->setZero(d + 2);
  Eigen::MatrixXd w = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
  // dK/dlog l_j = 5/3 s e^{-sqrt5 r} (1 + sqrt5 r) (x_aj - x_bj)^2 / l_j^2.
  Eigen::MatrixXd g = r2.unaryExpr([signal](double s) {
    double r = std::sqrt(s);
    return 5.0 / 3.0 * signal * std::exp(-kSqrt5 * r) * (1 + kSqrt5 * r);
  });
  Eigen::MatrixXd wg = w.cwiseProduct(g);
  for (int j = 0; j < d; ++j) {
    double sum = 0;
    for (int b = 0; b < n; ++b)
      for (int a = 0; a < n; ++a) {
        double diff = xs(a, j) - xs(b, j);
        sum += wg(a, b) * diff * diff;
      }
    (*grad)[j] = 0.5 * sum;
  }
  (*grad)[d] = 0.5 * w.cwiseProduct(k).sum();
  (*grad)[d + 1] = 0.5 * noise * w.trace();
  return lml;
}

struct FitState {
  const Eigen::MatrixXd* x = nullptr;
  const Eigen::VectorXd* y = nullptr;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> best_theta;
};

double Objective(const std::vector<double>& t, std::vector<double>& grad, void* data) {
  auto* s = static_cast<FitState*>(data);
  Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(t.data(), t.size());
  Eigen::VectorXd g(t.size());
  double v = GpLogPosterior(*s->x, *s->y, theta, grad.empty() ? nullptr : &g);
  if (!std::isfinite(v)) v = -1e30;
  for (size_t i = 0; i < grad.size(); ++i) grad[i] = std::isfinite(g[i]) ? g[i] : 0.0;
  if (v > s->best) {
    s->best = v;
    s->best_theta = t;
  }
  return v;
}

}  // namespace

GpHyper DefaultGpHyper(int d) {
  GpHyper h;
  h.theta = Eigen::VectorXd::Constant(d + 2, std::log(0.5));
  h.theta[d] = 0.0;
  h.theta[d + 1] = std::log(1e-3);
  return h;
}

double GpLogMarginalLikelihood(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                               const Eigen::VectorXd& theta) {
  return Lml(x, y, theta, nullptr);
}

double GpLogPosterior(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                      const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
  double v = Lml(x, y, theta, grad);
  return v + LogPrior(theta, grad);
}

GpHyper FitGpHyper(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int max_evals) {
  const int d = static_cast<int>(x.cols());
  FitState state;
  state.x = &x;
  state.y = &y;
  std::vector<double> lower(d + 2, kLogLsMin), upper(d + 2, kLogLsMax);
  lower[d] = kLogSigMin;
  upper[d] = kLogSigMax;
  lower[d + 1] = kLogNoiseMin;
  upper[d + 1] = kLogNoiseMax;
  // Two starts: moderately smooth with some noise, and rougher with almost none.
  for (auto [ls, noise] : {std::pair{0.5, 1e-2}, std::pair{0.15, 1e-5}}) {
    std::vector<double> t(d + 2, std::log(ls));
    t[d] = 0.0;
    t[d + 1] = std::log(noise);
    nlopt::opt opt(nlopt::LD_LBFGS, d + 2);
    opt.set_lower_bounds(lower);
    opt.set_upper_bounds(upper);
    opt.set_max_objective(&Objective, &state);
    opt.set_maxeval(max_evals);
    opt.set_ftol_rel(1e-6);
    double value = 0;
    try {
      opt.optimize(t, value);
    } catch (const std::exception&) {
      // Round-off or a failed line search: the best point seen is kept below.
    }
  }
  if (state.best_theta.empty()) return DefaultGpHyper(d);
  GpHyper h;
  h.theta = Eigen::Map<const Eigen::VectorXd>(state.best_theta.data(), d + 2);
  return h;
}

GaussianProcess::GaussianProcess(Eigen::MatrixXd x, Eigen::VectorXd y, GpHyper h)
    : hyper_(std::move(h)) {
  const int d = hyper_.dims();
  Eigen::ArrayXd inv_ls = (-hyper_.theta.head(d).array()).exp();
  signal_ = std::exp(hyper_.theta[d]);
  noise_ = std::exp(hyper_.theta[d + 1]);
  x_scaled_ = x.array().rowwise() * inv_ls.transpose();
  llt_ = Factor(signal_ * Matern52(SquaredDistances(x_scaled_, x_scaled_)), noise_);
  alpha_ = llt_.solve(y);
}

void GaussianProcess::Predict(const Eigen::MatrixXd& xs, Eigen::VectorXd& mean,
                              Eigen::VectorXd& var) const {
  const int d = hyper_.dims();
  Eigen::ArrayXd inv_ls = (-hyper_.theta.head(d).array()).exp();
  Eigen::MatrixXd q = xs.array().rowwise() * inv_ls.transpose();
  Eigen::MatrixXd ks = signal_ * Matern52(SquaredDistances(x_scaled_, q));  // n x m
  mean = ks.transpose() * alpha_;
  llt_.matrixL().solveInPlace(ks);
  var = (signal_ - ks.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12).matrix();
}

}  // namespace hone
