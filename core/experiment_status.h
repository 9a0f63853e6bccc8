// The outcomes of an experiment as stored in its database (meta "status") and in the
// experiments registry, and the reasons recorded on trials that an experiment's end cut
// short. Written by the engine, read by the CLI and the web UI.
#pragma once

namespace hone {

inline constexpr const char* kExpCreated = "created";
inline constexpr const char* kExpRunning = "running";
inline constexpr const char* kExpDone = "done";                  // budget reached
inline constexpr const char* kExpNoMoreTrial = "no_more_trial";  // tuner exhausted the space
inline constexpr const char* kExpStopped = "stopped";            // stopped by a user
inline constexpr const char* kExpFailed = "failed";              // runtime error

// Reason recorded on trials canceled because the experiment stopped; resume reruns them.
inline constexpr const char* kReasonExperimentStopped = "experiment stopped";
inline constexpr const char* kReasonManagerLost = "manager exited while the trial ran";
// Prefix of the reason of a failed trial that the platform lost (host unreachable, node
// failure) and whose configuration runs again as a new trial; resume reruns it too.
inline constexpr const char* kReasonRequeued = "lost by the platform, runs again: ";

}  // namespace hone
