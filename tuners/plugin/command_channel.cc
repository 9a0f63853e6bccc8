// The out-of-process transport: a command reading requests on stdin and answering one
// line each on stdout, supervised as its own process group.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tuners/plugin/plugin_channel.h"
#include "tuners/plugin/plugin_protocol.h"

namespace hone::plugin {
namespace {

using Clock = std::chrono::steady_clock;

std::string DescribeExit(int wstatus) {
  if (WIFEXITED(wstatus)) return "exited with code " + std::to_string(WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) return "was killed by signal " + std::to_string(WTERMSIG(wstatus));
  return "stopped";
}

class CommandChannel : public PluginChannel {
 public:
  CommandChannel(pid_t pid, int to_child, int from_child, std::chrono::milliseconds timeout)
      : pid_(pid), to_child_(to_child), from_child_(from_child), timeout_(timeout) {}

  ~CommandChannel() override {
    if (to_child_ >= 0) close(to_child_);  // EOF: a well-behaved plugin exits now
    if (!reaped_) {
      for (int i = 0; i < 20 && !reaped_; ++i) {
        int ws = 0;
        if (waitpid(pid_, &ws, WNOHANG) == pid_) reaped_ = true;
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    kill(-pid_, SIGKILL);  // the whole group, helpers included
    if (!reaped_) {
      int ws = 0;
      waitpid(pid_, &ws, 0);
    }
    if (from_child_ >= 0) close(from_child_);
  }

  StatusOr<nlohmann::json> Call(const nlohmann::json& request) override {
    if (!broken_.ok()) return broken_;
    std::string type = request.value("type", std::string("request"));
    std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    size_t sent = 0;
    while (sent < line.size()) {
      ssize_t n = send(to_child_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Break(ExitedStatus("before it read '" + type + "'"));
      sent += static_cast<size_t>(n);
    }
    auto deadline = Clock::now() + timeout_;
    while (true) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string reply = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!reply.empty() && reply.back() == '\r') reply.pop_back();
        if (reply.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
        auto parsed = ParseReply(reply);
        if (!parsed.ok()) {
          Status s = Internal("'" + type + "': " + parsed.status().message());
          // An {"error":...} reply leaves the plugin usable; garbage does not.
          if (parsed.status().message().rfind("reported an error", 0) != 0) return Break(s);
          return s;
        }
        return parsed;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        double secs = timeout_.count() / 1000.0;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", secs);
        return Break(Internal("did not answer '" + type + "' within " + buf + " s"));
      }
      pollfd pfd{from_child_, POLLIN, 0};
      int rc = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) continue;
      char chunk[65536];
      ssize_t n = read(from_child_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Break(ExitedStatus("instead of answering '" + type + "'"));
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  Status Break(Status s) {
    broken_ = s;
    return s;
  }

  // The process closed its end: say how it ended (waiting briefly for the exit status).
  Status ExitedStatus(const std::string& when) {
    for (int i = 0; i < 100 && !reaped_; ++i) {
      int ws = 0;
      if (waitpid(pid_, &ws, WNOHANG) == pid_) {
        reaped_ = true;
        return Internal(DescribeExit(ws) + " " + when);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Internal("closed its output " + when);
  }

  pid_t pid_;
  int to_child_, from_child_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  bool reaped_ = false;
  Status broken_;
};

}  // namespace

StatusOr<std::unique_ptr<PluginChannel>> OpenCommandChannel(const CommandOptions& options) {
  int in_pair[2];   // [0] ours (write), [1] the child's stdin
  int out_pipe[2];  // [0] ours (read), [1] the child's stdout
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    return IoError(std::string("socketpair: ") + std::strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pair[0]);
    close(in_pair[1]);
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  shutdown(in_pair[0], SHUT_RD);
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in_pair[0], in_pair[1], out_pipe[0], out_pipe[1]}) close(fd);
    return IoError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_pair[1], 0);
    dup2(out_pipe[1], 1);
    if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) {
      std::fprintf(stderr, "cannot enter %s: %s\n", options.working_dir.c_str(), std::strerror(errno));
      _exit(127);
    }
    if (!options.python_path.empty()) {
      const char* old = std::getenv("PYTHONPATH");
      std::string path = options.python_path + (old && *old ? ":" + std::string(old) : "");
      setenv("PYTHONPATH", path.c_str(), 1);
    }
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", options.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before any kill
  close(in_pair[1]);
  close(out_pipe[1]);
  return std::unique_ptr<PluginChannel>(new CommandChannel(pid, in_pair[0], out_pipe[0], options.timeout));
}

}  // namespace hone::plugin
