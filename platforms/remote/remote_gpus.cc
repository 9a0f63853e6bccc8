#include "platforms/remote/remote_gpus.h"

#include "platforms/gpu_discovery.h"
#include "platforms/remote/remote_scripts.h"

namespace hone {

StatusOr<std::vector<int>> DiscoverRemoteGpus(const SshHost& host, std::chrono::milliseconds timeout) {
  const RemoteMachine& m = host.machine();
  auto out = host.Run(GpuQueryScript(m.python_path, !m.use_active_gpu), timeout);
  if (!out.ok()) return out.status();
  std::string where = "host " + host.Name() + ": listing GPUs with nvidia-smi: ";
  if (out->status.exit_code != 0) {
    std::string why = out->stderr_text;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    return Status(StatusCode::kUnavailable, where + (why.empty() ? "exit code " + std::to_string(out->status.exit_code) : why));
  }
  std::string text = out->stdout_text;
  std::string apps;
  if (size_t at = text.find("@apps\n"); at != std::string::npos) {
    apps = text.substr(at + 6);
    text.resize(at);
  }
  StatusOr<std::vector<GpuInfo>> gpus = ParseNvidiaSmiGpus(text);
  if (!gpus.ok()) return Status(StatusCode::kUnavailable, where + gpus.status().message());
  if (!m.use_active_gpu) {
    Status st = CountNvidiaSmiProcesses(apps, &*gpus);
    if (!st.ok()) return Status(StatusCode::kUnavailable, where + st.message());
  }
  std::vector<int> usable;
  for (const GpuInfo& g : *gpus)
    if (m.use_active_gpu || g.compute_processes <= 0) usable.push_back(g.index);
  return usable;
}

}  // namespace hone
