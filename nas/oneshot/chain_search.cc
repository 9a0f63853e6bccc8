#include "nas/oneshot/chain_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"
#include "nas/oneshot/chain_supernet_torch.h"
#include "nas/oneshot/weight_step_torch.h"

namespace hone::nas {
namespace {

namespace F = torch::nn::functional;

constexpr size_t kFinalCalibrationBatches = 60;
constexpr int kSampleTries = 1000;
constexpr double kMutationRate = 0.2;

struct Candidate {
  double accuracy = 0;
  nlohmann::json config;
  Architecture arch;
};

struct ChainSearch {
  ChainSearch(const ModelSpace& s, const OneShotOptions& o, const ChainLimits& l, ChainSupernet n,
              const compress::ImageSet& data, const compress::Normalization& norm)
      : space(s), opt(o), limits(l), net(std::move(n)), images(data, norm), decisions(ToSearchSpace(s)), rng(o.seed) {}

  const ModelSpace& space;
  const OneShotOptions& opt;
  const ChainLimits& limits;
  ChainSupernet net;
  compress::ImageBatches images;
  SearchSpace decisions;
  std::mt19937_64 rng;
  std::vector<at::Tensor> train, valid;  // index batches of the two halves
  std::vector<at::Tensor> calibration;   // images that re-estimate a candidate's batch norms
  std::unique_ptr<torch::optim::SGD> sgd;

  Architecture Of(const nlohmann::json& config) const {
    auto arch = ArchitectureOf(space, config);
    return arch.ok() ? *arch : Architecture{};  // a sample of the space's own decisions always parses
  }

  bool Fits(const Architecture& arch) const {
    if (limits.max_parameters <= 0 && limits.max_macs <= 0) return true;
    ChainCost cost = ChainCostOf(space, arch);
    return (limits.max_parameters <= 0 || cost.parameters <= limits.max_parameters) &&
           (limits.max_macs <= 0 || cost.macs <= limits.max_macs);
  }

  // A configuration mutated from `parent`: each decision resampled with probability
  // kMutationRate, at least one.
  nlohmann::json Mutate(const nlohmann::json& parent) {
    nlohmann::json child = parent, fresh = decisions.Sample(rng);
    if (fresh.empty()) return child;
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    bool changed = false;
    for (auto it = fresh.begin(); it != fresh.end(); ++it) {
      if (coin(rng) < kMutationRate) {
        child[it.key()] = it.value();
        changed = true;
      }
    }
    if (!changed) {
      auto it = fresh.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, fresh.size() - 1)(rng));
      child[it.key()] = it.value();
    }
    return child;
  }

  // One epoch over the training half, each step on a uniformly sampled path; returns the
  // training accuracy.
  double Epoch(int64_t* step, int64_t total_steps) {
    int64_t correct = 0, seen = 0;
    net.module.train();
    for (const at::Tensor& idx : train) {
      at::Tensor labels = images.Labels(idx);
      correct += WeightStep(*sgd, opt.lr, (*step)++, total_steps, labels, [&] {
        return ChainForward(net, images.Images(idx), ChainPath(space, Of(decisions.Sample(rng))));
      });
      seen += labels.size(0);
    }
    return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  }

  // Validation accuracy of `arch`'s path with its own batch-norm statistics.
  double Score(const Architecture& arch) {
    std::vector<int64_t> path = ChainPath(space, arch);
    CalibrateChainBatchNorm(net, path, calibration);
    torch::NoGradGuard no_grad;
    int64_t correct = 0, seen = 0;
    for (size_t b = 0; b < valid.size() && static_cast<int>(b) < opt.valid_batches; ++b) {
      at::Tensor labels = images.Labels(valid[b]);
      correct += (ChainForward(net, images.Images(valid[b]), path).argmax(1) == labels).sum().item<int64_t>();
      seen += labels.size(0);
    }
    return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  }

