#include "nas/oneshot/oneshot_search.h"

#include <chrono>
#include <cmath>
#include <memory>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"
#include "nas/oneshot/chain_search.h"
#include "nas/oneshot/path_sampler_torch.h"
#include "nas/oneshot/supernet_torch.h"
#include "nas/oneshot/weight_step_torch.h"

namespace hone::nas {
namespace {

namespace F = torch::nn::functional;

struct Search {
  Search(const ModelSpace& s, const OneShotOptions& o, Supernet n, const compress::ImageSet& data,
         const compress::Normalization& norm)
      : space(s), opt(o), net(std::move(n)), images(data, norm) {}

  const ModelSpace& space;
  const OneShotOptions& opt;
  Supernet net;
  compress::ImageBatches images;
  std::vector<at::Tensor> train, valid;  // index batches of the two halves
  at::Tensor alpha;                      // edges x operations: architecture weights or controller logits
  std::unique_ptr<torch::optim::SGD> sgd;
  std::unique_ptr<torch::optim::Adam> adam;
  double baseline = 0;
  bool have_baseline = false;
  size_t next_valid = 0;

  int64_t Edges() const { return static_cast<int64_t>(net.edges.size()); }
  int64_t Ops() const { return static_cast<int64_t>(net.operations.size()); }
  const at::Tensor& NextValid() { return valid[next_valid++ % valid.size()]; }

  at::Tensor Logits(const at::Tensor& idx, const at::Tensor& w) {
    return net.module.forward({images.Images(idx), w}).toTensor();
  }

  // The weights of a training step, by strategy.
  at::Tensor TrainWeights(double tau) {
    switch (opt.strategy) {
      case OneShotStrategy::kDarts:
        return torch::softmax(alpha, 1).detach();
      case OneShotStrategy::kGdas:
        return GumbelPath(net, alpha, tau).detach();
      case OneShotStrategy::kEnas:
        return SampledPath(net, alpha);
      case OneShotStrategy::kSpos:
        return UniformPath(net);
    }
    return UniformPath(net);
  }

  void ArchStep(double tau) {
    const at::Tensor& idx = NextValid();
    at::Tensor labels = images.Labels(idx);
    adam->zero_grad();
    if (opt.strategy == OneShotStrategy::kEnas) {
      at::Tensor path = SampledPath(net, alpha);
      double reward;
      {
        torch::NoGradGuard no_grad;
        reward = (Logits(idx, path).argmax(1) == labels).to(torch::kFloat).mean().item<double>();
      }
      baseline = have_baseline ? 0.95 * baseline + 0.05 * reward : reward;
      have_baseline = true;
      at::Tensor log_p = PathLogProb(net, alpha, path);
      at::Tensor entropy = PathEntropy(net, alpha);
      (-(reward - baseline) * log_p - 1e-4 * entropy).backward();
    } else {
      at::Tensor w = opt.strategy == OneShotStrategy::kDarts ? torch::softmax(alpha, 1) : GumbelPath(net, alpha, tau);
      F::cross_entropy(Logits(idx, w), labels).backward();
    }
    adam->step();
  }

  // One epoch over the training half; returns the training accuracy.
  double Epoch(int epoch, int64_t* step, int64_t total_steps) {
    double tau = opt.tau_max - (opt.tau_max - opt.tau_min) * (opt.epochs > 1 ? (epoch - 1.0) / (opt.epochs - 1.0) : 1.0);
    int64_t correct = 0, seen = 0;
    net.module.train();
    for (const at::Tensor& idx : train) {
      if (opt.strategy != OneShotStrategy::kSpos) ArchStep(tau);
      at::Tensor labels = images.Labels(idx);
      correct += WeightStep(*sgd, opt.lr, (*step)++, total_steps, labels, [&] { return Logits(idx, TrainWeights(tau)); });
      seen += labels.size(0);
    }
    return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  }

  // Accuracy of `arch`'s path on validation batches, with batch statistics: the running
  // ones belong to the mixture the supernet trained on, not to one path. The running
  // statistics are left as they were.
  double ValidAccuracy(const Architecture& arch) {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> saved;
    for (const at::Tensor& b : net.module.buffers()) saved.push_back(b.clone());
    net.module.train();
    at::Tensor w = PathWeights(net, arch);
    int64_t correct = 0, seen = 0;
    for (size_t b = 0; b < valid.size() && static_cast<int>(b) < opt.valid_batches; ++b) {
      at::Tensor labels = images.Labels(valid[b]);
      correct += (Logits(valid[b], w).argmax(1) == labels).sum().item<int64_t>();
      seen += labels.size(0);
    }
    size_t i = 0;
    for (const at::Tensor& b : net.module.buffers()) b.copy_(saved[i++]);
    return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  }

