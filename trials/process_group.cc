#include "trials/process_group.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trials/trial_scope.h"

extern char** environ;

namespace hone {
namespace {

// posix_spawn's attributes and file actions, destroyed on every path out.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

Status MakePipe(Pipe* p) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return IoError(std::string("pipe: ") + std::strerror(errno));
  p->read = fds[0];
  p->write = fds[1];
  int flags = fcntl(p->read, F_GETFL);
  fcntl(p->read, F_SETFL, flags | O_NONBLOCK);
  return Status::Ok();
}

// environ with `overrides` replacing or adding entries.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string key(entry.substr(0, entry.find('=')));
    if (overrides.count(key) == 0) out.emplace_back(entry);
  }
  for (const auto& [key, value] : overrides) out.push_back(key + "=" + value);
  return out;
}

int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = syscall(SYS_pidfd_open, pid, 0);  // close-on-exec by default
  return fd < 0 ? -1 : static_cast<int>(fd);
#else
  return -1;
#endif
}

ExitStatus Decode(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    return {128 + sig, sig};
  }
  return {WEXITSTATUS(wait_status), 0};
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// The words of `command` when it holds nothing a shell would interpret (quotes,
// variables, globs, redirections, operators, assignments, comments), with the program
// resolved through PATH as the shell would; nullopt otherwise, or when the program
// cannot be found (the shell then reports it).
std::optional<std::pair<std::string, std::vector<std::string>>> DirectArgv(
    const std::string& command, const std::map<std::string, std::string>& env) {
  static constexpr std::string_view kShellSyntax = "\\'\"`$&|;<>()[]{}*?~#=!\n\r";
  std::vector<std::string> words;
  std::string word;
  for (char c : command) {
    if (kShellSyntax.find(c) != std::string_view::npos) return std::nullopt;
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.empty()) return std::nullopt;
  const std::string& program = words[0];
  if (program.find('/') != std::string::npos) return std::make_pair(program, std::move(words));
  auto it = env.find("PATH");
  const char* inherited = std::getenv("PATH");
  std::string search = it != env.end() ? it->second : (inherited ? inherited : "/usr/bin:/bin");
  size_t start = 0;
  while (start <= search.size()) {
    size_t end = search.find(':', start);
    if (end == std::string::npos) end = search.size();
    std::string dir = search.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    struct stat st;
    if (dir.rfind("/", 0) == 0 && stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0)
      return std::make_pair(candidate, std::move(words));
    start = end + 1;
  }
  return std::nullopt;
}

// `args` run through a shell that first moves itself into the cgroup whose procs file is
// `join_file` ($0), so that the command and all it starts are in it from the start.
void JoinBeforeExec(const std::string& join_file, std::string* path, std::vector<std::string>* args) {
  static constexpr const char* kJoin =
      "echo $$ >\"$0\" || { echo \"hone: cannot join $0\" >&2; exit 125; }; exec \"$@\"";
  std::vector<std::string> wrapped = {"sh", "-c", kJoin, join_file, *path};
  wrapped.insert(wrapped.end(), args->begin() + 1, args->end());
  *args = std::move(wrapped);
  *path = "/bin/sh";
}

}  // namespace

StatusOr<std::unique_ptr<ProcessGroup>> ProcessGroup::Spawn(const SpawnOptions& options) {
  Pipe out, err;
  HONE_RETURN_IF_ERROR(MakePipe(&out));
  HONE_RETURN_IF_ERROR(MakePipe(&err));

  SpawnSetup setup;
  // Own process group (pgid = its pid), so kill(-pid) reaches everything it starts; signal
  // state reset because ours (SIGPIPE ignored, blocked signals) must not leak into trials.
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&setup.attr, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&setup.attr, &signals);

  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&setup.actions, err.write, 2);
  // Descriptors other components opened without O_CLOEXEC must not reach trials either.
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_dir.c_str());
  }

  std::vector<std::string> args = options.argv;
  std::string path;
  if (args.empty()) {
    // A command without shell syntax runs directly: one exec instead of two, the same
    // behaviour as `sh -c` gives it.
    if (auto direct = DirectArgv(options.command, options.env)) {
      path = direct->first;
      args = std::move(direct->second);
    } else {
      path = "/bin/sh";
      args = {"sh", "-c", options.command};
    }
  } else {
    path = args[0];
  }
  if (options.scope != nullptr && !options.scope->join_file().empty())
    JoinBeforeExec(options.scope->join_file(), &path, &args);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) {
    struct stat st;
    if (!options.working_dir.empty() &&
        (stat(options.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
      return IoError("cannot start process: working directory " + options.working_dir +
                     " is not a directory");
    }
    return IoError("cannot start " + path + ": " + std::strerror(rc));
  }

  std::unique_ptr<ProcessGroup> group(new ProcessGroup());
  group->pid_ = pid;
  group->stdout_fd_ = out.read;
  group->stderr_fd_ = err.read;
  out.read = err.read = -1;  // owned by the group now; the write ends close with the Pipes
  group->exit_fd_ = options.open_exit_fd ? OpenPidfd(pid) : -1;
  group->scope_ = options.scope;
  return group;
}

ProcessGroup::~ProcessGroup() {
  if (pid_ > 0 && !status_) KillAndReap();
  CloseFd(&stdout_fd_);
  CloseFd(&stderr_fd_);
  CloseFd(&exit_fd_);
}

void ProcessGroup::CloseStdout() { CloseFd(&stdout_fd_); }
void ProcessGroup::CloseStderr() { CloseFd(&stderr_fd_); }

void ProcessGroup::SignalGroup(int sig) {
  if (status_) return;
  kill(-pid_, sig);
  if (scope_ != nullptr) scope_->Signal(sig);
}

void ProcessGroup::Terminate(std::chrono::milliseconds grace, Clock::time_point now) {
  if (status_ || kill_sent_) return;
  if (!term_sent_) {
    SignalGroup(SIGTERM);
    term_sent_ = true;
  }
  if (!kill_deadline_ || now + grace < *kill_deadline_) kill_deadline_ = now + grace;
}

void ProcessGroup::Escalate(Clock::time_point now) {
  if (!kill_deadline_ || now < *kill_deadline_) return;
  SignalGroup(SIGKILL);
  kill_sent_ = true;
  kill_deadline_.reset();
}

std::optional<ExitStatus> ProcessGroup::TryReap() {
  Reap(/*block=*/false);
  return status_;
}

ExitStatus ProcessGroup::KillAndReap() {
  Reap(/*block=*/true);
  return *status_;
}

void ProcessGroup::Reap(bool block) {
  if (status_) return;
  if (!block) {
    // Peek without reaping: while the main process is an unreaped zombie its pid still
    // names the group, so the kill(-pid) below cannot reach an unrelated process.
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    int rc;
    do {
      rc = waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0 && info.si_pid == 0) return;  // still running
  }
  kill(-pid_, SIGKILL);
  if (scope_ != nullptr) scope_->Signal(SIGKILL);  // what left the group (setsid, daemons)
  int wait_status = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &wait_status, 0);
  } while (rc < 0 && errno == EINTR);
  // ECHILD: this process ignores SIGCHLD, so the kernel reaped it and the status is lost.
  status_ = rc == pid_ ? Decode(wait_status) : ExitStatus{-1, 0};
  kill_deadline_.reset();
  CloseFd(&exit_fd_);
}

}  // namespace hone
