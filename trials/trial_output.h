// TrialOutput: where one trial's output goes. stdout and stderr are copied byte for byte
// to <trial_dir>/stdout.log and stderr.log; stdout is also cut into bounded lines for the
// manager (metric reports), and the end of stderr is kept for the failure reason.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "trials/line_splitter.h"
#include "trials/tail_buffer.h"

namespace hone {

struct TrialOutputLimits {
  size_t max_line_bytes = 1 << 20;  // longer stdout lines reach the manager truncated
  size_t stderr_tail_bytes = 4096;
  size_t stderr_tail_lines = 20;
};

class TrialOutput {
 public:
  // Creates (truncates) stdout.log and stderr.log in `trial_dir`, which must exist.
  static StatusOr<std::unique_ptr<TrialOutput>> Open(const std::string& trial_dir,
                                                     const TrialOutputLimits& limits);
  TrialOutput(const TrialOutput&) = delete;
  TrialOutput& operator=(const TrialOutput&) = delete;
  ~TrialOutput();

  // Logs `chunk` and emits each stdout line it completes.
  void AddStdout(std::string_view chunk, const LineSplitter::Emit& emit);
  void AddStderr(std::string_view chunk);
  // Emits the last stdout line when it had no '\n' and closes the log files.
  void Finish(const LineSplitter::Emit& emit);

  // The last lines of stderr (valid UTF-8).
  std::string StderrTail() const { return stderr_tail_.Tail(); }
  // The first failed log write (disk full, ...); writing stops for that file after it.
  const Status& write_status() const { return write_status_; }

 private:
  TrialOutput(const TrialOutputLimits& limits)
      : lines_(limits.max_line_bytes),
        stderr_tail_(limits.stderr_tail_bytes, limits.stderr_tail_lines) {}
  void Write(int* fd, const std::string& name, std::string_view chunk);

  int stdout_log_ = -1;
  int stderr_log_ = -1;
  LineSplitter lines_;
  TailBuffer stderr_tail_;
  Status write_status_;
};

}  // namespace hone
