// A real OpenSSH server on 127.0.0.1 for the remote platform's tests: a private
// directory with its host key, a client key and authorized_keys, a free port, started
// as the testenv recipe says and stopped by its pid. Not a skip when sshd is missing:
// Start() says why, and the test fails with that.
#pragma once

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace hone::testing {

class SshdFixture {
 public:
  SshdFixture() = default;
  SshdFixture(const SshdFixture&) = delete;
  SshdFixture& operator=(const SshdFixture&) = delete;
  ~SshdFixture() { Stop(); }

  // "" when the server answers an ssh command, else what went wrong.
  std::string Start() {
    if (access("/usr/sbin/sshd", X_OK) != 0) return "/usr/sbin/sshd is missing: run scripts/setup (openssh-server)";
    std::string pattern = (std::filesystem::temp_directory_path() / "hone-sshd-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return "cannot create a temporary directory";
    dir_ = pattern;
    port_ = FreePort();
    struct passwd* pw = getpwuid(getuid());
    user_ = pw ? pw->pw_name : "root";
    std::ofstream(dir_ + "/sshd_config") << Config();
    ::mkdir("/run/sshd", 0755);
    std::string keys = "ssh-keygen -q -t ed25519 -N '' -f " + dir_ + "/ssh_host_ed25519_key && ssh-keygen -q -t ed25519 -N '' -f " +
                       key() + " && cp " + key() + ".pub " + dir_ + "/authorized_keys && chmod 600 " + dir_ +
                       "/authorized_keys";
    if (std::system(keys.c_str()) != 0) return "ssh-keygen failed";
    std::string why = Launch();
    if (!why.empty()) return why;
    std::string probe = "ssh -p " + std::to_string(port_) + " -i " + key() + " " + ClientOptions() + " " + user_ +
                        "@127.0.0.1 true 2>" + dir_ + "/probe.err";
    for (int i = 0; i < 50; ++i) {
      if (std::system(probe.c_str()) == 0) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "ssh to the test sshd failed: " + Read(dir_ + "/probe.err") + Read(dir_ + "/sshd.log");
  }

  // The same server again (same port and keys) after KillHost: the host comes back.
  std::string Restart() { return pid_ > 0 ? "still running" : Launch(); }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 200 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      pid_ = 0;
    }
    if (!dir_.empty()) {
      // Clients that are still closing may add a file meanwhile: try again.
      std::error_code ec;
      for (int i = 0; i < 5 && std::filesystem::exists(dir_, ec); ++i) {
        std::filesystem::remove_all(dir_, ec);
        if (std::filesystem::exists(dir_, ec)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      dir_.clear();
    }
  }

  // The host dies: the server and every session it serves end at once (SIGKILL), so
  // established connections drop too; nothing else is touched.
  void KillHost() {
    if (pid_ <= 0) return;
    std::string children = "pkill -KILL -P " + std::to_string(pid_);
    (void)std::system(children.c_str());
    kill(pid_, SIGKILL);
    for (int i = 0; i < 200 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid_ = 0;
    std::remove((dir_ + "/sshd.pid").c_str());
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& user() const { return user_; }
  const std::string& dir() const { return dir_; }
  std::string key() const { return dir_ + "/id_ed25519"; }
  std::string known_hosts() const { return dir_ + "/known_hosts"; }
  // The `-o` options a client needs for this server (no prompt, no system known_hosts).
  std::string ClientOptions() const {
    return "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=" + known_hosts();
  }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    close(fd);
    return port;
  }

 private:
  std::string Launch() {
    std::string start = "/usr/sbin/sshd -f " + dir_ + "/sshd_config -E " + dir_ + "/sshd.log";
    if (std::system(start.c_str()) != 0) return "sshd did not start: " + Read(dir_ + "/sshd.log");
    for (int i = 0; i < 200 && pid_ <= 0; ++i) {
      std::string text = Read(dir_ + "/sshd.pid");
      if (!text.empty()) pid_ = std::atoi(text.c_str());
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pid_ > 0 ? "" : "sshd wrote no pid file: " + Read(dir_ + "/sshd.log");
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string Config() const {
    return "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " + dir_ +
           "/ssh_host_ed25519_key\nPidFile " + dir_ + "/sshd.pid\nPermitRootLogin prohibit-password\n"
           "PubkeyAuthentication yes\nAuthorizedKeysFile " + dir_ + "/authorized_keys\nPasswordAuthentication no\n"
           "KbdInteractiveAuthentication no\nUsePAM no\nX11Forwarding no\nPrintMotd no\nMaxStartups 50:30:100\n"
           "MaxSessions 50\nStrictModes no\n";
  }

  std::string dir_;
  std::string user_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace hone::testing
