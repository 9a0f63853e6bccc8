// Test doubles for driving ExperimentManager without processes or sleeping: a hand clock,
// a scripted platform whose Poll advances that clock to the next scripted event, and
// scripted and recording tuners and assessors. Storage is a real SqliteStorage.
//
//   ManagerHarness h;                                  // uniform x in [0, 1], 1 slot
//   h.config.max_trial_number = 3;
//   h.platform.program_for = [](const TrialLaunch&) { return Succeeds(2.0, 0.5); };
//   ScriptedTuner tuner;
//   auto result = h.Run(tuner);                        // "done"
#pragma once

#include <algorithm>
#include <csignal>
#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/assessor.h"
#include "core/clock.h"
#include "core/experiment_config.h"
#include "core/platform.h"
#include "core/tuner.h"
#include "engine/experiment_manager.h"
#include "storage/sqlite_storage.h"
#include "tests/platforms/local_platform_test_util.h"

namespace hone::testing {

// Now() is whatever the test (or the fake platform) set.
class HandClock : public Clock {
 public:
  explicit HandClock(double start) : now_(start) {}
  double Now() const override { return now_; }
  void Advance(double seconds) { now_ += seconds; }
  void Set(double t) { now_ = std::max(now_, t); }

 private:
  double now_;
};

// What one trial does after its launch, as events at seconds after the launch.
struct Step {
  double at = 0;
  PlatformEvent event;
};
using TrialProgram = std::vector<Step>;

inline std::string FinalLine(double value) {
  return "@hone {\"type\":\"final\",\"value\":" + nlohmann::json(value).dump() + "}";
}
inline std::string IntermediateLine(int64_t step, double value) {
  return "@hone {\"type\":\"intermediate\",\"step\":" + std::to_string(step) +
         ",\"value\":" + nlohmann::json(value).dump() + "}";
}
inline Step Line(double at, std::string line) {
  Step s{at, {}};
  s.event.kind = PlatformEvent::Kind::kStdoutLine;
  s.event.line = std::move(line);
  return s;
}
inline Step Exit(double at, int exit_code, int signal = 0, std::string stderr_tail = "") {
  Step s{at, {}};
  s.event.kind = PlatformEvent::Kind::kExited;
  s.event.exit_code = signal ? 128 + signal : exit_code;
  s.event.signal = signal;
  s.event.stderr_tail = std::move(stderr_tail);
  return s;
}
// Reports `value` as its final metric and exits 0 after `seconds`.
inline TrialProgram Succeeds(double seconds, double value) {
  return {Line(seconds, FinalLine(value)), Exit(seconds, 0)};
}
// One intermediate value per `epoch_s`, then the last one as final, then exit 0.
inline TrialProgram Curve(const std::vector<double>& values, double epoch_s) {
  TrialProgram p;
  for (size_t i = 0; i < values.size(); ++i)
    p.push_back(Line(epoch_s * static_cast<double>(i + 1), IntermediateLine(static_cast<int64_t>(i + 1), values[i])));
  double end = epoch_s * static_cast<double>(values.size());
  p.push_back(Line(end, FinalLine(values.empty() ? 0 : values.back())));
  p.push_back(Exit(end, 0));
  return p;
}
// Runs until killed.
inline TrialProgram Hangs() { return {}; }
// The platform loses the trial after `seconds` (its host went away): kExited with
// platform_failure and `why` as its stderr tail.
inline Step LostByPlatform(double seconds, std::string why) {
  Step s = Exit(seconds, 255, 0, std::move(why));
  s.event.platform_failure = true;
  return s;
}

// A platform the test scripts. Launch emits kStarted at once and schedules the trial's
// program; Poll advances the hand clock to the next scheduled event (by at most its
// timeout) and returns what is due; Kill and Stop emit kExited with SIGTERM.
class FakePlatform : public Platform {
 public:
  explicit FakePlatform(HandClock& clock) : clock_(clock) {}