  // Running statistics of `arch`'s path (the exported network's), from training batches:
  // reset, then 60 batches (cycling) at the batch norms' momentum 0.1, so that what the
  // supernet's mixture left weighs 0.9^60 (< 0.2%).
  void RecalibrateBatchNorm(const Architecture& arch) {
    torch::NoGradGuard no_grad;
    for (const auto& m : net.module.named_modules()) {
      if (!m.value.hasattr("running_mean")) continue;
      m.value.attr("running_mean").toTensor().zero_();
      m.value.attr("running_var").toTensor().fill_(1.0);
    }
    net.module.train();
    at::Tensor w = PathWeights(net, arch);
    for (size_t b = 0; b < 60; ++b) Logits(train[b % train.size()], w);
    net.module.eval();
  }

  Architecture Derived() { return ArchitectureFromWeights(net, alpha, true); }
};

Architecture PathArchitecture(const Search& s, const at::Tensor& path) {
  return ArchitectureFromWeights(s.net, path, false);
}

// SPOS's search over the trained supernet: random architectures, then one round of
// mutations (MutateArchitecture: one change each) of the best quarter.
Architecture SposSelect(Search& s) {
  std::vector<std::pair<double, Architecture>> scored;
  int random = std::max(1, s.opt.candidates / 2);
  for (int i = 0; i < random; ++i) {
    Architecture a = PathArchitecture(s, UniformPath(s.net));
    scored.emplace_back(s.ValidAccuracy(a), a);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  size_t parents = std::max<size_t>(1, scored.size() / 4);
  for (int i = 0; i < s.opt.candidates - random; ++i) {
    Architecture child = MutateArchitecture(s.net, scored[static_cast<size_t>(i) % parents].second);
    scored.emplace_back(s.ValidAccuracy(child), child);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  return scored.front().second;
}

Status CheckOptions(const OneShotOptions& o, int64_t images) {
  if (o.epochs < 1 || o.batch_size < 1 || o.lr <= 0 || o.arch_lr <= 0 || o.candidates < 1 || o.valid_batches < 1 ||
      o.tau_min <= 0 || o.tau_max < o.tau_min) {
    return InvalidArgument("one-shot search: epochs, batch size, learning rates, candidates, validation batches and "
                           "temperatures must be positive (tau_max >= tau_min)");
  }
  if (images < 2 * o.batch_size) {
    return InvalidArgument("one-shot search: " + std::to_string(images) + " images are fewer than two batches of " +
                           std::to_string(o.batch_size));
  }
  return Status::Ok();
}

void Split(Search& s, int64_t n) {
  std::vector<at::Tensor> order = compress::SeededBatchIndices(n, n, n, s.opt.seed);
  at::Tensor all = order.front();
  at::Tensor first = all.slice(0, 0, n / 2), second = all.slice(0, n / 2, n);
  for (int64_t b = 0; b < first.size(0); b += s.opt.batch_size) s.train.push_back(first.slice(0, b, b + s.opt.batch_size));
  for (int64_t b = 0; b < second.size(0); b += s.opt.batch_size) s.valid.push_back(second.slice(0, b, b + s.opt.batch_size));
}

void Report(const Search& s, const OneShotEpoch& e) {
  if (!s.opt.progress) return;
  std::fprintf(s.opt.progress, "%s epoch %d/%d: train %.2f%%, derived cell %.2f%% on validation, %d skips, %.1f s\n",
               OneShotStrategyName(s.opt.strategy), e.epoch, s.opt.epochs, 100 * e.train_accuracy,
               100 * e.valid_accuracy, e.skips, e.seconds);
  std::fflush(s.opt.progress);
}

// The epochs of the search, with the skip-collapse guard.
OneShotResult RunEpochs(Search& s) {
  const OneShotOptions& opt = s.opt;
  const ModelSpace& space = s.space;
  OneShotResult result;
  int kept = 0;  // the epoch whose cell result holds
  int64_t step = 0, total = static_cast<int64_t>(s.train.size()) * opt.epochs;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    OneShotEpoch e;
    e.epoch = epoch;
    e.train_accuracy = s.Epoch(epoch, &step, total);
    Architecture derived = opt.strategy == OneShotStrategy::kSpos && epoch == opt.epochs ? SposSelect(s)
                           : opt.strategy == OneShotStrategy::kSpos ? PathArchitecture(s, UniformPath(s.net))
                                                                    : s.Derived();
    e.valid_accuracy = s.ValidAccuracy(derived);
    e.skips = SkipCount(derived);
    e.config = ConfigOf(space, derived);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Report(s, e);
    bool collapse = opt.max_skip >= 0 && e.skips > opt.max_skip &&
                    (opt.strategy == OneShotStrategy::kDarts || opt.strategy == OneShotStrategy::kGdas);
    result.history.push_back(e);
    if (collapse && kept > 0) {
      result.stopped = "stopped after epoch " + std::to_string(epoch) + ": the derived cell has " +
                       std::to_string(e.skips) + " skip connections (more than max_skip " +
                       std::to_string(opt.max_skip) + "); kept the cell of epoch " + std::to_string(kept);
      break;
    }
    if (!collapse || epoch == opt.epochs) {
      // Early epochs that collapse are not kept (a later one may not); the last is kept
      // when no epoch had few enough skips.
      if (collapse) {
        result.stopped = "every epoch's cell had more than max_skip " + std::to_string(opt.max_skip) +
                         " skip connections; kept the last";
      }
      kept = epoch;
      result.arch = derived;
      result.config = e.config;
    }
  }
  return result;
}

}  // namespace

StatusOr<OneShotStrategy> ParseOneShotStrategy(std::string_view name) {
  if (name == "darts") return OneShotStrategy::kDarts;
  if (name == "gdas") return OneShotStrategy::kGdas;
  if (name == "enas") return OneShotStrategy::kEnas;
  if (name == "spos") return OneShotStrategy::kSpos;
  return InvalidArgument("unknown one-shot strategy '" + std::string(name) + "' (known: darts, gdas, enas, spos)");
}

const char* OneShotStrategyName(OneShotStrategy strategy) {
  switch (strategy) {
    case OneShotStrategy::kDarts: return "darts";
    case OneShotStrategy::kGdas: return "gdas";
    case OneShotStrategy::kEnas: return "enas";
    case OneShotStrategy::kSpos: return "spos";
  }
  return "?";
}

StatusOr<OneShotResult> SearchOneShot(const ModelSpace& space, const compress::ImageSet& data,
                                      const compress::Normalization& norm, const OneShotOptions& opt) {
  HONE_RETURN_IF_ERROR(CheckOptions(opt, data.count));
  if (space.kind == SpaceKind::kChain) {
    if (opt.strategy != OneShotStrategy::kSpos) {
      return InvalidArgument("space '" + space.name + "': chain spaces search with spos (--strategy spos), not " +
                             OneShotStrategyName(opt.strategy));
    }
    return SearchChainOneShot(space, data, norm, opt, {.max_parameters = opt.max_parameters, .max_macs = opt.max_macs});
  }
  auto net = BuildSupernet(space, opt.seed);
  if (!net.ok()) return net.status();
  try {
    compress::SetTorchThreads(opt.threads);
    torch::manual_seed(opt.seed);
    Search s(space, opt, std::move(*net), data, norm);
    Split(s, data.count);
    s.alpha = (1e-3 * torch::randn({s.Edges(), s.Ops()})).requires_grad_(true);
    std::vector<at::Tensor> weights;
    for (const at::Tensor& p : s.net.module.parameters()) weights.push_back(p);
    s.sgd = std::make_unique<torch::optim::SGD>(
        weights, torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(opt.weight_decay));
    double beta1 = opt.strategy == OneShotStrategy::kEnas ? 0.0 : 0.5;
    s.adam = std::make_unique<torch::optim::Adam>(
        std::vector<at::Tensor>{s.alpha},
        torch::optim::AdamOptions(opt.arch_lr).betas({beta1, 0.999}).weight_decay(opt.strategy == OneShotStrategy::kEnas ? 0.0 : 1e-3));
    OneShotResult result = RunEpochs(s);
    s.RecalibrateBatchNorm(result.arch);
    auto model = ExtractArchitecture(s.net, space, result.arch);
    if (!model.ok()) return model.status();
    result.model = *model;
    return result;
  } catch (const std::exception& e) {
    return Internal(std::string("one-shot search: ") + compress::TorchErrorMessage(e));
  }
}

}  // namespace hone::nas
