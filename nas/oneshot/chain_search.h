// Single-path one-shot (SPOS) search over a chain space, on the weight-sharing supernet
// of chain_supernet_torch.h. SearchOneShot (oneshot_search.h) calls it for chain spaces
// with strategy spos. Torch-free.
//
// 1. The training images are split in half (seeded). The supernet trains on the first
//    half, each step on one uniformly sampled path (SGD, momentum 0.9, cosine lr).
// 2. Evolution over the trained supernet: `candidates` architectures, half uniformly
//    sampled, the rest mutations (each decision resampled with probability 0.2, at
//    least one) of a parent drawn from the best quarter so far. Each is scored on
//    `valid_batches` batches of the second half, after its batch norms' statistics are
//    re-estimated on as many training batches. Candidates over `limits` are not scored.
// 3. The best one's batch norms are re-estimated on up to 60 training batches and it is
//    extracted as a stand-alone network (OneShotResult::model).
//
//   auto result = SearchChainOneShot(space, images, norm, {.strategy = OneShotStrategy::kSpos, .epochs = 5},
//                                    {.max_macs = 5'000'000});
//   std::cout << DescribeArchitecture(space, result->arch);
#pragma once

#include <cstdint>

#include "compress/data/image_set.h"
#include "core/status.h"
#include "nas/oneshot/oneshot_search.h"
#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

// The size of a chain architecture's stand-alone network (arch_model.h): trainable
// parameters (ScriptModel::NumParameters) and multiply-accumulates of the convolutions
// and the classifier for one input of the space's shape (batch norms not counted).
struct ChainCost {
  int64_t parameters = 0;
  int64_t macs = 0;
};
ChainCost ChainCostOf(const ModelSpace& space, const Architecture& arch);

// Upper bounds on the architectures the evolution may pick; 0: no bound.
struct ChainLimits {
  int64_t max_parameters = 0;
  int64_t max_macs = 0;
};

// Errors: a space other than a chain space, a strategy other than spos, data too small
// for two batches, limits that none of 1000 sampled architectures meets.
StatusOr<OneShotResult> SearchChainOneShot(const ModelSpace& space, const compress::ImageSet& data,
                                           const compress::Normalization& norm, const OneShotOptions& options,
                                           const ChainLimits& limits = {});

}  // namespace hone::nas