  // Chooses each trial's program; default: succeeds with 0.5 after one second.
  std::function<TrialProgram(const TrialLaunch&)> program_for = [](const TrialLaunch&) {
    return Succeeds(1.0, 0.5);
  };
  // Called at the start of every Poll, before the clock moves (push commands, stop...).
  std::function<void()> on_poll;
  // A Launch of a seq in this set fails with kIo and launches nothing.
  std::set<int64_t> failing_launches;
  int capacity = 1 << 20;
  // Poll fails once simulated time passes this (a runaway loop fails instead of hanging).
  double time_limit_s = 100000;

  // What happened, for the test to check.
  std::vector<TrialLaunch> launches;
  std::vector<int64_t> kills;
  struct Reclaimed {
    int64_t seq;
    std::string trial_dir;
    int64_t pid;
  };
  std::vector<Reclaimed> reclaims;
  // Attach: a program for the trial taken back (what it still prints and when it exits,
  // its stdout from the start), or nullopt when this platform cannot reach it.
  std::function<std::optional<TrialProgram>(const TrialLaunch&, int64_t pid)> attach_program;
  std::vector<Reclaimed> attaches;
  int max_live = 0;
  int polls = 0;
  bool stopped = false;

  int live() const { return static_cast<int>(scheduled_.size()); }

  Status Start() override { return Status::Ok(); }
  int Capacity() const override { return std::max(0, capacity - live()); }

  Status Launch(const TrialLaunch& launch) override {
    if (stopped) return FailedPrecondition("fake platform: Launch after Stop");
    if (failing_launches.count(launch.seq)) return IoError("fake platform: cannot start trial " + std::to_string(launch.seq));
    EXPECT_EQ(scheduled_.count(launch.seq), 0u) << "trial " << launch.seq << " launched twice";
    launches.push_back(launch);
    PlatformEvent started;
    started.kind = PlatformEvent::Kind::kStarted;
    started.seq = launch.seq;
    started.pid = 10000 + launch.seq;
    pending_.push_back(started);
    std::vector<Step> program = program_for(launch);
    for (auto& step : program) {
      step.at += clock_.Now();
      step.event.seq = launch.seq;
    }
    std::stable_sort(program.begin(), program.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
    scheduled_[launch.seq] = std::move(program);
    max_live = std::max(max_live, live());
    return Status::Ok();
  }

  Status Kill(int64_t seq) override {
    kills.push_back(seq);
    auto it = scheduled_.find(seq);
    if (it == scheduled_.end()) return Status::Ok();
    EmitKilled(seq, SIGTERM);
    return Status::Ok();
  }

  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override {
    ++polls;
    if (on_poll) on_poll();
    if (!pending_.empty()) {
      std::move(pending_.begin(), pending_.end(), std::back_inserter(*out));
      pending_.clear();
      return Status::Ok();
    }
    double next = std::numeric_limits<double>::infinity();
    for (const auto& [seq, steps] : scheduled_)
      if (!steps.empty()) next = std::min(next, steps.front().at);
    double horizon = clock_.Now() + std::chrono::duration<double>(timeout).count();
    if (next > horizon) {
      clock_.Set(horizon);
    } else {
      clock_.Set(next);
      // Every event due now, trial by trial in seq order; a trial's exit ends it.
      for (auto it = scheduled_.begin(); it != scheduled_.end();) {
        auto& steps = it->second;
        bool exited = false;
        while (!steps.empty() && steps.front().at <= next) {
          exited |= steps.front().event.kind == PlatformEvent::Kind::kExited;
          out->push_back(steps.front().event);
          steps.erase(steps.begin());
          if (exited) break;
        }
        it = exited ? scheduled_.erase(it) : std::next(it);
      }
    }
    if (clock_.Now() - start_ > time_limit_s) return Internal("fake platform: simulated time limit passed");
    return Status::Ok();
  }

  Status Stop(std::chrono::milliseconds) override {
    stopped = true;
    std::vector<int64_t> seqs;
    for (const auto& [seq, steps] : scheduled_) seqs.push_back(seq);
    for (int64_t seq : seqs) EmitKilled(seq, SIGTERM);
    return Status::Ok();
  }

  Status Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) override {
    reclaims.push_back({seq, trial_dir, pid});
    return Status::Ok();
  }

