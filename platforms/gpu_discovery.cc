#include "platforms/gpu_discovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "trials/run_command.h"

namespace hone {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    fields.push_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(start, end - start));
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// "[N/A]", "[Not Supported]" and friends read as 0.
bool ParseMeasure(std::string_view field, double* out) {
  if (!field.empty() && field.front() == '[') {
    *out = 0;
    return true;
  }
  auto r = std::from_chars(field.data(), field.data() + field.size(), *out);
  return r.ec == std::errc() && r.ptr == field.data() + field.size();
}

std::string FirstLine(const std::string& text) {
  std::vector<std::string_view> lines = Lines(text);
  return lines.empty() ? std::string() : std::string(lines.front());
}

}  // namespace

std::optional<std::string> FindExecutable(std::string_view name, std::string_view path_env) {
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t colon = path_env.find(':', start);
    if (colon == std::string_view::npos) colon = path_env.size();
    std::string dir(path_env.substr(start, colon - start));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = colon + 1;
  }
  return std::nullopt;
}

StatusOr<std::vector<GpuInfo>> ParseNvidiaSmiGpus(std::string_view csv) {
  std::vector<GpuInfo> gpus;
  for (std::string_view line : Lines(csv)) {
    std::vector<std::string_view> f = SplitFields(line);
    GpuInfo gpu;
    double index;
    if (f.size() != 5 || !ParseMeasure(f[0], &index) || f[0].front() == '[' ||
        !ParseMeasure(f[2], &gpu.memory_used_mib) || !ParseMeasure(f[3], &gpu.memory_total_mib) ||
        !ParseMeasure(f[4], &gpu.utilization_percent)) {
      return InvalidArgument("unexpected nvidia-smi output line \"" + std::string(line) +
                             "\" (expected: index, uuid, memory.used, memory.total, utilization.gpu)");
    }
    gpu.index = static_cast<int>(index);
    gpu.uuid = std::string(f[1]);
    gpus.push_back(gpu);
  }
  std::sort(gpus.begin(), gpus.end(), [](const GpuInfo& a, const GpuInfo& b) { return a.index < b.index; });
  return gpus;
}

Status CountNvidiaSmiProcesses(std::string_view csv, std::vector<GpuInfo>* gpus) {
  for (GpuInfo& gpu : *gpus) gpu.compute_processes = 0;
  for (std::string_view line : Lines(csv)) {
    std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 2) {
      return InvalidArgument("unexpected nvidia-smi output line \"" + std::string(line) +
                             "\" (expected: gpu_uuid, pid)");
    }
    for (GpuInfo& gpu : *gpus) {
      if (gpu.uuid == f[0]) ++gpu.compute_processes;
    }
  }
  return Status::Ok();
}

StatusOr<GpuInventory> DiscoverGpus(const GpuDiscoveryOptions& options) {
  GpuInventory inventory;
  std::optional<std::string> smi = FindExecutable("nvidia-smi", options.path_env);
  if (!smi) {
    inventory.source = "no nvidia-smi on PATH";
    return inventory;
  }
  inventory.source = "nvidia-smi (" + *smi + ")";
  auto run = [&](std::vector<std::string> args) -> StatusOr<std::string> {
    args.insert(args.begin(), *smi);
    StatusOr<CommandOutput> out = RunCommand({.argv = args}, options.timeout);
    if (!out.ok()) return out.status().WithContext(*smi);
    if (out->status.exit_code != 0) {
      std::string why = FirstLine(out->stdout_text + "\n" + out->stderr_text);
      return IoError(*smi + " failed with exit code " + std::to_string(out->status.exit_code) +
                     (why.empty() ? "" : ": " + why));
    }
    return std::move(out->stdout_text);
  };
  StatusOr<std::string> csv = run({"--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu",
                                   "--format=csv,noheader,nounits"});
  if (!csv.ok()) return csv.status();
  StatusOr<std::vector<GpuInfo>> gpus = ParseNvidiaSmiGpus(*csv);
  if (!gpus.ok()) return gpus.status();
  inventory.gpus = std::move(*gpus);
  if (options.count_processes) {
    StatusOr<std::string> apps = run({"--query-compute-apps=gpu_uuid,pid", "--format=csv,noheader"});
    if (!apps.ok()) return apps.status();
    HONE_RETURN_IF_ERROR(CountNvidiaSmiProcesses(*apps, &inventory.gpus));
  }
  return inventory;
}

}  // namespace hone
