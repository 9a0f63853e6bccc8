// The layer-wise Optimal Brain Surgeon step of the obs pruner: remove a given number of a
// layer's weights and move the remaining ones to make up for them, so that the layer's
// output on calibration inputs changes as little as possible (least squares), without
// any gradient training.
//
// A layer with weight rows W (rows x d, one row per output of a linear layer or filter of
// a convolution, d = inputs x kernel area) and calibration inputs X (d x n, a convolution's
// unfolded patches) changes its output by ||(W' - W) X||^2. With H = 2 X X^T / n, removing
// weight q of a row costs w_q^2 / [H^-1]_qq (Hassibi & Stork 1993), and the best update
// of the rest of the row is -w_q / [H^-1]_qq x H^-1[:, q]. The solver follows SparseGPT
// (Frantar & Alistarh 2023): the Cholesky factor of H^-1 lets it remove the chosen
// weights column by column with one shared inverse for all rows, processing columns in
// blocks with lazy updates.
//
//   at::Tensor pruned = ObsPruneRows(w2d, hessian, /*count=*/k, {.damp = 0.01});
//
// Which weights go is decided block by block, as in SparseGPT. Weights that are already
// zero (a schedule's earlier steps) and weights of inputs that never vary on the
// calibration data (zero diagonal of H, they cost nothing) must go first. The others
// that go are spread over the blocks in proportion to each block's remaining weights; in
// a block, they are those of lowest saliency w^2 / U_qq^2 (U the upper Cholesky factor of
// H^-1, w as updated by the earlier blocks).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace hone::compress {

struct ObsSolverOptions {
  double damp = 0.01;     // added to H's diagonal: damp x mean(diag H)
  int64_t block = 128;    // columns per lazy-update block
};

// w: rows x d, any floating type; hessian: d x d, symmetric positive semi-definite.
// Returns a tensor of w's shape and type in which min(count, w.numel()) weights are
// removed (zero) and the others updated; when count is below the number that must go
// first, only count of those go. Throws c10::Error when H plus the dampening is not
// positive definite.
at::Tensor ObsPruneRows(const at::Tensor& w, const at::Tensor& hessian, int64_t count, const ObsSolverOptions& options);

// The exact variant (Optimal Brain Compression, Frantar et al. 2022): each row removes
// its weights one at a time, greedily, with the full inverse over its remaining weights
// updated after every removal, and the rows' counts are chosen together from their loss
// trajectories. Better masks than ObsPruneRows at O(rows x d^3) time and rows x d^2 memory.
at::Tensor ObsPruneRowsExact(const at::Tensor& w, const at::Tensor& hessian, int64_t count,
                             const ObsSolverOptions& options);

}  // namespace hone::compress