  StatusOr<bool> Attach(const TrialLaunch& launch, int64_t pid) override {
    attaches.push_back({launch.seq, launch.trial_dir, pid});
    std::optional<TrialProgram> program = attach_program ? attach_program(launch, pid) : std::nullopt;
    if (!program) return false;
    if (pid != 0) {
      PlatformEvent started;
      started.kind = PlatformEvent::Kind::kStarted;
      started.seq = launch.seq;
      started.pid = pid;
      pending_.push_back(started);
    }
    for (auto& step : *program) {
      step.at += clock_.Now();
      step.event.seq = launch.seq;
    }
    scheduled_[launch.seq] = std::move(*program);
    return true;
  }

 private:
  void EmitKilled(int64_t seq, int sig) {
    scheduled_.erase(seq);
    PlatformEvent e = Exit(0, 0, sig).event;
    e.seq = seq;
    pending_.push_back(e);
  }

  HandClock& clock_;
  double start_ = clock_.Now();
  std::map<int64_t, TrialProgram> scheduled_;  // live trials and what they still do
  std::vector<PlatformEvent> pending_;
};

// A tuner whose every answer the test chooses. By default it hands out {"x": k/1000}
// for k = 0, 1, 2, ... and never runs out.
class ScriptedTuner : public Tuner {
 public:
  std::string name = "scripted";
  bool suggest_throws = false;
  bool update_throws = false;          // only on an Update that delivers a finished trial
  bool update_throws_always = false;
  bool suggests_non_object = false;
  bool suggests_outside_space = false;
  std::string fault;                   // Fault() returns this error once non-empty...
  size_t fault_after_suggests = 0;     // ...and Suggest was called at least this often
  std::optional<int> exhausted_after;  // configurations handed out before kExhausted

  struct UpdateCall {
    std::vector<TrialRecord> completed;
    std::vector<TrialRecord> active;
  };
  std::vector<int> suggest_counts;
  std::vector<UpdateCall> updates;
  int handed_out = 0;

  std::string_view Name() const override { return name; }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override {
    suggest_counts.push_back(count);
    if (suggest_throws) throw std::runtime_error("suggest exploded");
    std::vector<nlohmann::json> out;
    if (suggests_non_object) {
      out.push_back(nlohmann::json::array({1, 2}));
      return out;
    }
    if (suggests_outside_space) {
      out.push_back(nlohmann::json{{"x", 7.5}});
      return out;
    }
    for (int i = 0; i < count; ++i) {
      if (exhausted_after && handed_out >= *exhausted_after) {
        if (out.empty()) return Exhausted("all " + std::to_string(*exhausted_after) + " configurations handed out");
        break;
      }
      out.push_back(nlohmann::json{{"x", handed_out++ / 1000.0}});
    }
    return out;
  }
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override {
    updates.push_back({{completed.begin(), completed.end()}, {active.begin(), active.end()}});
    if (update_throws_always || (update_throws && !completed.empty())) throw std::runtime_error("update exploded");
  }
  bool IsExhausted() const override { return exhausted_after && handed_out >= *exhausted_after; }
  Status Fault() const override {
    return fault.empty() || suggest_counts.size() < fault_after_suggests ? Status::Ok() : Internal(fault);
  }

  // Seqs delivered as finished, over every Update call.
  std::vector<int64_t> CompletedSeqs() const {
    std::vector<int64_t> out;
    for (const auto& u : updates)
      for (const auto& r : u.completed) out.push_back(r.seq);
    return out;
  }
};

// Forwards to a real tuner and records what the manager told it.
class RecordingTuner : public Tuner {
 public:
  explicit RecordingTuner(std::unique_ptr<Tuner> inner) : inner_(std::move(inner)) {}
  std::vector<ScriptedTuner::UpdateCall> updates;
  std::vector<nlohmann::json> suggested;

  std::string_view Name() const override { return inner_->Name(); }
  StatusOr<std::vector<nlohmann::json>> Suggest(int count) override {
    auto out = inner_->Suggest(count);
    if (out.ok()) suggested.insert(suggested.end(), out->begin(), out->end());
    return out;
  }
  void Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) override {
    updates.push_back({{completed.begin(), completed.end()}, {active.begin(), active.end()}});
    inner_->Update(completed, active);
  }
  bool IsExhausted() const override { return inner_->IsExhausted(); }
  Status Fault() const override { return inner_->Fault(); }

