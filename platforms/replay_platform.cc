#include "platforms/replay_platform.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>

namespace hone {
namespace fs = std::filesystem;

namespace {

double WallClockNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string ReportLine(const nlohmann::json& report) {
  return "@hone " + report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ReplayPlatform::ReplayPlatform(ReplayCurves curves, ReplayOptions options)
    : curves_(std::move(curves)), options_(options) {
  clock_.now_ = WallClockNow();
}

Status ReplayPlatform::Start() {
  clock_.now_ = WallClockNow();
  return Status::Ok();
}

void ReplayPlatform::AdvanceTo(double t) {
  if (t <= clock_.now_) return;
  if (options_.time_scale > 0)
    std::this_thread::sleep_for(std::chrono::duration<double>((t - clock_.now_) * options_.time_scale));
  clock_.now_ = t;
}

Status ReplayPlatform::Launch(const TrialLaunch& launch) {
  if (running_.count(launch.seq) || exited_.count(launch.seq))
    return InvalidArgument("trial " + std::to_string(launch.seq) + " was already launched");
  nlohmann::json params = nlohmann::json::object();
  auto env = launch.env.find("HONE_PARAMS");
  if (env != launch.env.end()) {
    params = nlohmann::json::parse(env->second, nullptr, false);
    if (params.is_discarded() || !params.is_object()) return InvalidArgument("HONE_PARAMS is not a JSON object");
  }
  Trial t;
  t.seq = launch.seq;
  t.trial_dir = launch.trial_dir;
  if (options_.distinct) {
    std::string key = ReplayCurves::ConfigurationOf(params).dump();
    auto it = assigned_.find(key);
    if (it != assigned_.end()) {
      t.record = it->second;
    } else {
      taken_.resize(curves_.records().size(), false);
      t.record = curves_.Nearest(params, &taken_);
      taken_[t.record] = true;
      assigned_.emplace(std::move(key), t.record);
    }
  } else {
    t.record = curves_.Nearest(params);
  }
  const CurveRecord& rec = curves_.records()[t.record];
  int length = static_cast<int>(rec.values.size());
  std::optional<int> budget;
  if (params.contains("TRIAL_BUDGET") && params["TRIAL_BUDGET"].is_number())
    budget = std::max(1, static_cast<int>(std::ceil(params["TRIAL_BUDGET"].get<double>() - 1e-9)));
  else if (options_.epochs_per_trial > 0)
    budget = options_.epochs_per_trial;
  auto dir_param = [&](const char* key) -> std::string {
    return params.contains(key) && params[key].is_string() ? params[key].get<std::string>() : "";
  };
  std::string load = dir_param("load_checkpoint_dir");
  t.save_dir = dir_param("save_checkpoint_dir");
  if (!load.empty()) {
    std::ifstream in(fs::path(load) / "replay_checkpoint.json");
    auto ck = nlohmann::json::parse(in, nullptr, false);
    if (!ck.is_discarded() && ck.is_object() && ck.contains("epoch") && ck["epoch"].is_number_integer())
      t.first_epoch = std::clamp(ck["epoch"].get<int>(), 0, length - 1);
  }
  t.end_epoch = budget ? std::min(t.first_epoch + *budget, length) : length;
  t.next_epoch = t.first_epoch;
  t.next_time = clock_.now_ + rec.seconds[t.next_epoch];
  PlatformEvent started;
  started.kind = PlatformEvent::Kind::kStarted;
  started.seq = t.seq;
  pending_.push_back(started);
  running_.emplace(t.seq, std::move(t));
  return Status::Ok();
}

void ReplayPlatform::Finish(Trial& t, int exit_code, int signal, std::vector<PlatformEvent>* out) {
  std::error_code ec;
  if (!t.trial_dir.empty()) {
    fs::create_directories(t.trial_dir, ec);
    std::ofstream log(fs::path(t.trial_dir) / "stdout.log", std::ios::binary | std::ios::app);
    for (const auto& l : t.lines) log << l << "\n";
  }
  if (!t.save_dir.empty() && signal == 0) {
    fs::create_directories(t.save_dir, ec);
    std::ofstream ck(fs::path(t.save_dir) / "replay_checkpoint.json", std::ios::binary | std::ios::trunc);
    ck << nlohmann::json{{"epoch", t.next_epoch}}.dump() << "\n";
  }
  PlatformEvent exited;
  exited.kind = PlatformEvent::Kind::kExited;
  exited.seq = t.seq;
  exited.exit_code = signal ? 128 + signal : exit_code;
  exited.signal = signal;
  out->push_back(std::move(exited));
  exited_[t.seq] = true;
}

Status ReplayPlatform::Kill(int64_t seq) {
  auto it = running_.find(seq);
  if (it == running_.end()) {
    if (exited_.count(seq)) return Status::Ok();
    return NotFound("trial " + std::to_string(seq) + " was never launched");
  }
  Finish(it->second, 0, 15, &pending_);
  running_.erase(it);
  return Status::Ok();
}

Status ReplayPlatform::Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  if (!pending_.empty()) {
    for (auto& e : pending_) out->push_back(std::move(e));
    pending_.clear();
    return Status::Ok();
  }
  if (running_.empty()) {
    // Nothing to replay: simulated time passes as the manager waits.
    AdvanceTo(clock_.now_ + std::chrono::duration<double>(timeout).count());
    return Status::Ok();
  }
  double next = std::numeric_limits<double>::infinity();
  for (const auto& [seq, t] : running_) next = std::min(next, t.next_time);
  AdvanceTo(next);
  // Every trial due now plays one step: an epoch's report, or its final report and exit.
  std::vector<int64_t> done;
  for (auto& [seq, t] : running_) {
    if (t.next_time > next) continue;
    const CurveRecord& rec = curves_.records()[t.record];
    PlatformEvent line;
    line.kind = PlatformEvent::Kind::kStdoutLine;
    line.seq = seq;
    if (t.next_epoch < t.end_epoch) {
      int k = t.next_epoch;
      line.line = ReportLine({{"type", "intermediate"},
                              {"step", k + 1},
                              {"value", {{"default", rec.values[k]}, {"epoch_seconds", rec.seconds[k]}}}});
      t.lines.push_back(line.line);
      out->push_back(std::move(line));
      ++t.next_epoch;
      // The final report follows at the same instant, in the next Poll, so that a kill
      // after the last epoch's report still wins.
      if (t.next_epoch < t.end_epoch) t.next_time += rec.seconds[t.next_epoch];
      continue;
    }
    line.line = ReportLine({{"type", "final"},
                            {"value", {{"default", rec.values[t.end_epoch - 1]},
                                       {"epochs", t.end_epoch - t.first_epoch}}}});
    t.lines.push_back(line.line);
    out->push_back(std::move(line));
    Finish(t, 0, 0, out);
    done.push_back(seq);
  }
  for (int64_t seq : done) running_.erase(seq);
  return Status::Ok();
}

Status ReplayPlatform::Stop(std::chrono::milliseconds grace) {
  for (auto& [seq, t] : running_) Finish(t, 0, 15, &pending_);
  running_.clear();
  return Status::Ok();
}

}  // namespace hone
