#include "compress/quant/obq_solver_torch.h"

#include <algorithm>

#include "compress/quant/fake_quant_torch.h"

namespace hone::compress {
namespace {

// Each row of `col`'s values (rows) rounded onto its grid: (clamp(round(x / s) + z) - z) x s,
// rounding half to even as ATen does.
at::Tensor QuantizeColumn(const at::Tensor& col, const at::Tensor& scale, const at::Tensor& zero, double qmin,
                          double qmax) {
  return ((col / scale).round() + zero).clamp(qmin, qmax).sub(zero).mul(scale);
}

// The blocked solver on W (rows x d, double, columns already in solving order) and the
// upper Cholesky factor U of H^-1 (in the same order); quantizes W in place.
void SolveBlocked(at::Tensor& W, const at::Tensor& U, const ChannelParams& grid, int64_t block_size) {
  const int64_t d = W.size(1);
  at::Tensor scale = torch::tensor(std::vector<double>(grid.scales.begin(), grid.scales.end()), torch::kDouble);
  at::Tensor zero = torch::tensor(grid.zero_points, torch::kInt64).to(torch::kDouble);
  const double qmin = static_cast<double>(grid.qmin), qmax = static_cast<double>(grid.qmax);
  const int64_t block = std::max<int64_t>(1, block_size);
  for (int64_t i1 = 0; i1 < d; i1 += block) {
    const int64_t i2 = std::min(d, i1 + block);
    const int64_t cols = i2 - i1;
    at::Tensor W1 = W.slice(1, i1, i2).clone();
    at::Tensor U1 = U.slice(0, i1, i2).slice(1, i1, i2);
    at::Tensor Err1 = torch::zeros_like(W1);
    for (int64_t i = 0; i < cols; ++i) {
      at::Tensor col = W1.select(1, i);
      at::Tensor q = QuantizeColumn(col, scale, zero, qmin, qmax);
      at::Tensor err = (col - q) / U1[i][i];
      if (i + 1 < cols) {
        W1.slice(1, i + 1).sub_(err.unsqueeze(1) * U1.select(0, i).slice(0, i + 1).unsqueeze(0));
      }
      W1.select(1, i).copy_(q);
      Err1.select(1, i).copy_(err);
    }
    W.slice(1, i1, i2).copy_(W1);
    if (i2 < d) W.slice(1, i2).sub_(Err1.matmul(U.slice(0, i1, i2).slice(1, i2)));
  }
}

}  // namespace

at::Tensor ObqQuantizeRows(const at::Tensor& w, const at::Tensor& hessian, const ChannelParams& grid,
                           const ObqSolverOptions& options) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(w.dim() == 2, "OBQ quantizes a 2-d weight, not ", w.dim(), "-d");
  const int64_t rows = w.size(0), d = w.size(1);
  TORCH_CHECK(hessian.dim() == 2 && hessian.size(0) == d && hessian.size(1) == d, "the Hessian must be ", d, " x ", d);
  TORCH_CHECK(static_cast<int64_t>(grid.scales.size()) == rows && static_cast<int64_t>(grid.zero_points.size()) == rows,
              "the grid must have one scale and zero point per row (", rows, ")");
  TORCH_CHECK(grid.axis == 0, "the grid must be per row (axis 0)");
  at::Tensor H = hessian.to(torch::kDouble).clone();
  at::Tensor dead = H.diagonal().eq(0);
  H.diagonal().masked_fill_(dead, 1.0);
  at::Tensor order = options.act_order
                         ? std::get<1>(H.diagonal().masked_fill(dead, 0.0).sort(/*stable=*/true, 0, /*descending=*/true))
                         : torch::arange(d);
  H = H.index_select(0, order).index_select(1, order);
  H.diagonal().add_(options.damp * H.diagonal().mean());
  // U: the upper Cholesky factor of H^-1.
  at::Tensor U = torch::linalg_cholesky(torch::cholesky_inverse(torch::linalg_cholesky(H)), /*upper=*/true);
  at::Tensor W = w.to(torch::kDouble).index_select(1, order).contiguous();
  SolveBlocked(W, U, grid, options.block);
  at::Tensor result = torch::empty_like(W).index_copy_(1, order, W);
  // Exactly the grid's float values (the double ones are within rounding of them).
  return FakeQuantizePerChannel(result.to(torch::kFloat), grid).to(w.scalar_type());
}

double RelativeOutputError(const at::Tensor& a, const at::Tensor& b, const at::Tensor& hessian) {
  torch::NoGradGuard no_grad;
  at::Tensor H = hessian.to(torch::kDouble);
  at::Tensor B = b.to(torch::kDouble);
  at::Tensor D = a.to(torch::kDouble) - B;
  const double base = (B.matmul(H) * B).sum().item<double>();
  const double err = (D.matmul(H) * D).sum().item<double>();
  return base > 0 ? err / base : 0.0;
}

}  // namespace hone::compress