  std::vector<int64_t> CompletedSeqs() const {
    std::vector<int64_t> out;
    for (const auto& u : updates)
      for (const auto& r : u.completed) out.push_back(r.seq);
    return out;
  }

 private:
  std::unique_ptr<Tuner> inner_;
};

// An assessor that applies `rule` (default: continue) and records each call.
class ScriptedAssessor : public Assessor {
 public:
  std::string name = "scripted";
  std::function<Verdict(const TrialRecord&)> rule = [](const TrialRecord&) { return Verdict::kContinue; };
  bool throws = false;
  std::string fault;
  struct Call {
    int64_t seq;
    size_t steps;
    size_t finished;
  };
  std::vector<Call> calls;

  std::string_view Name() const override { return name; }
  Verdict Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) override {
    calls.push_back({trial.seq, trial.intermediate.size(), finished.size()});
    if (throws) throw std::runtime_error("assess exploded");
    return rule(trial);
  }
  Status Fault() const override { return fault.empty() ? Status::Ok() : Internal(fault); }
};

// Storage commands as the CLI and the web UI push them (one place to follow the
// signature of Storage::PushCommand).
inline Status PushCommand(SqliteStorage& storage, const std::string& kind, const nlohmann::json& args) {
  if (auto known = ParseCommandKind(kind)) return storage.PushCommand(*known, args);
  return storage.PushCommandNamed(kind, args);  // a name this hone does not know
}

// One experiment: a temporary directory with hone.db, a hand clock at t = 1000 s, the
// fake platform, and a config over {"x": uniform [0, 1]} with one slot and no budget.
class ManagerHarness {
 public:
  ManagerHarness() : clock(1000), platform(clock) {
    auto space = SearchSpace::FromJson(kSpace());
    EXPECT_TRUE(space.ok()) << space.status().message();
    config.search_space = std::move(*space);
    config.search_space_json = kSpace();
    config.trial_command = "fake";
    config.trial_code_directory = dir.path();
    config.tuner.name = "scripted";
    OpenStorage();
  }

  static nlohmann::json kSpace() { return {{"x", {{"_type", "uniform"}, {"_value", {0, 1}}}}}; }

  void OpenStorage() {
    storage.reset();
    auto opened = SqliteStorage::Open(dir / "hone.db", OpenMode::kReadWriteCreate);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    if (opened.ok()) storage = std::move(*opened);
  }

  StatusOr<std::string> Run(Tuner& tuner, Assessor& assessor) {
    ManagerOptions options;
    options.experiment_id = "exp";
    options.experiment_dir = dir.path();
    options.stop_requested = &stop_requested;
    ExperimentManager manager(config, options, *storage, platform, tuner, assessor, clock, nullptr);
    return manager.Run();
  }
  StatusOr<std::string> Run(Tuner& tuner) {
    ScriptedAssessor none;
    return Run(tuner, none);
  }

  std::vector<TrialRecord> Trials() {
    auto trials = storage->LoadTrials(/*with_intermediate=*/true);
    EXPECT_TRUE(trials.ok()) << trials.status().message();
    return trials.ok() ? *trials : std::vector<TrialRecord>{};
  }
  TrialRecord Trial(int64_t seq) {
    auto t = storage->LoadTrial(seq);
    EXPECT_TRUE(t.ok() && t->has_value()) << "no trial " << seq;
    return t.ok() && t->has_value() ? **t : TrialRecord{};
  }
  std::string Meta(const std::string& key) { return storage->GetMeta(key).value_or("<unset>"); }
  std::vector<Event> Events(int64_t seq) {
    auto events = storage->LoadEvents(seq);
    EXPECT_TRUE(events.ok()) << events.status().message();
    return events.ok() ? *events : std::vector<Event>{};
  }

  TempDir dir;
  HandClock clock;
  FakePlatform platform;
  std::unique_ptr<SqliteStorage> storage;
  ExperimentConfig config;
  std::atomic<bool> stop_requested{false};
};

}  // namespace hone::testing
