#include "trials/trial_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hone {
namespace {

int OpenLog(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

}  // namespace

StatusOr<std::unique_ptr<TrialOutput>> TrialOutput::Open(const std::string& trial_dir,
                                                         const TrialOutputLimits& limits) {
  std::unique_ptr<TrialOutput> output(new TrialOutput(limits));
  for (auto [fd, name] : {std::pair{&output->stdout_log_, "stdout.log"},
                          std::pair{&output->stderr_log_, "stderr.log"}}) {
    std::string path = trial_dir + "/" + name;
    *fd = OpenLog(path);
    if (*fd < 0) return IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  return output;
}

TrialOutput::~TrialOutput() {
  if (stdout_log_ >= 0) close(stdout_log_);
  if (stderr_log_ >= 0) close(stderr_log_);
}

void TrialOutput::Write(int* fd, const std::string& name, std::string_view chunk) {
  while (*fd >= 0 && !chunk.empty()) {
    ssize_t n = write(*fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (write_status_.ok()) write_status_ = IoError("writing " + name + ": " + std::strerror(errno));
      close(*fd);
      *fd = -1;
      return;
    }
    chunk.remove_prefix(static_cast<size_t>(n));
  }
}

void TrialOutput::AddStdout(std::string_view chunk, const LineSplitter::Emit& emit) {
  Write(&stdout_log_, "stdout.log", chunk);
  lines_.Feed(chunk, emit);
}

void TrialOutput::AddStderr(std::string_view chunk) {
  Write(&stderr_log_, "stderr.log", chunk);
  stderr_tail_.Append(chunk);
}

void TrialOutput::Finish(const LineSplitter::Emit& emit) {
  lines_.Finish(emit);
  for (int* fd : {&stdout_log_, &stderr_log_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

}  // namespace hone
