// Progress of an AMC search: on a terminal one live line rewritten in place after every
// episode; elsewhere (a log, a pipe) one line per episode. Each says the episode, its
// reward, the best so far, the policy's FLOPs as a fraction of the dense model's, and the
// policy as keep ratios in percent. Torch-free.
//
//   AmcProgress progress(stdout, episodes, env.DenseFlops());
//   RunAmcSearch(env, agent, episodes, reward, [&](const AmcEpisode& e) { progress.Episode(e); });
//   progress.Finish();   // ends the live line
//
//   amc episode 12/300 reward 0.8123 best 0.8450 (episode 7) FLOPs 0.498 keep 50 75 100 25
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "compress/amc/amc_search.h"

namespace hone::compress {

// "50 75 100 25": keep ratios in whole percent.
std::string CompactPolicy(const std::vector<double>& keeps);

class AmcProgress {
 public:
  // `out` null: silent. A terminal is detected with isatty.
  AmcProgress(std::FILE* out, int episodes, int64_t dense_flops);
  AmcProgress(const AmcProgress&) = delete;
  AmcProgress& operator=(const AmcProgress&) = delete;

  void Episode(const AmcEpisode& episode);
  // Ends a live line with a newline (no-op elsewhere or when nothing was written).
  void Finish();

  // The line for `episode` (without a newline), given the best episode so far.
  std::string Line(const AmcEpisode& episode) const;

 private:
  std::FILE* out_;
  bool live_;
  bool open_ = false;
  int episodes_;
  double dense_flops_;
  double best_reward_ = 0;
  int best_episode_ = -1;
};

}  // namespace hone::compress
