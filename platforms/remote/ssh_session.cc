#include "platforms/remote/ssh_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <thread>

#include "platforms/remote/ssh_host.h"

namespace hone {
namespace {

using Clock = std::chrono::steady_clock;

// write(2) to a pipe whose reader may be gone, without a process-wide SIGPIPE: the
// signal is blocked for this thread and a pending one is consumed.
bool WriteAll(int fd, const std::string& text) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  size_t done = 0;
  bool ok = true;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (!ok) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

}  // namespace

Status SshSession::Open(const std::string& ssh_line, const std::string& fifo_dir, std::chrono::milliseconds timeout) {
  Close();
  std::random_device rd;
  char nonce[40];
  std::snprintf(nonce, sizeof nonce, "@@hone-end-%08x%08x ", rd(), rd());
  marker_ = std::string("\n") + nonce;
  char name[64];
  std::snprintf(name, sizeof name, "/session-%08x", rd());
  fifo_ = fifo_dir + name;
  if (mkfifo(fifo_.c_str(), 0600) != 0) return IoError("cannot create a pipe for the ssh session");
  auto spawned = ProcessGroup::Spawn({.argv = {"/bin/bash", "--noprofile", "--norc", "-c",
                                               ssh_line + " <" + ShellQuote(fifo_)}});
  if (!spawned.ok()) return spawned.status();
  group_ = std::move(*spawned);
  auto deadline = Clock::now() + timeout;
  while (input_fd_ < 0 && Clock::now() < deadline && !group_->TryReap()) {
    input_fd_ = open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (input_fd_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (input_fd_ < 0) {
    Close();
    return Status(StatusCode::kUnavailable, "the ssh session did not start");
  }
  fcntl(input_fd_, F_SETFL, fcntl(input_fd_, F_GETFL) & ~O_NONBLOCK);
  Status st = Write("HONE_SESSION_ERR=$(mktemp) || exit 1\ntrap 'rm -f \"$HONE_SESSION_ERR\"' EXIT\n");
  if (!st.ok()) return st;
  auto hello = Run("true", std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  if (!hello.ok()) return hello.status();
  return Status::Ok();
}

void SshSession::Close() {
  if (input_fd_ >= 0) close(input_fd_);
  input_fd_ = -1;
  if (group_) group_->KillAndReap();
  group_.reset();
  if (!fifo_.empty()) unlink(fifo_.c_str());
  fifo_.clear();
  buffer_.clear();
}

Status SshSession::Write(const std::string& text) {
  if (!WriteAll(input_fd_, text)) {
    Close();
    return Status(StatusCode::kUnavailable, "the ssh session ended");
  }
  return Status::Ok();
}

Status SshSession::ReadReply(std::chrono::milliseconds timeout, CommandOutput* out) {
  auto deadline = Clock::now() + timeout;
  char buf[1 << 16];
  while (true) {
    size_t at = buffer_.find(marker_);
    if (at != std::string::npos) {
      size_t nl = buffer_.find('\n', at + marker_.size());
      int rc = -1;
      long long n = -1;
      if (nl != std::string::npos &&
          std::sscanf(buffer_.c_str() + at + marker_.size(), "%d %lld", &rc, &n) == 2 && n >= 0 &&
          buffer_.size() >= nl + 1 + static_cast<size_t>(n)) {
        out->stdout_text = buffer_.substr(0, at);
        out->stderr_text = buffer_.substr(nl + 1, n);
        out->status.exit_code = rc;
        buffer_.erase(0, nl + 1 + n);
        return Status::Ok();
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd fd{group_->stdout_fd(), POLLIN, 0};
    if (fd.fd < 0) break;
    int r = poll(&fd, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (r < 0 && errno != EINTR) break;
    ssize_t got = read(fd.fd, buf, sizeof buf);
    if (got == 0) break;  // the session ended
    if (got > 0) buffer_.append(buf, static_cast<size_t>(got));
  }
  Close();
  return Status(StatusCode::kUnavailable, "the ssh session ended or did not answer in time");
}

StatusOr<CommandOutput> SshSession::Run(const std::string& script, std::chrono::milliseconds timeout) {
  if (!is_open()) return Status(StatusCode::kUnavailable, "no ssh session");
  // The subshell keeps `exit` and `set -e` to the script; stderr goes through a file.
  std::string frame = "( " + script + "\n) </dev/null 2>\"$HONE_SESSION_ERR\"; printf '\\n%s%d %d\\n' " +
                      ShellQuote(marker_.substr(1)) +
                      " $? \"$(wc -c <\"$HONE_SESSION_ERR\")\"; cat \"$HONE_SESSION_ERR\"\n";
  Status st = Write(frame);
  if (!st.ok()) return st;
  CommandOutput out;
  st = ReadReply(timeout, &out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace hone
