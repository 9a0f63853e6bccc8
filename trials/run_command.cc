#include "trials/run_command.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace hone {
namespace {

// Reads what is there now; closes the stream at EOF.
void Drain(ProcessGroup* group, bool is_stdout, std::string* sink, size_t max_bytes) {
  char buffer[65536];
  while (true) {
    int fd = is_stdout ? group->stdout_fd() : group->stderr_fd();
    if (fd < 0) return;
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      size_t keep = std::min(static_cast<size_t>(n), max_bytes - std::min(max_bytes, sink->size()));
      sink->append(buffer, keep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (is_stdout) group->CloseStdout(); else group->CloseStderr();
    return;
  }
}

}  // namespace

StatusOr<CommandOutput> RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout,
                                   size_t max_output_bytes) {
  StatusOr<std::unique_ptr<ProcessGroup>> spawned = ProcessGroup::Spawn(options);
  if (!spawned.ok()) return spawned.status();
  ProcessGroup& group = **spawned;
  CommandOutput out;
  auto deadline = ProcessGroup::Clock::now() + timeout;
  while (true) {
    std::optional<ExitStatus> status = group.TryReap();
    if (status) {
      // The group is gone; what it wrote is still in the pipes.
      Drain(&group, true, &out.stdout_text, max_output_bytes);
      Drain(&group, false, &out.stderr_text, max_output_bytes);
      out.status = *status;
      return out;
    }
    auto now = ProcessGroup::Clock::now();
    if (now >= deadline) {
      group.KillAndReap();
      std::string what = options.argv.empty() ? options.command : options.argv[0];
      return Status(StatusCode::kUnavailable,
                    what + " did not finish within " + std::to_string(timeout.count()) + " ms");
    }
    pollfd fds[3];
    int count = 0;
    for (int fd : {group.stdout_fd(), group.stderr_fd(), group.exit_fd()}) {
      if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    // Without a pidfd nothing wakes us at exit once the pipes are closed: look every 10 ms.
    if (group.exit_fd() < 0) left = std::min<long long>(left, 10);
    int rc = poll(fds, count, static_cast<int>(left));
    if (rc < 0 && errno != EINTR) return IoError("poll failed while running a command");
    Drain(&group, true, &out.stdout_text, max_output_bytes);
    Drain(&group, false, &out.stderr_text, max_output_bytes);
  }
}

}  // namespace hone
