#include "compress/prune/obs_solver_torch.h"

#include <algorithm>
#include <cmath>

namespace hone::compress {
namespace {

// What both solvers start from: the weights in double, H with dead inputs (zero
// diagonal) given a unit diagonal and the dampening added, and the weights that must go
// first (already zero, or of a dead input).
struct ObsProblem {
  int64_t rows = 0, d = 0, count = 0;
  at::Tensor W, H, forced;
};

ObsProblem Prepare(const at::Tensor& w, const at::Tensor& hessian, int64_t count, double damp) {
  ObsProblem p;
  p.rows = w.size(0);
  p.d = w.size(1);
  TORCH_CHECK(hessian.dim() == 2 && hessian.size(0) == p.d && hessian.size(1) == p.d, "the Hessian must be ", p.d,
              " x ", p.d);
  p.count = std::clamp<int64_t>(count, 0, p.rows * p.d);
  p.W = w.to(torch::kDouble).clone();
  p.H = hessian.to(torch::kDouble).clone();
  at::Tensor dead = p.H.diagonal().eq(0);
  p.H.diagonal().masked_fill_(dead, 1.0);
  p.H.diagonal().add_(damp * p.H.diagonal().mean());
  p.forced = p.W.eq(0).logical_or(dead.unsqueeze(0));
  return p;
}

// The blocked solver (ObsPruneRows) on a prepared problem with count > 0.
at::Tensor SolveBlocked(ObsProblem& problem, int64_t block_size) {
  const int64_t rows = problem.rows, d = problem.d, count = problem.count;
  at::Tensor& W = problem.W;
  const at::Tensor& H = problem.H;
  const at::Tensor& forced = problem.forced;
  // U: the upper Cholesky factor of H^-1.
  at::Tensor U = torch::linalg_cholesky(torch::cholesky_inverse(torch::linalg_cholesky(H)), /*upper=*/true);
  at::Tensor forced_per_col = forced.sum(0).to(torch::kDouble);
  at::Tensor open_per_col = static_cast<double>(rows) - forced_per_col;
  const double forced_total = forced_per_col.sum().item<double>();
  const double open_total = open_per_col.sum().item<double>();
  // Each block removes its forced weights and a share of the others in proportion to
  // its open weights (or, when count is below the forced ones, a share of those).
  const bool only_forced = static_cast<double>(count) <= forced_total;
  const double to_share = only_forced ? static_cast<double>(count) : static_cast<double>(count) - forced_total;
  const at::Tensor& basis = only_forced ? forced_per_col : open_per_col;
  const double basis_total = only_forced ? forced_total : open_total;
  const int64_t block = std::max<int64_t>(1, block_size);
  int64_t shared_before = 0;
  for (int64_t i1 = 0; i1 < d; i1 += block) {
    const int64_t i2 = std::min(d, i1 + block);
    const int64_t cols = i2 - i1;
    at::Tensor W1 = W.slice(1, i1, i2).clone();
    at::Tensor U1 = U.slice(0, i1, i2).slice(1, i1, i2);
    at::Tensor Err1 = torch::zeros_like(W1);
    const double through = basis_total > 0 ? basis.slice(0, 0, i2).sum().item<double>() / basis_total : 1.0;
    const int64_t shared_after = std::llround(to_share * through);
    int64_t quota = shared_after - shared_before;
    shared_before = shared_after;
    at::Tensor forced1 = forced.slice(1, i1, i2);
    if (!only_forced) quota += forced1.sum().item<int64_t>();
    at::Tensor saliency = (W1.square() / U1.diagonal().square().unsqueeze(0)).masked_fill(forced1, -1.0);
    at::Tensor mask = torch::zeros({rows * cols}, torch::kBool);
    if (quota > 0) mask.index_fill_(0, saliency.flatten().argsort().slice(0, 0, quota), true);
    mask = mask.view({rows, cols});
    for (int64_t i = 0; i < cols; ++i) {
      at::Tensor col = W1.select(1, i);
      at::Tensor q = col.masked_fill(mask.select(1, i), 0.0);
      at::Tensor err = (col - q) / U1[i][i];
      W1.slice(1, i).sub_(err.unsqueeze(1) * U1.select(0, i).slice(0, i).unsqueeze(0));
      W1.select(1, i).copy_(q);  // equal up to rounding; removed weights exactly zero
      Err1.select(1, i).copy_(err);
    }
    W.slice(1, i1, i2).copy_(W1);
    if (i2 < d) W.slice(1, i2).sub_(Err1.matmul(U.slice(0, i1, i2).slice(1, i2)));
  }
  return W;
}

// The exact solver (ObsPruneRowsExact) on a prepared problem with count > 0.
at::Tensor SolveExact(ObsProblem& problem) {
  const int64_t rows = problem.rows, d = problem.d, count = problem.count;
  at::Tensor& W = problem.W;
  const at::Tensor& H = problem.H;
  const at::Tensor& forced = problem.forced;
  // Every row removes its weights one at a time, greedily (lowest w_q^2 / [H^-1]_qq with
  // the inverse over the row's remaining weights), recording the loss of each step and
  // the row after it; then the rows' step counts are chosen together.
  const int64_t steps = d;
  at::Tensor Hinv = torch::cholesky_inverse(torch::linalg_cholesky(H)).unsqueeze(0).repeat({rows, 1, 1});
  at::Tensor removed = torch::zeros({rows, d}, torch::kBool);
  at::Tensor losses = torch::empty({rows, steps}, torch::kDouble);
  at::Tensor history = torch::empty({rows, steps + 1, d}, torch::kDouble);
  history.select(1, 0).copy_(W);
  at::Tensor r = torch::arange(rows);
  for (int64_t s = 0; s < steps; ++s) {
    at::Tensor diag = Hinv.diagonal(0, 1, 2);
    at::Tensor saliency = W.square() / diag;
    saliency.masked_fill_(forced.logical_and(removed.logical_not()), -1.0).masked_fill_(removed, INFINITY);
    at::Tensor p = saliency.argmin(1);
    at::Tensor wp = W.index({r, p});
    at::Tensor dp = diag.index({r, p});
    losses.select(1, s).copy_(wp.square() / dp / 2);
    at::Tensor hp = Hinv.index({r, torch::indexing::Slice(), p});  // rows x d: column p of each inverse
    W.sub_((wp / dp).unsqueeze(1) * hp);
    Hinv.sub_(hp.unsqueeze(2) * (hp / dp.unsqueeze(1)).unsqueeze(1));
    removed.index_put_({r, p}, true);
    W.masked_fill_(removed, 0.0);
    history.select(1, s + 1).copy_(W);
  }
  // Forced weights go first in every row; rows' counts: the `count` smallest of the
  // (running-maximum, so nondecreasing) step losses over all rows, forced steps first.
  at::Tensor key = std::get<0>(losses.cummax(1));
  at::Tensor forced_steps = forced.sum(1, true);
  key.masked_fill_(torch::arange(steps).unsqueeze(0).lt(forced_steps), -1.0);
  at::Tensor chosen = key.flatten().argsort().slice(0, 0, count);
  at::Tensor per_row = torch::bincount(chosen.div(steps, "floor"), {}, rows);
  return history.index({r, per_row});
}

// Prepares the problem and runs `solve` on it; a count of 0 leaves `w` as it is.
template <typename Solve>
at::Tensor SolveObs(const at::Tensor& w, const at::Tensor& hessian, int64_t count, double damp, Solve solve) {
  torch::NoGradGuard no_grad;
  ObsProblem problem = Prepare(w, hessian, count, damp);
  if (problem.count == 0) return w.clone();
  return solve(problem).to(w.scalar_type());
}

}  // namespace

at::Tensor ObsPruneRows(const at::Tensor& w, const at::Tensor& hessian, int64_t count, const ObsSolverOptions& options) {
  return SolveObs(w, hessian, count, options.damp,
                  [&](ObsProblem& problem) { return SolveBlocked(problem, options.block); });
}

at::Tensor ObsPruneRowsExact(const at::Tensor& w, const at::Tensor& hessian, int64_t count,
                             const ObsSolverOptions& options) {
  return SolveObs(w, hessian, count, options.damp, [](ObsProblem& problem) { return SolveExact(problem); });
}

}  // namespace hone::compress
