#include "compress/amc/policy_evaluator.h"

#include <algorithm>
#include <string>

#include "compress/model/script_model_torch.h"
#include "compress/prune/filter_norms_torch.h"
#include "compress/prune/speedup.h"
#include "compress/train/batchnorm_calibration.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {

struct PolicyEvaluator::State {
  ScriptModel model;
  LayerGraph graph;
  ChannelAnalysis groups;
  PolicyEvalOptions options;
  std::vector<std::vector<int64_t>> order;  // per group: channels from the lowest score up
  std::vector<std::pair<at::Tensor, at::Tensor>> params;  // live parameter, its original values
  std::vector<at::Tensor> inputs, labels;  // normalised batches
  int64_t count = 0;
  std::vector<std::pair<at::Tensor, at::Tensor>> buffers;  // live buffer, its original values
  Normalization norm;
};

namespace {

// Per group, its channels by ascending summed score of its ranked producers (stable).
std::vector<std::vector<int64_t>> RankChannels(torch::jit::Module& module, const LayerGraph& graph,
                                               const ChannelAnalysis& groups, PrunerKind ranking) {
  std::vector<std::vector<int64_t>> order(groups.groups.size());
  for (const ChannelGroup& g : groups.groups) {
    const std::vector<int> ranked = RankedProducers(g);
    if (!g.prunable || ranked.empty()) continue;
    at::Tensor score = torch::zeros({g.channels});
    for (int p : ranked) {
      score += WeightNormScores(ranking, TensorAttr(module, graph.nodes[static_cast<size_t>(p)].name, "weight"),
                                /*per_weight=*/true);
    }
    at::Tensor idx = std::get<1>(score.sort(/*stable=*/true, 0, false)).contiguous();
    order[static_cast<size_t>(g.id)] = std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + g.channels);
  }
  return order;
}

}  // namespace

PolicyEvaluator::PolicyEvaluator(std::unique_ptr<State> state) : state_(std::move(state)) {}
PolicyEvaluator::~PolicyEvaluator() = default;
PolicyEvaluator::PolicyEvaluator(PolicyEvaluator&&) noexcept = default;
PolicyEvaluator& PolicyEvaluator::operator=(PolicyEvaluator&&) noexcept = default;

StatusOr<PolicyEvaluator> PolicyEvaluator::Create(const ScriptModel& model, const LayerGraph& graph,
                                                  const ChannelAnalysis& groups, const ImageSet& images,
                                                  const Normalization& norm, const PolicyEvalOptions& options) {
  if (PrunerTraitsOf(options.ranking).scoring != PrunerScoring::kWeightNorm) {
    return InvalidArgument("amc: the base pruner must be l1, l2 or fpgm, but got '" + PrunerName(options.ranking) + "'");
  }
  if (images.count <= 0) return InvalidArgument("amc: the held-out image set is empty");
  if (options.calibrate_bn > 0 && (options.calibration == nullptr || options.calibration->count <= 0)) {
    return InvalidArgument("amc: batch-norm calibration needs calibration images");
  }
  if (options.threads > 0) SetTorchThreads(options.threads);
  try {
    torch::NoGradGuard no_grad;
    auto s = std::make_unique<State>(State{WrapModule(ModuleOf(model).deepcopy()), graph, groups, options});
    torch::jit::Module& module = ModuleOf(s->model);
    module.eval();
    s->order = RankChannels(module, graph, groups, options.ranking);
    for (const auto& p : module.parameters(/*recurse=*/true)) s->params.emplace_back(p, p.detach().clone());
    for (const auto& b : module.buffers(/*recurse=*/true)) s->buffers.emplace_back(b, b.detach().clone());
    s->norm = norm;
    ImageBatches batches(images, norm);
    for (int64_t b = 0; b < batches.size(); b += options.batch_size) {
      const int64_t e = std::min(batches.size(), b + options.batch_size);
      s->inputs.push_back(batches.Range(b, e));
      s->labels.push_back(batches.LabelRange(b, e));
    }
    s->count = batches.size();
    PolicyEvaluator out(std::move(s));
    std::vector<int64_t> dense;
    for (const ChannelGroup& g : groups.groups) dense.push_back(g.channels);
    auto checked = out.Accuracy(dense);  // fails here on images the model does not accept
    if (!checked.ok()) return checked.status();
    return out;
  } catch (const std::exception& e) {
    return InvalidArgument("amc: cannot evaluate the model on the held-out images: " + TorchErrorMessage(e));
  }
}

std::vector<std::vector<int64_t>> PolicyEvaluator::KeptChannels(const std::vector<int64_t>& widths) const {
  std::vector<std::vector<int64_t>> kept(state_->groups.groups.size());
  for (const ChannelGroup& g : state_->groups.groups) {
    const int64_t w = widths[static_cast<size_t>(g.id)];
    const std::vector<int64_t>& order = state_->order[static_cast<size_t>(g.id)];
    if (w >= g.channels || order.empty()) continue;
    std::vector<int64_t>& k = kept[static_cast<size_t>(g.id)];
    k.assign(order.end() - w, order.end());  // the w highest-ranked
    std::sort(k.begin(), k.end());
  }
  return kept;
}

StatusOr<double> PolicyEvaluator::Accuracy(const std::vector<int64_t>& widths) {
  State& s = *state_;
  if (widths.size() != s.groups.groups.size()) {
    return InvalidArgument("amc: a policy needs one width per channel group (" + std::to_string(s.groups.groups.size()) +
                           "), but got " + std::to_string(widths.size()));
  }
  if (s.options.threads > 0) SetTorchThreads(s.options.threads);
  try {
    torch::NoGradGuard no_grad;
    for (auto& [live, original] : s.params) live.copy_(original);
    for (auto& [live, original] : s.buffers) live.copy_(original);
    const std::vector<std::vector<int64_t>> kept = KeptChannels(widths);
    PruneResult unused;
    for (const ChannelGroup& g : s.groups.groups) {
      const std::vector<int64_t>& order = s.order[static_cast<size_t>(g.id)];
      const int64_t remove = g.channels - widths[static_cast<size_t>(g.id)];
      if (remove <= 0 || order.empty()) continue;
      std::vector<int64_t> removed(order.begin(), order.begin() + remove);
      std::sort(removed.begin(), removed.end());
      MaskProducers(s.model, s.graph, g, removed, kept[static_cast<size_t>(g.id)], 0, unused);
      HONE_RETURN_IF_ERROR(MaskFollowers(s.model, s.graph, g, removed));
    }
    if (s.options.calibrate_bn > 0) {
      auto n = CalibrateBatchNorm(s.model, *s.options.calibration, s.norm,
                                  {.batches = s.options.calibrate_bn, .threads = s.options.threads});
      if (!n.ok()) return n.status();
    }
    torch::jit::Module& module = ModuleOf(s.model);
    int64_t correct = 0;
    for (size_t b = 0; b < s.inputs.size(); ++b) {
      at::Tensor logits = module.forward({s.inputs[b]}).toTensor();
      correct += logits.argmax(1).eq(s.labels[b]).sum().item<int64_t>();
    }
    return static_cast<double>(correct) / static_cast<double>(s.count);
  } catch (const std::exception& e) {
    return InvalidArgument("amc: evaluating a policy failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
