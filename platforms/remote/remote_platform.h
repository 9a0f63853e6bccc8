// RemotePlatform: trials on SSH hosts (NNI's `platform: remote`), driven from here over
// one multiplexed OpenSSH connection per host; nothing on a host calls back.
//
//   RemotePlatform remote(options);          // RemoteOptionsFromConfig(config)
//   remote.Start();                          // connects to every host, ships the code
//   remote.Launch({.seq = 0, .command = "python3 train.py", .working_dir = code, ...});
//   remote.Poll(100ms, &events);             // kStarted{pid on the host}, kStdoutLine..., kExited
//
// Beyond the Platform contract:
// - Start fails (kUnavailable) naming each host that refuses or lacks tar, and
//   (kInvalidArgument) when the code directory is past the size limit.
// - The code directory is shipped to `<remoteDir>/code/<hash>` once per content and host;
//   trials run there in `<remoteDir>/runs/<experiment id>/<seq>` (the HONE_*_DIR and
//   NNI_*_DIR variables point there; params.json is written there). The trial SDK
//   (PYTHONPATH's first entry when it holds hone/__init__.py) ships the same way and
//   PYTHONPATH on the host is that copy; other local PYTHONPATH entries are dropped.
// - Placement: the host with a free slot running the fewest trials. A host's slots: with
//   trialGpuNumber > 0, GPUs from its gpuIndices (or, without them, those nvidia-smi
//   lists there at Start; useActiveGpu: false leaves out busy ones) times
//   maxTrialNumberPerGpu; else its maxConcurrentTrials (0 = no limit of its own).
// - Launch records the host in the local trial_dir/remote_host ("user@host:port").
// - When a trial ends, its output/ on the host is copied into the local trial_dir/output
//   (tar over the connection) unless it is past the code size limit (the reason then ends
//   stderr_tail).
// - Poll makes one ssh call per host with running trials: 20 ms after a launch or an
//   exit, then at doubling intervals up to poll_interval; it
//   returns new log bytes from saved offsets (nothing read twice), copies them into the
//   local trial_dir/stdout.log and stderr.log, and the exit statuses.
// - kExited.exit_code is the status the host's runner saw: 128 + signal for a signal
//   death (then signal is set too; a trial that exits 130 by itself reads as SIGINT).
// - A host that fails three polls in a row (or a launch): its trials end with exit code
//   255, platform_failure and the reason (naming the host) in stderr_tail; it gets no
//   trials until a reconnect succeeds, tried from Poll after 1 s, 2 s, 4 s, ... (at most
//   a minute). On reconnect, what is left of those trials there is killed (they run
//   again elsewhere).
// - Attach finds the trial's run directory on the host remote_host names (every host
//   when there is no such file), needs HONE_EXPERIMENT_ID in the launch's env, checks the
//   pid file against `pid`, and re-reads both logs from byte 0 (the local stdout.log and
//   stderr.log are rewritten). False when the directory, the host or the trial's runner
//   is gone, or the pid differs.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/platform.h"
#include "platforms/remote/code_bundle.h"
#include "platforms/remote/poll_reply.h"
#include "platforms/remote/remote_options.h"
#include "platforms/remote/ssh_host.h"
#include "trials/line_splitter.h"
#include "trials/tail_buffer.h"

namespace hone {

class RemotePlatform : public Platform {
 public:
  explicit RemotePlatform(RemotePlatformOptions options);
  ~RemotePlatform() override;

  Status Start() override;
  int Capacity() const override;
  Status Launch(const TrialLaunch& launch) override;
  Status Kill(int64_t seq) override;
  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override;
  Status Stop(std::chrono::milliseconds grace) override;
  StatusOr<bool> Attach(const TrialLaunch& launch, int64_t pid) override;
  // Lets go of every trial without ending it and closes the connections: the trials run
  // on, for a later platform's Attach (what a manager that dies leaves behind). The
  // platform is stopped afterwards.
  void Abandon();

  static constexpr int kUnlimited = 1 << 20;

 private:
  using Clock = std::chrono::steady_clock;
  struct Host {
    std::unique_ptr<SshHost> ssh;
    std::string remote_dir;              // absolute on the host
    std::map<std::string, bool> shipped;  // code hashes present there
    std::vector<int> gpus;               // usable GPU indices (listed or discovered)
    std::map<int, int> gpu_use;          // gpu index -> trials on it
    int running = 0;
    int failed_polls = 0;
    bool down = false;  // unreachable: no slots until a retry connects again
    std::vector<std::string> orphans;  // run dirs of trials reported lost: ended on rejoin
    Clock::time_point retry_at{};
    std::chrono::milliseconds backoff{0};
  };
  struct Trial {
    int64_t seq = 0;
    size_t host = 0;
    std::string remote_dir;
    std::string local_dir;
    int64_t stdout_offset = 0, stderr_offset = 0;
    std::unique_ptr<LineSplitter> splitter;
    std::unique_ptr<TailBuffer> stderr_tail;
    std::vector<int> gpus;
    bool kill_sent = false;
  };

  int HostSlots(const Host& host) const;
  std::optional<size_t> PickHost() const;
  std::vector<int> TakeGpus(Host& host) const;
  // The run directory's name under <remoteDir>/runs: the experiment id ("" when the
  // launch has none; then a private name that no later platform can find).
  std::string RunName(const TrialLaunch& launch) const;
  // Attach's look at one host: the trial registered (true), not there (false).
  StatusOr<bool> AttachOnHost(size_t index, const TrialLaunch& launch, int64_t pid);
  Status FindGpus();
  // Copies the ended trial's output/ back into the local trial_dir/output; "" or why not.
  std::string CopyOutput(const Trial& trial);
  StatusOr<std::string> EnsureCode(Host& host, const std::string& local_dir);
  StatusOr<const CodeBundle*> Bundle(const std::string& local_dir);
  // The trial SDK (hone and the nni shim) when PYTHONPATH starts with it: shipped like
  // code; its path on the host, or "" when there is none to ship.
  StatusOr<std::string> ShipSdk(Host& host, const std::string& python_path);
  std::map<std::string, std::string> RemoteEnv(const TrialLaunch& launch, const std::string& remote_dir,
                                               const std::vector<int>& gpus) const;
  void PollHost(size_t index, std::vector<PlatformEvent>* out);
  void Absorb(Trial& trial, const PollRecord& record, std::vector<PlatformEvent>* out);
  void Finish(Trial& trial, int status, const std::string& reason, std::vector<PlatformEvent>* out,
              bool platform_failure = false);
  void CloseHosts();
  // Takes a host out of placement and schedules a reconnect with back-off.
  void MarkDown(Host& host);
  // Reconnects down hosts whose retry time has come; those that answer rejoin.
  void RetryDownHosts();

  RemotePlatformOptions options_;
  std::string control_dir_;
  std::string run_id_;
  std::vector<Host> hosts_;
  std::map<std::string, CodeBundle> bundles_;
  std::map<int64_t, std::unique_ptr<Trial>> trials_;
  std::map<int64_t, bool> exited_;
  std::vector<PlatformEvent> pending_;
  Clock::time_point last_poll_{};
  std::chrono::milliseconds interval_{20};  // grows to poll_interval while nothing happens
  bool started_ = false;
};

}  // namespace hone
