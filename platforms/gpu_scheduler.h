// GpuScheduler: which GPUs a local trial gets. Each GPU takes up to max_trials_per_gpu
// trials at once; a trial that needs n GPUs gets n distinct GPUs with a free slot, the
// least loaded first (ties: lowest index).
//
//   GpuScheduler s({0, 1}, /*max_trials_per_gpu=*/2);
//   s.Capacity(1)  -> 4
//   s.Acquire(2)   -> {0, 1}
//   s.Acquire(1)   -> {0}         s.Capacity(2) -> 0 (only GPU 1 has a free slot)
//   s.Release({0, 1});            s.Capacity(2) -> 1
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone {

class GpuScheduler {
 public:
  // REQUIRES: max_trials_per_gpu >= 1; gpus distinct.
  GpuScheduler(std::vector<int> gpus, int max_trials_per_gpu);

  size_t size() const { return slots_.size(); }
  // How many more trials needing `gpus_per_trial` GPUs each could start now.
  // REQUIRES: gpus_per_trial >= 1.
  int Capacity(int gpus_per_trial) const;
  // GPU indices (ascending) for one more trial, or nullopt when not enough are free now.
  std::optional<std::vector<int>> Acquire(int gpus_per_trial);
  // Gives back what Acquire returned.
  void Release(const std::vector<int>& gpus);
  // Trials of ours running on `gpu` now.
  int Load(int gpu) const;
  // GPUs that processes other than our trials use (useActiveGpu: false) take no new
  // trials until a later call leaves them out.
  void SetForeignBusy(const std::vector<int>& gpus);

 private:
  struct Slot {
    int index = 0;
    int load = 0;
    bool foreign_busy = false;
  };
  int Free(const Slot& slot) const { return slot.foreign_busy ? 0 : max_trials_per_gpu_ - slot.load; }

  std::vector<Slot> slots_;  // ascending index
  int max_trials_per_gpu_;
};

// gpuIndices as NNI accepts it: a list of non-negative ints, one int, or a string "0,1".
StatusOr<std::vector<int>> ParseGpuIndices(const nlohmann::json& value);

}  // namespace hone
