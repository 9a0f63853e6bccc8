#include "compress/prune/obs_pruner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "compress/model/script_model_torch.h"
#include "compress/prune/layer_inputs_torch.h"
#include "compress/prune/obs_solver_torch.h"
#include "compress/train/image_batches_torch.h"
#include "compress/train/trainer.h"

namespace hone::compress {
namespace {

// One selected layer's calibration statistics, per group of a grouped convolution: the
// sums of X~ X~^T (the inputs in the model being pruned, whose earlier layers are
// already pruned) and of X X~^T (X: the same images' inputs in the model as it was).
struct LayerStats {
  std::vector<at::Tensor> pruned;  // d x d, double
  std::vector<at::Tensor> cross;
  int64_t columns = 0;
};

void Accumulate(at::Tensor& sum, const at::Tensor& term) {
  at::Tensor d = term.to(torch::kDouble);
  sum = sum.defined() ? sum + d : d;
}

// The input of every selected layer (in `layers` order), from the forward graph; the
// function runs on the model being pruned, and a second one on the reference (clone()
// gives the copy a type of its own).
StatusOr<std::unique_ptr<torch::jit::GraphFunction>> LayerInputs(const torch::jit::Module& module,
                                                                  const LayerGraph& graph,
                                                                  const std::vector<SelectedLayer>& layers) {
  std::vector<int> nodes;
  for (const SelectedLayer& l : layers) nodes.push_back(l.node);
  return LayerInputsProbe(module, graph, nodes, "obs");
}

// solver auto: the exact solver where a group's rows x d^3 steps and rows x d^2 inverses
// stay small (resnet20's largest convolutions: 64 x 576), else the blocked one.
bool UseExactSolver(const std::string& solver, int64_t rows, int64_t d) {
  const double r = static_cast<double>(rows), n = static_cast<double>(d);
  return solver == "auto" && r * n * n * 16 <= 1024.0 * 1024 * 1024 && r * n * n * n <= 3e10;
}

// Removes `count` weights of one layer, group by group in proportion to the group's size.
// First the weights W take up what the earlier layers' pruning changed in their input:
// W' = W (X X~^T) (X~ X~^T + damp)^-1 minimises ||W X - W' X~||^2; then the layer-wise
// OBS removes `count` of W' on X~.
void RemoveWithObs(const at::Tensor& weight, const LayerStats& stats, int64_t count, double damp,
                   const std::string& solver) {
  const int64_t groups = static_cast<int64_t>(stats.pruned.size());
  const int64_t rows_per_group = weight.size(0) / groups;
  at::Tensor flat = weight.view({weight.size(0), -1});
  const double scale = 2.0 / static_cast<double>(std::max<int64_t>(1, stats.columns));
  int64_t left = count;
  for (int64_t g = 0; g < groups; ++g) {
    at::Tensor w = flat.slice(0, g * rows_per_group, (g + 1) * rows_per_group);
    const int64_t share = g + 1 == groups ? left : count * (g + 1) / groups - (count - left);
    at::Tensor h = stats.pruned[static_cast<size_t>(g)] * scale;
    at::Tensor damped = h.clone();
    damped.diagonal().add_(damp * h.diagonal().mean() + (h.diagonal().mean().item<double>() > 0 ? 0.0 : 1.0));
    at::Tensor wc = w.to(torch::kDouble).matmul(stats.cross[static_cast<size_t>(g)] * scale);
    // Weights already zero (an earlier schedule step) stay zero, and OBS removes them
    // first; weights of inputs that never vary keep their values (they cost nothing).
    at::Tensor corrected = torch::cholesky_solve(wc.t(), torch::linalg_cholesky(damped)).t();
    at::Tensor dead = h.diagonal().eq(0).unsqueeze(0).expand_as(corrected);
    corrected = torch::where(dead, w.to(torch::kDouble), corrected).masked_fill(w.eq(0), 0.0);
    w.copy_(UseExactSolver(solver, w.size(0), w.size(1)) ? ObsPruneRowsExact(corrected, h, share, {.damp = damp})
                                                          : ObsPruneRows(corrected, h, share, {.damp = damp}));
    left -= share;
  }
}

// A line per layer ("obs: layer 3/20 layer1.b0.conv2: 1843 of 2304 weights removed,
// 0.41 s"); on a terminal, one line rewritten in place, naming each layer as it starts.
// Nothing without a stream.
class ObsProgress {
 public:
  ObsProgress(std::FILE* out, size_t layers)
      : out_(out), layers_(layers), tty_(out != nullptr && ::isatty(::fileno(out)) == 1) {}
  ObsProgress(const ObsProgress&) = delete;
  ObsProgress& operator=(const ObsProgress&) = delete;
  ~ObsProgress() {
    if (printed_) std::fputc('\n', out_);
  }
  // On a terminal, names the layer while it is being pruned.
  void Start(const std::string& layer) {
    start_ = std::chrono::steady_clock::now();
    if (!tty_) return;
    std::fprintf(out_, "\r\033[Kobs: layer %zu/%zu %s ...", done_ + 1, layers_, layer.c_str());
    std::fflush(out_);
    printed_ = true;
  }
  void Done(const std::string& layer, int64_t count, int64_t weights) {
    if (out_ == nullptr) return;
    ++done_;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(out_, "%sobs: layer %zu/%zu %s: %lld of %lld weights removed, %.2f s%s", tty_ ? "\r\033[K" : "",
                 done_, layers_, layer.c_str(), static_cast<long long>(count), static_cast<long long>(weights), s,
                 tty_ ? "" : "\n");
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  size_t layers_;
  bool tty_;
  size_t done_ = 0;
  bool printed_ = false;  // on a terminal: a line waits for its newline
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

StatusOr<PruneResult> PruneWeightsObs(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                      const ScoringData& data) {
  if (data.train == nullptr || data.train->count <= 0) {
    return InvalidArgument("the obs pruner needs calibration images: give a data set (--data)");
  }
  std::vector<SelectedLayer> layers = SelectLayers(graph, config);
  if (layers.empty()) return InvalidArgument("the config_list selects no Conv2d or Linear layer of this model");
  SetTorchThreads(data.threads);
  torch::jit::Module& module = ModuleOf(model);
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < layers.size(); ++i) index_of[graph.nodes[static_cast<size_t>(layers[i].node)].name] = i;
  std::unique_ptr<torch::jit::GraphFunction> probe, reference_probe;
  std::optional<ImageBatches> images;
  std::vector<at::Tensor> batches;
  torch::jit::Module reference;
  try {
    auto created = LayerInputs(module, graph, layers);
    if (!created.ok()) return created.status();
    probe = std::move(*created);
    images.emplace(*data.train, data.norm);
    const PrunerOptions& o = config.options;
    batches = SeededBatchIndices(images->size(), std::min(images->size(), o.batches * o.batch_size), o.batch_size,
                                 data.seed);
    torch::NoGradGuard no_grad;
    reference = module.clone();
    reference.eval();
    module.eval();
    auto reference_created = LayerInputs(reference, graph, layers);
    if (!reference_created.ok()) return reference_created.status();
    reference_probe = std::move(*reference_created);
  } catch (const std::exception& e) {
    return InvalidArgument("obs could not prepare calibration: " + TorchErrorMessage(e));
  }
  const double damp = config.options.damp;
  ObsProgress progress(data.progress, layers.size());
  WeightRemover remover = [&](const std::string& layer, int64_t count) -> Status {
    progress.Start(layer);
    auto it = index_of.find(layer);
    auto owner = FindSubmodule(module, layer);
    if (it == index_of.end() || !owner || !owner->hasattr("weight")) {
      return InvalidArgument("obs found no weight for layer " + layer);
    }
    const LayerNode& node = graph.nodes[static_cast<size_t>(layers[it->second].node)];
    try {
      torch::NoGradGuard no_grad;
      LayerStats stats;
      for (const at::Tensor& idx : batches) {
        at::Tensor x = images->Images(idx);
        std::vector<at::Tensor> now = InputColumns(node, ProbedLayerInput(*probe, module, x, it->second));
        std::vector<at::Tensor> before =
            InputColumns(node, ProbedLayerInput(*reference_probe, reference, x, it->second));
        stats.pruned.resize(now.size());
        stats.cross.resize(now.size());
        for (size_t g = 0; g < now.size(); ++g) {
          Accumulate(stats.pruned[g], now[g].matmul(now[g].t()));
          Accumulate(stats.cross[g], before[g].matmul(now[g].t()));
        }
        stats.columns += now.front().size(1);
      }
      const at::Tensor weight = owner->attr("weight").toTensor();
      RemoveWithObs(weight, stats, count, damp, config.options.solver);
      progress.Done(layer, count, weight.numel());
    } catch (const std::exception& e) {
      const std::string what = TorchErrorMessage(e);
      const bool singular = what.find("positive-definite") != std::string::npos;
      return InvalidArgument("obs could not prune layer " + layer + ": " + what +
                             (singular ? " (raise pruner_options.damp)" : ""));
    }
    return Status::Ok();
  };
  return PruneWeights(model, graph, config, nullptr, remover);
}

}  // namespace hone::compress
