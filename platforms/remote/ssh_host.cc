#include "platforms/remote/ssh_host.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace hone {
namespace {

// The ssh client on $PATH ("ssh" itself when none is found: spawning it then fails with
// a message that names it).
std::string FindSsh() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/ssh";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "ssh";
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

SshHost::SshHost(RemoteMachine machine, std::string control_dir, std::vector<std::string> ssh_options,
                 bool multiplex)
    : machine_(std::move(machine)),
      control_dir_(std::move(control_dir)),
      ssh_options_(std::move(ssh_options)),
      multiplex_(multiplex) {}

SshHost::~SshHost() { Close(); }

std::string SshHost::Name() const {
  std::string name = machine_.user.empty() ? machine_.host : machine_.user + "@" + machine_.host;
  return name + ":" + std::to_string(machine_.port);
}

std::vector<std::string> SshHost::SshArgv() const {
  std::vector<std::string> argv = {FindSsh(), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                                   "-o", "ServerAliveInterval=15", "-o", "LogLevel=ERROR",
                                   "-p", std::to_string(machine_.port)};
  if (multiplex_) {
    argv.insert(argv.end(), {"-o", "ControlMaster=auto", "-o", "ControlPath=" + control_dir_ + "/%C", "-o",
                             "ControlPersist=600"});
  } else {
    argv.insert(argv.end(), {"-o", "ControlMaster=no", "-o", "ControlPath=none"});
  }
  if (!machine_.ssh_key_file.empty()) argv.insert(argv.end(), {"-i", machine_.ssh_key_file, "-o", "IdentitiesOnly=yes"});
  if (!machine_.user.empty()) argv.insert(argv.end(), {"-l", machine_.user});
  for (const auto& o : ssh_options_) argv.insert(argv.end(), {"-o", o});
  argv.push_back("--");
  argv.push_back(machine_.host);
  return argv;
}

std::string SshHost::SshCommandLine(const std::string& remote_command) const {
  std::string line;
  for (const auto& a : SshArgv()) line += ShellQuote(a) + " ";
  // ssh joins its arguments into one string that the login shell runs: quote once more.
  return line + ShellQuote(remote_command);
}

void SshHost::OpenSession(std::chrono::milliseconds timeout) const {
  session_retry_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  (void)session_.Open(SshCommandLine("exec bash --noprofile --norc -s"), control_dir_, timeout);
}

Status SshHost::Open(std::chrono::milliseconds timeout) {
  if (multiplex_) {
    // -f -N: the master goes to the background (its own session) once authenticated, so
    // the command runner's group kill does not end it.
    std::vector<std::string> argv = SshArgv();
    argv.insert(argv.begin() + 1, {"-f", "-N", "-M", "-n"});
    auto out = RunCommand({.argv = argv}, timeout, 1 << 16);
    if (!out.ok()) return Status(StatusCode::kUnavailable, "host " + Name() + ": " + out.status().message());
    if (out->status.exit_code != 0) {
      std::string why = out->stderr_text;
      while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
      return Status(StatusCode::kUnavailable, "host " + Name() + " refused the connection: " + why);
    }
    opened_ = true;
  }
  OpenSession(timeout);
  auto probe = Run("command -v tar >/dev/null || { echo 'tar is missing' >&2; exit 3; }; echo hone-ok", timeout);
  if (!probe.ok()) return probe.status();
  if (probe->status.exit_code != 0 || probe->stdout_text.find("hone-ok") == std::string::npos)
    return Status(StatusCode::kUnavailable, "host " + Name() + " cannot run trials: " + probe->stderr_text);
  return Status::Ok();
}

StatusOr<CommandOutput> SshHost::Run(const std::string& script, std::chrono::milliseconds timeout) const {
  if (!session_.is_open() && opened_ && std::chrono::steady_clock::now() >= session_retry_at_) OpenSession(timeout);
  if (session_.is_open()) {
    auto out = session_.Run(script, timeout);
    if (out.ok()) return out;
    // The session broke: this command goes the slow way, which also tells whether the
    // host itself is gone.
  }
  return RunWithInput("", script, timeout);
}

StatusOr<CommandOutput> SshHost::RunWithInput(const std::string& producer, const std::string& script,
                                              std::chrono::milliseconds timeout) const {
  std::string line = SshCommandLine("exec bash --noprofile --norc -c " + ShellQuote(script));
  if (producer.empty()) line += " </dev/null";
  else line = "set -o pipefail 2>/dev/null; " + producer + " | " + line;
  return RunLine(line, timeout);
}

StatusOr<CommandOutput> SshHost::RunWithOutput(const std::string& script, const std::string& consumer,
                                               std::chrono::milliseconds timeout) const {
  std::string line = SshCommandLine("exec bash --noprofile --norc -c " + ShellQuote(script));
  return RunLine("set -o pipefail; " + line + " </dev/null | " + consumer, timeout);
}

StatusOr<CommandOutput> SshHost::RunLine(const std::string& line, std::chrono::milliseconds timeout) const {
  auto out = RunCommand({.argv = {"/bin/bash", "--noprofile", "--norc", "-c", line}}, timeout);
  if (!out.ok()) return Status(StatusCode::kUnavailable, "host " + Name() + ": " + out.status().message());
  if (out->status.exit_code == 255) {
    std::string why = out->stderr_text;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    return Status(StatusCode::kUnavailable, "host " + Name() + " is unreachable: " + why);
  }
  return out;
}

void SshHost::Close() {
  session_.Close();
  if (!opened_) return;
  opened_ = false;
  std::vector<std::string> argv = SshArgv();
  argv.insert(argv.begin() + 1, {"-O", "exit"});
  (void)RunCommand({.argv = argv}, std::chrono::seconds(5), 1 << 16);
}

}  // namespace hone
