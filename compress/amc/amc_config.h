// The `amc:` block of a pruning configuration with `pruner: amc` (hone compress prune):
// an AMC search (amc_search.h) picks every channel group's width under a FLOPs budget,
// and the best policy's model is sped up (always) and optionally fine-tuned. Torch-free.
//
//   pruner: amc
//   amc:
//     total_sparsity: 0.5          # FLOPs to remove (or flops_ratio: 0.5, FLOPs to keep)
//     target: flops                # the budget's cost: flops | latency
//     # target: latency takes latency_ratio instead of total_sparsity / flops_ratio:
//     # latency_ratio: 0.6         # keep at most 60% of the dense model's measured ms
//     # latency_batch: 256         # images per timed run of the latency table
//     # latency_repeats: 5         # timed runs per table entry (median), after 2 warm-up
//     # latency_threads: 1         # libtorch threads while timing (0: one per core)
//     max_sparsity_per_layer: 0.8  # no group keeps fewer than 20% of its channels
//     round_to: 8                  # widths are multiples of this (or the full width)
//     episodes: 300
//     warmup_episodes: 100         # random policies before the agent acts
//     noise: 0.5                   # exploration sigma of the first episode after warm-up
//     noise_decay: 0.95            # sigma's factor per episode
//     min_noise: 0                 # sigma's floor (0: the noise dies out, as in AMC's paper)
//     base_pruner: l1              # which channels a width keeps: l1 | l2 | fpgm
//     held_out: 1000               # reward images, split off the END of the training data
//     batch_size: 500              # of the held-out evaluation
//     calibrate_bn: 0              # batches (of 128 training images not held out) that
//                                  # re-estimate batch-norm statistics of every episode's
//                                  # masked model and of the exported one; 0: off
//     seed: 7                      # default: the command's --seed
//   schedule: {finetune_epochs: 2, lr: 0.01}   # optional fine-tuning of the sped-up model
//
// ParsePruneConfig (prune_config.h) calls ParseAmcBlock on the block and reports its
// errors at file:line:col with the others.
//
//   AmcConfig amc;
//   ParseAmcBlock(root["amc"], amc, [&](const YAML::Node& at, const std::string& path,
//                                       const std::string& what) { errors.Add(at, path, what); });
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compress/amc/action_wall.h"
#include "compress/amc/latency_table.h"
#include "compress/prune/pruner_kind.h"

namespace hone::compress {

struct AmcConfig {
  std::string target = "flops";       // flops | latency
  WallOptions wall;                   // flops_ratio (latency: latency_ratio), lower_keep, round_to
  LatencyTableOptions latency;        // target latency: the table's batch, repeats, threads
  int episodes = 300;
  int warmup_episodes = 100;
  double noise = 0.5;
  double noise_decay = 0.95;
  double min_noise = 0;
  PrunerKind base_pruner = PrunerKind::kL1;
  int64_t held_out = 1000;
  int64_t batch_size = 500;
  int64_t calibrate_bn = 0;
  std::optional<uint64_t> seed;       // none: the command's --seed
};

using AmcErrorSink = std::function<void(const YAML::Node& at, const std::string& path, const std::string& what)>;

// Reads the `amc:` map into `config`; every problem goes to `error` (path "amc.<key>").
void ParseAmcBlock(const YAML::Node& block, AmcConfig& config, const AmcErrorSink& error);

// The block's keys, for did-you-mean and error texts.
const std::vector<std::string>& AmcKeys();

}  // namespace hone::compress
