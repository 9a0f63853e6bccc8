// One-shot architecture search on a supernet (supernet_torch.h): the network's weights
// and the architecture are learned in one training run over half of the training images,
// the other half scoring architectures. Cell spaces of both styles (nb201 and darts);
// what differs between them (drawing, scoring and mutating paths) is in
// path_sampler_torch.h. Chain spaces search with spos only, on the once-for-all
// supernet of chain_search.h (SearchOneShot hands them over). Torch-free.
//
//   darts  first-order DARTS: alpha (rows x operations) and the weights alternate, the
//          weights on softmax(alpha) over the training half, alpha by Adam on the
//          validation half; the cell is derived from alpha without `none`
//          (ArchitectureFromWeights: nb201 each edge's largest; darts each node's two
//          strongest edges).
//   gdas   GDAS: each step a Gumbel-softmax sample at a temperature annealed from
//          tau_max to tau_min, straight-through to alpha (nb201: one operation per edge;
//          darts: the two strongest perturbed edges per node, without `none`).
//   enas   ENAS: a controller (logits rows x operations) samples a path per step, the
//          shared weights train on it, and the controller follows REINFORCE on the
//          sampled path's validation accuracy with a moving-average baseline.
//   spos   single-path one-shot: the weights train on uniformly sampled paths; then
//          `candidates` architectures (random, then mutations of the best) are scored on
//          validation batches with the trained weights and the best is kept.
//
// Skip collapse (DARTS's cells degrade to skip connections as the search goes on): darts
// and gdas stop early, DARTS+ style, when the derived (normal) cell has more than
// `max_skip` skip connections, and return the cell of the epoch before; `stopped` says so.
//
//   auto result = SearchOneShot(space, train_images, norm, {.strategy = OneShotStrategy::kDarts, .epochs = 10});
//   std::cout << DescribeArchitecture(space, result->arch);
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "compress/data/image_set.h"
#include "compress/model/script_model.h"
#include "core/status.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

enum class OneShotStrategy { kDarts, kGdas, kEnas, kSpos };

// "darts", "gdas", "enas", "spos"; errors list the names.
StatusOr<OneShotStrategy> ParseOneShotStrategy(std::string_view name);
const char* OneShotStrategyName(OneShotStrategy strategy);

struct OneShotOptions {
  OneShotStrategy strategy = OneShotStrategy::kDarts;
  int epochs = 10;
  int64_t batch_size = 64;
  double lr = 0.025;  // weights: SGD, momentum 0.9, cosine to 0
  double weight_decay = 3e-4;
  double arch_lr = 3e-4;  // alpha (Adam, betas 0.5 / 0.999) or the controller (Adam)
  int max_skip = 2;       // darts, gdas: early stop above this many skips (< 0: never)
  double tau_max = 10.0, tau_min = 0.1;  // gdas
  int candidates = 60;    // spos: architectures scored after training
  int valid_batches = 8;  // batches that score an architecture
  // spos on chain spaces: the evolution picks only architectures within these (0: no
  // bound), counted on the stand-alone network (chain_search.h's ChainCostOf).
  int64_t max_parameters = 0;
  int64_t max_macs = 0;
  uint64_t seed = 0;
  int threads = 1;
  std::FILE* progress = nullptr;  // a line per epoch
};

struct OneShotEpoch {
  int epoch = 0;
  double train_accuracy = 0;  // of the paths or mixtures trained on
  double valid_accuracy = 0;  // of the derived architecture's path
  int skips = 0;
  nlohmann::json config;      // the derived architecture
  double seconds = 0;
};

struct OneShotResult {
  Architecture arch;
  nlohmann::json config;
  std::vector<OneShotEpoch> history;
  // Why the search stopped before its last epoch, or that every epoch's cell collapsed;
  // empty otherwise.
  std::string stopped;
  // The architecture with the supernet's weights, its batch norms' statistics measured on
  // its own path over training batches.
  std::optional<compress::ScriptModel> model;
};

// Errors: a space one-shot search does not support, invalid options, data too small for
// two batches.
StatusOr<OneShotResult> SearchOneShot(const ModelSpace& space, const compress::ImageSet& data,
                                      const compress::Normalization& norm, const OneShotOptions& options);

}  // namespace hone::nas
