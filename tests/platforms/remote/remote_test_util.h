// One test sshd shared by the remote platform's tests in a binary (started on first use,
// stopped at exit), and RemotePlatformOptions that reach it.
#pragma once

#include <chrono>
#include <string>

#include "platforms/remote/remote_options.h"
#include "tests/platforms/remote/sshd_fixture.h"

namespace hone::testing {

// The shared server; `error` gets why it could not start ("" when it runs).
inline SshdFixture& SharedSshd(std::string* error) {
  static SshdFixture sshd;
  static std::string why = sshd.Start();
  *error = why;
  return sshd;
}

inline RemoteMachine TestMachine(const SshdFixture& sshd) {
  RemoteMachine m;
  m.host = "127.0.0.1";
  m.port = sshd.port();
  m.user = sshd.user();
  m.ssh_key_file = sshd.key();
  return m;
}

inline RemotePlatformOptions TestRemoteOptions(const SshdFixture& sshd, const std::string& remote_dir) {
  RemotePlatformOptions o;
  o.machines = {TestMachine(sshd)};
  o.remote_dir = remote_dir;
  o.ssh_options = {"StrictHostKeyChecking=no", "UserKnownHostsFile=" + sshd.known_hosts()};
  o.poll_interval = std::chrono::milliseconds(50);
  o.kill_grace = std::chrono::milliseconds(1000);
  o.ssh_timeout = std::chrono::milliseconds(20000);
  return o;
}

}  // namespace hone::testing
