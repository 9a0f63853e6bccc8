#include "compress/amc/amc_environment.h"

#include <cassert>
#include <string>

namespace hone::compress {

StatusOr<AmcEnvironment> AmcEnvironment::Create(const LayerGraph& graph, const ChannelAnalysis& groups,
                                                const AmcOptions& options) {
  return Create(graph, groups, options, nullptr);
}

StatusOr<AmcEnvironment> AmcEnvironment::Create(const LayerGraph& graph, const ChannelAnalysis& groups,
                                                const AmcOptions& options, std::shared_ptr<const AmcCostModel> cost) {
  HONE_RETURN_IF_ERROR(ValidateWallOptions(options));
  GroupFlopsModel flops(graph, groups);
  std::vector<AmcLayer> layers;
  std::vector<int> decisions;
  for (AmcLayer& l : AmcLayers(graph, groups, flops)) {
    if (WidthRange(l.out_channels, options).size() < 2) continue;  // a single width is no decision
    decisions.push_back(l.group);
    layers.push_back(std::move(l));
  }
  if (layers.empty()) {
    return InvalidArgument("amc: the model has no channel group with two allowed widths (round_to " +
                           std::to_string(options.round_to) + ", keep ratios " + std::to_string(options.lower_keep) +
                           " to " + std::to_string(options.upper_keep) + ")");
  }
  if (cost == nullptr) cost = std::make_shared<FlopsCostModel>(flops);
  const bool flops_budget = dynamic_cast<const FlopsCostModel*>(cost.get()) != nullptr;
  if (cost->DenseWidths() != flops.DenseWidths()) {
    return InvalidArgument("amc: the cost model's channel groups are not the model's");
  }
  auto wall = ActionWall::Create(std::move(cost), decisions, options);
  if (!wall.ok()) return wall.status();
  AmcEnvironment env(std::move(flops), std::move(*wall), flops_budget);
  env.features_ = NormalizedStaticFeatures(layers);
  env.layers_ = std::move(layers);
  env.Reset();
  return env;
}

void AmcEnvironment::Reset() {
  widths_ = flops_.DenseWidths();
  keeps_.clear();
  step_ = 0;
}

std::vector<float> AmcEnvironment::State() const {
  assert(!Done());
  const auto& f = features_[static_cast<size_t>(step_)];
  std::vector<float> s(f.begin(), f.end());
  const double dense = static_cast<double>(flops_.DenseFlops());
  s.push_back(static_cast<float>(static_cast<double>(dense - flops_.Flops(widths_)) / dense));
  int64_t rest = 0;
  for (size_t u = static_cast<size_t>(step_) + 1; u < layers_.size(); ++u) rest += layers_[u].flops;
  s.push_back(static_cast<float>(static_cast<double>(rest) / dense));
  s.push_back(static_cast<float>(keeps_.empty() ? 1.0 : keeps_.back()));
  return s;
}

double AmcEnvironment::Step(double action) {
  assert(!Done());
  const AmcLayer& l = layers_[static_cast<size_t>(step_)];
  const int64_t width = wall_.Clip(widths_, step_, action);
  widths_[static_cast<size_t>(l.group)] = width;
  keeps_.push_back(static_cast<double>(width) / static_cast<double>(l.out_channels));
  ++step_;
  return keeps_.back();
}

std::vector<double> AmcEnvironment::RunPolicy(const std::vector<double>& actions) {
  Reset();
  for (size_t t = 0; t < layers_.size(); ++t) Step(t < actions.size() ? actions[t] : 1.0);
  return keeps_;
}

}  // namespace hone::compress
