// AMC's latency cost model: a table of measured milliseconds saved per channel group and
// allowed width, so that the budget is measured time rather than FLOPs (libtorch's CPU
// kernels do not follow FLOPs: a 3x3 convolution can be slower at fewer channels).
// Torch-free header; the measurement runs libtorch.
//
//   auto table = MeasureLatencyTable(model, graph, groups, {.round_to = 8}, {.batch = 256});
//   auto cost = std::make_shared<LatencyTable>(std::move(*table));
//   auto env = AmcEnvironment::Create(graph, groups, {.flops_ratio = 0.6}, cost);  // 60% of the ms
//
// Measurement: for every prunable group g and every width w the wall may give it
// (WidthRange, plus the full width), the layers whose cost depends on g -- its
// producers and depthwise followers (outputs and, depthwise, inputs), its batch norms
// and its consumers (inputs) -- are each run alone (aten conv2d / linear / batch_norm on
// random tensors of the layer's shape, at `batch` images) with g at w and every other
// group at full width; saved(g, w) = their summed median milliseconds at full width
// minus at w (negative when narrower is slower). Dense() is the whole model's median
// milliseconds at `batch`, so activations, adds and pooling are in the dense figure but
// their savings are not. Medians of `repeats` runs after `warmup` runs, on `threads`
// libtorch threads (1 by default, as latency figures elsewhere in hone; restored after).
//
// The estimate is additive: Cost(kept) = Dense() - sum over groups of saved(g, kept[g]).
// A layer that reads one pruned group and writes another runs at about in x out of its
// time, but the table subtracts each side's saving measured with the other side full:
// T(1 - i) + T(1 - o) instead of T(1 - i o), so the estimate errs LOW (optimistic) by
// T(1 - i)(1 - o) on such layers; it also ignores the elementwise ops' savings (errs
// high). A width between two measured widths is interpolated linearly.
//
// Batch: 256 by default, the batch hone's AMC latency goal is measured at. Per-layer
// times at batch 1 are dominated by per-call overheads and pick other kernels, so a
// batch-1 table does not predict batch-256 speed; a smaller batch measures faster (tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/amc/action_wall.h"
#include "compress/amc/amc_cost_model.h"
#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "compress/prune/channel_groups.h"
#include "core/status.h"

namespace hone::compress {

struct LatencyTableOptions {
  int64_t batch = 256;
  int warmup = 2;
  int repeats = 5;
  int threads = 1;   // <= 0: one per core
};

class LatencyTable final : public AmcCostModel {
 public:
  // widths[g]: ascending, ending at dense_widths[g]; saved_ms[g][i]: ms saved at
  // widths[g][i] (0 at the full width). REQUIRES: the sizes agree.
  LatencyTable(std::vector<int64_t> dense_widths, double dense_ms, std::vector<std::vector<int64_t>> widths,
               std::vector<std::vector<double>> saved_ms, int64_t batch);

  const std::vector<int64_t>& DenseWidths() const override { return dense_widths_; }
  double Dense() const override { return dense_ms_; }
  double Cost(const std::vector<int64_t>& kept) const override;
  std::string Unit() const override { return "ms"; }
  std::string Amount(double cost) const override;
  // The allowed width with the largest saving (the narrowest of equal ones).
  int64_t CheapestWidth(int g, const std::vector<int64_t>& allowed) const override;

  // The measured widths of group g (ascending) and their savings.
  const std::vector<int64_t>& Widths(int g) const { return widths_[static_cast<size_t>(g)]; }
  const std::vector<double>& Saved(int g) const { return saved_ms_[static_cast<size_t>(g)]; }
  // Milliseconds saved with group g at `width` (interpolated between measured widths).
  double SavedMs(int g, int64_t width) const;
  int64_t batch() const { return batch_; }
  // Table entries: one per group and measured width.
  int Entries() const;

 private:
  std::vector<int64_t> dense_widths_;
  double dense_ms_ = 0;
  std::vector<std::vector<int64_t>> widths_;
  std::vector<std::vector<double>> saved_ms_;
  int64_t batch_ = 1;
};

// Measures the table (see above). `wall` gives the widths measured (round_to and the
// keep bounds). Errors: options out of range (batch, repeats >= 1); libtorch's errors.
StatusOr<LatencyTable> MeasureLatencyTable(const ScriptModel& model, const LayerGraph& graph,
                                           const ChannelAnalysis& groups, const WallOptions& wall,
                                           const LatencyTableOptions& options = {});

// The median milliseconds of `model` at options.batch images (a sped-up model, to check
// the table's estimate), timed as the table is; libtorch's thread count is restored.
StatusOr<double> MeasureModelMs(const ScriptModel& model, const LayerGraph& graph, const LatencyTableOptions& options);

// graph.input_shape with its first dimension set to `batch`.
std::vector<int64_t> BatchShape(const LayerGraph& graph, int64_t batch);

}  // namespace hone::compress
