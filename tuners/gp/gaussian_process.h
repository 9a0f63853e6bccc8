// GaussianProcess: exact GP regression on points of [0,1]^d with a Matérn-5/2 ARD kernel
// (one length scale per dimension), signal variance and Gaussian noise. Hyperparameters
// are fitted by maximizing the log marginal likelihood plus mild log-normal priors.
//
//   GpHyper h = FitGpHyper(x, y);           // y standardized by the caller
//   GaussianProcess gp(x, y, h);            // one Cholesky factorization
//   gp.Predict(candidates, mean, var);      // latent mean and variance
#pragma once

#include <Eigen/Dense>

namespace hone {

// All in log space: theta = [log l_1..log l_d, log signal variance, log noise variance].
struct GpHyper {
  Eigen::VectorXd theta;
  int dims() const { return static_cast<int>(theta.size()) - 2; }
};

// The hyperparameters used before any fit: l = 0.5, signal 1, noise 1e-3.
GpHyper DefaultGpHyper(int d);

// Log marginal likelihood of standardized `y` at the rows of `x`, plus the log prior;
// fills `grad` (d + 2 entries) when non-null.
double GpLogPosterior(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                      const Eigen::VectorXd& theta, Eigen::VectorXd* grad);
// The log marginal likelihood alone, without the prior.
double GpLogMarginalLikelihood(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                               const Eigen::VectorXd& theta);

// Maximizes GpLogPosterior with L-BFGS (NLopt, analytic gradients) from two fixed starts
// within box bounds; deterministic. `max_evals` bounds each start.
GpHyper FitGpHyper(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int max_evals = 60);

class GaussianProcess {
 public:
  // REQUIRES: x.rows() == y.size() >= 1, x.cols() == h.dims().
  GaussianProcess(Eigen::MatrixXd x, Eigen::VectorXd y, GpHyper h);

  // Latent (noise-free) posterior mean and variance at the rows of `xs`.
  void Predict(const Eigen::MatrixXd& xs, Eigen::VectorXd& mean, Eigen::VectorXd& var) const;
  double noise() const { return noise_; }
  const GpHyper& hyper() const { return hyper_; }

 private:
  Eigen::MatrixXd x_scaled_;  // x / length scales
  GpHyper hyper_;
  double signal_ = 1, noise_ = 1e-3;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
};

}  // namespace hone
