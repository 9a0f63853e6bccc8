#include "core/trial_record.h"

#include <cmath>

namespace hone {
namespace {
struct StatusName {
  TrialStatus status;
  std::string_view name;
};
constexpr StatusName kNames[] = {
    {TrialStatus::kWaiting, "waiting"},     {TrialStatus::kRunning, "running"},
    {TrialStatus::kSucceeded, "succeeded"}, {TrialStatus::kFailed, "failed"},
    {TrialStatus::kEarlyStopped, "early_stopped"}, {TrialStatus::kCanceled, "canceled"},
    {TrialStatus::kTimeout, "timeout"},     {TrialStatus::kLost, "lost"},
};
}  // namespace

std::string_view TrialStatusName(TrialStatus status) {
  for (const auto& n : kNames)
    if (n.status == status) return n.name;
  return "unknown";
}

std::optional<TrialStatus> ParseTrialStatus(std::string_view name) {
  for (const auto& n : kNames)
    if (n.name == name) return n.status;
  return std::nullopt;
}

bool IsTerminal(TrialStatus s) { return s != TrialStatus::kWaiting && s != TrialStatus::kRunning; }

bool IsFinished(TrialStatus s) {
  return s == TrialStatus::kSucceeded || s == TrialStatus::kFailed ||
         s == TrialStatus::kEarlyStopped || s == TrialStatus::kTimeout;
}

std::string_view OptimizeModeName(OptimizeMode mode) {
  return mode == OptimizeMode::kMaximize ? "maximize" : "minimize";
}

bool TrialRecord::HasRankableFinal() const {
  return final_value.has_value() && std::isfinite(*final_value);
}

bool Better(double a, double b, OptimizeMode mode) {
  return mode == OptimizeMode::kMaximize ? a > b : a < b;
}

}  // namespace hone
