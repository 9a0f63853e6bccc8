#include "platforms/gpu_scheduler.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <string>

namespace hone {

GpuScheduler::GpuScheduler(std::vector<int> gpus, int max_trials_per_gpu)
    : max_trials_per_gpu_(max_trials_per_gpu) {
  assert(max_trials_per_gpu >= 1);
  std::sort(gpus.begin(), gpus.end());
  for (int gpu : gpus) slots_.push_back({gpu, 0, false});
}

int GpuScheduler::Capacity(int gpus_per_trial) const {
  assert(gpus_per_trial >= 1);
  // k more trials fit iff sum over GPUs of min(free, k) >= n * k: each trial uses a GPU
  // at most once, and least-loaded-first placement achieves that bound.
  int total_free = 0;
  for (const Slot& s : slots_) total_free += Free(s);
  int k = 0;
  while (k + 1 <= total_free / gpus_per_trial) {
    long long usable = 0;
    for (const Slot& s : slots_) usable += std::min(Free(s), k + 1);
    if (usable < static_cast<long long>(gpus_per_trial) * (k + 1)) break;
    ++k;
  }
  return k;
}

std::optional<std::vector<int>> GpuScheduler::Acquire(int gpus_per_trial) {
  std::vector<Slot*> candidates;
  for (Slot& s : slots_) {
    if (Free(s) > 0) candidates.push_back(&s);
  }
  if (static_cast<int>(candidates.size()) < gpus_per_trial) return std::nullopt;
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Slot* a, const Slot* b) { return a->load < b->load; });
  std::vector<int> chosen;
  for (int i = 0; i < gpus_per_trial; ++i) {
    ++candidates[i]->load;
    chosen.push_back(candidates[i]->index);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

void GpuScheduler::Release(const std::vector<int>& gpus) {
  for (int gpu : gpus) {
    for (Slot& s : slots_) {
      if (s.index == gpu && s.load > 0) --s.load;
    }
  }
}

int GpuScheduler::Load(int gpu) const {
  for (const Slot& s : slots_) {
    if (s.index == gpu) return s.load;
  }
  return 0;
}

void GpuScheduler::SetForeignBusy(const std::vector<int>& gpus) {
  for (Slot& s : slots_) {
    s.foreign_busy = std::find(gpus.begin(), gpus.end(), s.index) != gpus.end();
  }
}

namespace {
std::string Show(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

StatusOr<std::vector<int>> ParseGpuIndices(const nlohmann::json& value) {
  std::vector<int> out;
  auto add = [&](long long v, const std::string& as_written) -> Status {
    if (v < 0 || v > 1'000'000) {
      return InvalidArgument("gpuIndices: GPU indices must be non-negative integers, but got " + as_written);
    }
    if (std::find(out.begin(), out.end(), static_cast<int>(v)) != out.end()) {
      return InvalidArgument("gpuIndices: GPU " + as_written + " is listed twice");
    }
    out.push_back(static_cast<int>(v));
    return Status::Ok();
  };
  if (value.is_null()) return out;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    HONE_RETURN_IF_ERROR(add(value.is_number_unsigned() && value.get<uint64_t>() > 1'000'000
                                 ? -1 : value.get<long long>(), Show(value)));
    return out;
  }
  if (value.is_array()) {
    for (const auto& item : value) {
      if (!item.is_number_integer() && !item.is_number_unsigned()) {
        return InvalidArgument("gpuIndices: each entry must be an integer, but got " + Show(item));
      }
      HONE_RETURN_IF_ERROR(add(item.is_number_unsigned() && item.get<uint64_t>() > 1'000'000
                                   ? -1 : item.get<long long>(), Show(item)));
    }
    return out;
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      std::string item = text.substr(start, comma - start);
      size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
      long long v = -1;
      auto r = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || r.ec != std::errc() || r.ptr != item.data() + item.size()) {
        return InvalidArgument("gpuIndices: expected comma-separated integers like \"0,1\", but got \"" +
                               text + "\"");
      }
      HONE_RETURN_IF_ERROR(add(v, item));
      start = comma + 1;
    }
    return out;
  }
  return InvalidArgument("gpuIndices: must be a list of integers, an integer or a string like \"0,1\", but got " +
                         Show(value));
}

}  // namespace hone
