// PollReply: what one PollScript call (remote_scripts.h) printed, per trial: new stdout
// and stderr bytes and, once both logs are read to the end, the exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

struct PollRecord {
  int64_t seq = 0;
  std::optional<int> exit_status;  // as the runner wrote it (128 + signal for a signal)
  std::string stdout_bytes;
  std::string stderr_bytes;
  bool has_output = false;  // the trial ended and its output/ on the host is not empty
};

// kInternal when the text is not what PollScript prints (a cut-off reply).
StatusOr<std::vector<PollRecord>> ParsePollReply(const std::string& text);

}  // namespace hone