  // A uniformly sampled configuration within the limits, or nullopt after kSampleTries.
  std::optional<nlohmann::json> SampleFitting() {
    for (int i = 0; i < kSampleTries; ++i) {
      nlohmann::json config = decisions.Sample(rng);
      if (Fits(Of(config))) return config;
    }
    return std::nullopt;
  }

  Status Evolve(Candidate* best);
};

// SPOS's evolution: random candidates, then mutations of the best quarter so far; each
// configuration is scored once.
Status ChainSearch::Evolve(Candidate* best) {
  std::vector<Candidate> pool;
  std::set<std::string> seen;
  auto add = [&](const nlohmann::json& config) {
    Architecture arch = Of(config);
    nlohmann::json canonical = ConfigOf(space, arch);  // unused blocks' decisions do not count
    if (!Fits(arch) || !seen.insert(canonical.dump()).second) return false;
    pool.push_back({Score(arch), canonical, arch});
    std::stable_sort(pool.begin(), pool.end(), [](const auto& x, const auto& y) { return x.accuracy > y.accuracy; });
    return true;
  };
  const int random = std::max(1, opt.candidates / 2);
  for (int i = 0, tries = 0; i < random && tries < kSampleTries; ++tries) {
    auto config = SampleFitting();
    if (!config) break;
    i += add(*config) ? 1 : 0;
  }
  if (pool.empty()) {
    return InvalidArgument("space '" + space.name + "': none of " + std::to_string(kSampleTries) +
                           " sampled architectures meets the limits (parameters " +
                           std::to_string(limits.max_parameters) + ", MACs " + std::to_string(limits.max_macs) + ")");
  }
  for (int i = random, tries = 0; i < opt.candidates && tries < kSampleTries; ++tries) {
    size_t parents = std::max<size_t>(1, pool.size() / 4);
    size_t parent = std::uniform_int_distribution<size_t>(0, parents - 1)(rng);
    i += add(Mutate(pool[parent].config)) ? 1 : 0;
  }
  *best = pool.front();
  return Status::Ok();
}

void Split(ChainSearch& s, int64_t n) {
  at::Tensor all = compress::SeededBatchIndices(n, n, n, s.opt.seed).front();
  at::Tensor first = all.slice(0, 0, n / 2), second = all.slice(0, n / 2, n);
  for (int64_t b = 0; b < first.size(0); b += s.opt.batch_size) s.train.push_back(first.slice(0, b, b + s.opt.batch_size));
  for (int64_t b = 0; b < second.size(0); b += s.opt.batch_size) s.valid.push_back(second.slice(0, b, b + s.opt.batch_size));
  for (size_t b = 0; b < s.train.size() && static_cast<int>(b) < s.opt.valid_batches; ++b) {
    s.calibration.push_back(s.images.Images(s.train[b]));
  }
}

void Report(const ChainSearch& s, const OneShotEpoch& e, const std::string& scored) {
  if (!s.opt.progress) return;
  std::fprintf(s.opt.progress, "spos epoch %d/%d: train %.2f%%, %s %.2f%% on validation, %.1f s\n", e.epoch,
               s.opt.epochs, 100 * e.train_accuracy, scored.c_str(), 100 * e.valid_accuracy, e.seconds);
  std::fflush(s.opt.progress);
}

// The training epochs; each but the last scores one sampled architecture, the last runs
// the evolution, whose best is the result.
Status RunEpochs(ChainSearch& s, OneShotResult* result) {
  int64_t step = 0, total = static_cast<int64_t>(s.train.size()) * s.opt.epochs;
  for (int epoch = 1; epoch <= s.opt.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    OneShotEpoch e;
    e.epoch = epoch;
    e.train_accuracy = s.Epoch(&step, total);
    Candidate chosen;
    std::string scored = "sampled path";
    if (epoch == s.opt.epochs) {
      HONE_RETURN_IF_ERROR(s.Evolve(&chosen));
      scored = "best of " + std::to_string(s.opt.candidates) + " candidates";
    } else {
      chosen.config = s.decisions.Sample(s.rng);
      chosen.arch = s.Of(chosen.config);
      chosen.accuracy = s.Score(chosen.arch);
    }
    e.valid_accuracy = chosen.accuracy;
    e.config = ConfigOf(s.space, chosen.arch);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Report(s, e, scored);
    result->history.push_back(e);
    result->arch = chosen.arch;
    result->config = e.config;
  }
  return Status::Ok();
}

