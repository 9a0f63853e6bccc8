// The layer-wise solver of OBQ weight quantization: put a layer's weight rows on their
// grids one input column at a time, moving the columns not yet quantized to make up for
// each rounding error, so that the layer's output on calibration inputs changes as
// little as possible (least squares), without any gradient training.
//
// A layer with weight rows W (rows x d, one row per output of a linear layer or filter of
// a convolution, d = inputs x kernel area) and calibration inputs X (d x n) changes its
// output by ||(W' - W) X||^2. With H = 2 X X^T / n, the Optimal Brain Surgeon step
// (Hassibi & Stork 1993) that fixes weight j of a row to q moves the rest of the row by
// -(w_j - q) / [H^-1]_jj x H^-1[j, :]. As in GPTQ (Frantar et al. 2023), all rows take
// their columns in the same order, so that one upper Cholesky factor U of H^-1 serves
// every row (U's row j is the OBS update once columns before j are fixed), and the
// columns go in blocks whose updates of the later columns are applied once per block.
//
//   ChannelParams grid = ChoosePerChannelParams(w2d, 0, WeightSpec(4));
//   at::Tensor q = ObqQuantizeRows(w2d, hessian, grid, {.damp = 0.01, .act_order = true});
//   // every q[r][j] is (code - zero_point) x scale of row r, code in [qmin, qmax]
//
// Inputs that never vary on the calibration data (zero diagonal of H) cost nothing: their
// weights are rounded to nearest. With H = I the solver is round-to-nearest.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "compress/quant/quant_params.h"

namespace hone::compress {

struct ObqSolverOptions {
  double damp = 0.01;     // added to H's diagonal: damp x mean(diag H)
  int64_t block = 128;    // columns per lazy-update block
  bool act_order = true;  // columns by decreasing diag H (stable); false: natural order
};

// w: rows x d, any floating type; hessian: d x d, symmetric positive semi-definite; grid:
// one scale and zero point per row (axis 0). Returns w's shape and type with every value
// exactly on its row's grid (what FakeQuantizePerChannel gives for those codes). Throws
// c10::Error when H plus the dampening is not positive definite or the shapes disagree.
at::Tensor ObqQuantizeRows(const at::Tensor& w, const at::Tensor& hessian, const ChannelParams& grid,
                           const ObqSolverOptions& options);

// ||(a - b) X||^2 / ||b X||^2 computed from H = 2 X X^T / n: tr(D H D^T) / tr(b H b^T),
// D = a - b, over all rows (0 when b X is 0). a, b: rows x d; hessian: d x d.
double RelativeOutputError(const at::Tensor& a, const at::Tensor& b, const at::Tensor& hessian);

}  // namespace hone::compress
