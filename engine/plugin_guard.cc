#include "engine/plugin_guard.h"

#include <exception>
#include <string_view>

namespace hone {
namespace {

// Runs `call`; an exception or a fault the plugin reports afterwards becomes an error
// prefixed with `label`.
template <typename Plugin, typename Call>
auto Guard(const Plugin& plugin, const std::string& label, Call call) -> decltype(call()) {
  try {
    auto result = call();
    if (Status fault = plugin.Fault(); !fault.ok()) return Internal(label + ": " + fault.message());
    return result;
  } catch (const std::exception& e) {
    return Internal(label + " threw: " + e.what());
  } catch (...) {
    return Internal(label + " threw an unknown exception");
  }
}

}  // namespace

std::string GuardedTuner::Label() const { return "tuner '" + std::string(tuner_.Name()) + "'"; }

StatusOr<std::vector<nlohmann::json>> GuardedTuner::Suggest(int count) {
  const std::string label = Label();
  auto result = Guard(tuner_, label, [&]() -> StatusOr<std::vector<nlohmann::json>> { return tuner_.Suggest(count); });
  if (!result.ok()) {
    const Status status = result.status();  // a copy: status() returns by value
    if (status.code() == StatusCode::kExhausted) return result;
    return status.message().starts_with(label) ? status : status.WithContext(label);
  }
  if (static_cast<int>(result->size()) > count)
    return Internal(label + " returned " + std::to_string(result->size()) + " configurations when asked for " +
                    std::to_string(count));
  for (const auto& params : *result)
    if (!params.is_object()) return Internal(label + " suggested a configuration that is not an object: " + params.dump());
  return result;
}

Status GuardedTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  return Guard(tuner_, Label(), [&]() -> Status {
    tuner_.Update(completed, active);
    return Status::Ok();
  });
}

StatusOr<bool> GuardedTuner::IsExhausted() {
  return Guard(tuner_, Label(), [&]() -> StatusOr<bool> { return tuner_.IsExhausted(); });
}

std::string GuardedAssessor::Label() const { return "assessor '" + std::string(assessor_.Name()) + "'"; }

StatusOr<Verdict> GuardedAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  return Guard(assessor_, Label(), [&]() -> StatusOr<Verdict> { return assessor_.Assess(trial, finished); });
}

}  // namespace hone
