#include "trials/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace hone {
namespace {

constexpr int kKillRounds = 16;

bool WriteText(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, text.data(), text.size());
  close(fd);
  return n == static_cast<ssize_t>(text.size());
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// mountinfo escapes spaces and the like as \ooo.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && std::isdigit(static_cast<unsigned char>(field[i + 1]))) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> FindCgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point options [optional...] - fstype source super
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mount_point;
    head >> id >> parent >> dev >> root >> mount_point;
    if (!mount_point.empty()) return Unescape(mount_point);
  }
  return std::nullopt;
}

bool IsCgroup2Dir(const std::string& dir) {
  return Exists(dir + "/cgroup.procs") && Exists(dir + "/cgroup.controllers");
}

Status MakeCgroupDir(const std::string& path) {
  // Parents first; a parent that exists already is fine, a missing one is created.
  for (size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return IoError("cannot create cgroup " + prefix + ": " + std::strerror(errno));
    if (slash == std::string::npos) break;
  }
  if (!IsCgroup2Dir(path)) return IoError(path + " is not a cgroup v2 directory");
  return Status::Ok();
}

StatusOr<std::unique_ptr<Cgroup>> Cgroup::Create(const std::string& path) {
  HONE_RETURN_IF_ERROR(MakeCgroupDir(path));
  return std::unique_ptr<Cgroup>(new Cgroup(path));
}

std::unique_ptr<Cgroup> Cgroup::Open(const std::string& path) {
  if (!IsCgroup2Dir(path)) return nullptr;
  return std::unique_ptr<Cgroup>(new Cgroup(path));
}

Cgroup::~Cgroup() { KillAndRemove(std::chrono::seconds(1)); }

std::vector<pid_t> Cgroup::Members() const {
  std::vector<pid_t> out;
  std::ifstream in(procs_file());
  long pid;
  while (in >> pid) out.push_back(static_cast<pid_t>(pid));
  return out;
}

void Cgroup::Signal(int sig) {
  if (removed_) return;
  if (sig == SIGKILL) return Kill();
  for (pid_t pid : Members()) kill(pid, sig);
}

void Cgroup::Kill() {
  if (removed_) return;
  if (WriteText(path_ + "/cgroup.kill", "1")) return;
  // Older kernels: members may fork while we kill, so repeat until a read finds none.
  for (int round = 0; round < kKillRounds; ++round) {
    std::vector<pid_t> members = Members();
    if (members.empty()) return;
    for (pid_t pid : members) kill(pid, SIGKILL);
  }
}

bool Cgroup::Populated() const {
  std::ifstream in(path_ + "/cgroup.events");
  std::string key;
  int value = 0;
  while (in >> key >> value)
    if (key == "populated") return value != 0;
  return false;
}

bool Cgroup::TryRemove() {
  if (removed_) return true;
  if (rmdir(path_.c_str()) == 0 || errno == ENOENT) removed_ = true;
  return removed_;
}

bool Cgroup::KillAndRemove(std::chrono::milliseconds limit) {
  if (removed_) return true;
  Kill();
  auto end = std::chrono::steady_clock::now() + limit;
  while (Populated() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return TryRemove();
}

}  // namespace hone