int64_t Spatial(int64_t size, int stride) { return stride == 2 ? (size - 1) / 2 + 1 : size; }

}  // namespace

StatusOr<OneShotResult> SearchChainOneShot(const ModelSpace& space, const compress::ImageSet& data,
                                           const compress::Normalization& norm, const OneShotOptions& opt,
                                           const ChainLimits& limits) {
  if (opt.strategy != OneShotStrategy::kSpos) {
    return InvalidArgument("space '" + space.name + "': chain spaces search with spos, not " +
                           OneShotStrategyName(opt.strategy));
  }
  if (opt.epochs < 1 || opt.batch_size < 1 || opt.lr <= 0 || opt.candidates < 1 || opt.valid_batches < 1 ||
      data.count < 2 * opt.batch_size) {
    return InvalidArgument("chain one-shot search: epochs, batch size, lr, candidates and validation batches must be "
                           "positive and the data at least two batches, but got " + std::to_string(data.count) +
                           " images for batches of " + std::to_string(opt.batch_size));
  }
  auto net = BuildChainSupernet(space, opt.seed);
  if (!net.ok()) return net.status();
  try {
    compress::SetTorchThreads(opt.threads);
    torch::manual_seed(opt.seed);
    ChainSearch s(space, opt, limits, std::move(*net), data, norm);
    Split(s, data.count);
    std::vector<at::Tensor> weights;
    for (const at::Tensor& p : s.net.module.parameters()) weights.push_back(p);
    s.sgd = std::make_unique<torch::optim::SGD>(
        weights, torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(opt.weight_decay));
    OneShotResult result;
    HONE_RETURN_IF_ERROR(RunEpochs(s, &result));
    std::vector<at::Tensor> batches;
    for (size_t b = 0; b < s.train.size() && b < kFinalCalibrationBatches; ++b) batches.push_back(s.images.Images(s.train[b]));
    CalibrateChainBatchNorm(s.net, ChainPath(space, result.arch), batches);
    auto model = ExtractChainArchitecture(s.net, space, result.arch);
    if (!model.ok()) return model.status();
    result.model = *model;
    return result;
  } catch (const std::exception& e) {
    return Internal(std::string("chain one-shot search: ") + compress::TorchErrorMessage(e));
  }
}

ChainCost ChainCostOf(const ModelSpace& space, const Architecture& arch) {
  ChainCost c;
  int64_t h = space.input.height, w = space.input.width, in = space.stem_channels;
  auto conv = [&](int64_t cin, int64_t cout, int64_t k, int64_t groups, int64_t oh, int64_t ow) {
    c.parameters += cout * (cin / groups) * k * k + 2 * cout;  // with the batch norm's scale and shift
    c.macs += oh * ow * cout * (cin / groups) * k * k;
  };
  conv(space.input.channels, in, 3, 1, h, w);
  for (const auto& blocks : arch.stages) {
    for (const ChainBlock& b : blocks) {
      const int64_t hidden = in * b.expansion, oh = Spatial(h, b.stride), ow = Spatial(w, b.stride);
      if (b.expansion != 1) conv(in, hidden, 1, 1, h, w);
      conv(hidden, hidden, b.kernel, hidden, oh, ow);
      conv(hidden, b.width, 1, 1, oh, ow);
      h = oh;
      w = ow;
      in = b.width;
    }
  }
  if (space.chain.head_channels > 0) {
    conv(in, space.chain.head_channels, 1, 1, h, w);
    in = space.chain.head_channels;
  }
  c.parameters += in * space.classes + space.classes;
  c.macs += in * space.classes;
  return c;
}

}  // namespace hone::nas
