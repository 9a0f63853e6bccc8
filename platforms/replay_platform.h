// ReplayPlatform (`platform: replay`): serves recorded learning curves (replay_curves.h)
// as trials, instantly, so tuners and assessors can be compared in seconds on real
// curves. A trial is never run: its parameters pick a recorded curve and the platform
// plays it back through the trial protocol, one epoch at a time, on a simulated clock.
//
//   trainingService: {platform: replay, curves: fashion_mnist_curves.jsonl, timeScale: 0,
//                     epochsPerTrial: 0}
//   trialCommand: replay            # required by the config, never run
//
// Beyond the Platform contract:
// - A trial trains epochs 1..E of its curve (E: the whole curve, or TRIAL_BUDGET rounded
//   up and capped at the curve's length; else epochsPerTrial when set), reporting after epoch k, at simulated time
//   start + seconds[0] + ... + seconds[k-1], `@hone {"type":"intermediate","step":k,
//   "value":{"default":values[k-1],"epoch_seconds":...}}`, then a final report
//   {"default": values[E-1], "epochs": epochs trained} and exit 0.
// - Kill stops it where it is: a trial an assessor stops after epoch k consumed k epochs
//   (events come one epoch at a time, in simulated-time order, so the manager's verdict on
//   epoch k arrives before epoch k + 1 is played). It exits with signal 15.
// - Checkpoints, for pbt: a trial whose load_checkpoint_dir holds replay_checkpoint.json
//   ({"epoch": e}) starts after epoch e of its (possibly new) configuration's curve; one
//   with save_checkpoint_dir writes it when it ends. (A replay cannot know how a model
//   trained under other hyperparameters would continue; this is the usual approximation.)
//   With a checkpoint, TRIAL_BUDGET counts the epochs trained after it.
// - Time: SimulatedClock() starts at the wall-clock time of Start() and advances to each
//   event's simulated time, so trial timestamps, maxExperimentDuration and
//   maxTrialDuration are simulated. timeScale > 0 also sleeps timeScale real seconds per
//   simulated second (to watch a replay); 0 (default) replays as fast as it can.
// - stdout.log holds the report lines a real trial would have printed.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/platform.h"
#include "platforms/replay_curves.h"

namespace hone {

struct ReplayOptions {
  double time_scale = 0;
  // Epochs a trial without TRIAL_BUDGET trains (0: the whole curve). pbt's trials, which
  // train one generation each, need it: `epochsPerTrial: 4` makes 5 generations of 20.
  int epochs_per_trial = 0;
  // Each new configuration gets a record no earlier configuration got (the nearest free
  // one), as if every suggestion were trained afresh; the same configuration again (a
  // budget promotion) gets its earlier record. Without it, suggestions close to each
  // other replay one record, and a model-based tuner that exploits a good region keeps
  // re-reading the same curve. Assignments live in the platform: a resumed replay starts
  // them afresh.
  bool distinct = false;
};

class ReplayPlatform : public Platform {
 public:
  ReplayPlatform(ReplayCurves curves, ReplayOptions options);

  Status Start() override;
  int Capacity() const override { return 1 << 20; }
  Status Launch(const TrialLaunch& launch) override;
  Status Kill(int64_t seq) override;
  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override;
  Status Stop(std::chrono::milliseconds grace) override;
  const Clock* SimulatedClock() const override { return &clock_; }

  double now() const { return clock_.Now(); }

 private:
  class SimClock : public Clock {
   public:
    double Now() const override { return now_; }
    double now_ = 0;
  };
  struct Trial {
    int64_t seq = 0;
    size_t record = 0;
    int next_epoch = 0;  // 0-based index of the next epoch to play
    int end_epoch = 0;   // exclusive
    int first_epoch = 0;
    double next_time = 0;  // simulated time of the next event
    bool final_sent = false;
    std::string trial_dir;
    std::string save_dir;
    std::vector<std::string> lines;
  };

  void Finish(Trial& trial, int exit_code, int signal, std::vector<PlatformEvent>* out);
  void AdvanceTo(double t);

  ReplayCurves curves_;
  std::map<std::string, size_t> assigned_;  // configuration (JSON text) -> record, for `distinct`
  std::vector<bool> taken_;
  ReplayOptions options_;
  SimClock clock_;
  std::map<int64_t, Trial> running_;
  std::vector<PlatformEvent> pending_;
  std::map<int64_t, bool> exited_;
};

}  // namespace hone
