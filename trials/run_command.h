// RunCommand: runs a short helper command (nvidia-smi, a probe) to completion and returns
// its output; the whole process group is killed when it overruns its time.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/status.h"
#include "trials/process_group.h"

namespace hone {

struct CommandOutput {
  std::string stdout_text;
  std::string stderr_text;
  ExitStatus status;
};

// kUnavailable when it did not finish within `timeout`; kIo when it could not start.
// Output past `max_output_bytes` per stream is dropped.
StatusOr<CommandOutput> RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout,
                                   size_t max_output_bytes = 16 << 20);

}  // namespace hone
