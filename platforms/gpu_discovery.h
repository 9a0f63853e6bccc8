// GPU discovery through nvidia-smi, which every NVIDIA driver installs. No nvidia-smi on
// the PATH means no GPUs, not an error: most experiments run on CPUs.
//
//   DiscoverGpus({.path_env = getenv("PATH")})
//     runs: nvidia-smi --query-gpu=index,uuid,memory.used,memory.total,utilization.gpu
//                      --format=csv,noheader,nounits
//     -> {gpus: [{index 0, uuid "GPU-...", 1024 MiB used of 81559, 3 %}, ...],
//         source: "nvidia-smi (/usr/bin/nvidia-smi)"}
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hone {

struct GpuInfo {
  int index = 0;
  std::string uuid;
  double memory_used_mib = 0;
  double memory_total_mib = 0;
  double utilization_percent = 0;  // 0 when nvidia-smi says [N/A]
  int compute_processes = -1;      // processes using it; -1 when not asked for
};

struct GpuInventory {
  std::vector<GpuInfo> gpus;
  std::string source;  // for messages: "nvidia-smi (/usr/bin/nvidia-smi)", "no nvidia-smi on PATH"
};

struct GpuDiscoveryOptions {
  std::string path_env;          // the PATH that nvidia-smi is looked up in
  bool count_processes = false;  // also run --query-compute-apps (for useActiveGpu: false)
  std::chrono::milliseconds timeout{15000};  // nvidia-smi hangs when the driver is wedged
};

// kIo/kUnavailable when nvidia-smi is there but fails or hangs (its message included).
StatusOr<GpuInventory> DiscoverGpus(const GpuDiscoveryOptions& options);

// The executable `name` in the first directory of `path_env` that has it, or nullopt.
std::optional<std::string> FindExecutable(std::string_view name, std::string_view path_env);

// Parses the --query-gpu output above; sorted by index.
StatusOr<std::vector<GpuInfo>> ParseNvidiaSmiGpus(std::string_view csv);
// Counts the lines of `nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader`
// per GPU into compute_processes.
Status CountNvidiaSmiProcesses(std::string_view csv, std::vector<GpuInfo>* gpus);

}  // namespace hone
