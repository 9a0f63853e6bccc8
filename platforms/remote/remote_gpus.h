// GPU discovery on a remote host: nvidia-smi run over the host's connection, its output
// read by the local platform's parser (gpu_discovery.h).
//
//   auto gpus = DiscoverRemoteGpus(host, 15s);   // {0, 1, 3}: GPU 2 runs someone's job
#pragma once

#include <chrono>
#include <vector>

#include "core/status.h"
#include "platforms/remote/ssh_host.h"

namespace hone {

// The indices of the GPUs nvidia-smi lists on `host`, with the machine's pythonPath first
// on its PATH; with useActiveGpu false, those running a compute process are left out.
// kUnavailable naming the host when nvidia-smi is missing or fails there.
StatusOr<std::vector<int>> DiscoverRemoteGpus(const SshHost& host, std::chrono::milliseconds timeout);

}  // namespace hone
