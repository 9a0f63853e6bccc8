// Helpers for the local platform tests: a temporary directory, and a loop that polls a
// platform until a condition holds.
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/platform.h"

namespace hone::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hone-platform-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& text, bool executable = false) {
  std::ofstream(path, std::ios::binary) << text;
  if (executable) {
    std::filesystem::permissions(path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
  }
}

// Alive and not a zombie.
inline bool IsAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

inline bool WaitUntilGone(pid_t pid, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (IsAlive(pid)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Polls until `done(events so far)` or `limit`; returns every event seen.
inline std::vector<PlatformEvent> PollUntil(Platform& platform,
                                            const std::function<bool(const std::vector<PlatformEvent>&)>& done,
                                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::vector<PlatformEvent> events;
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done(events) && std::chrono::steady_clock::now() < end) {
    Status st = platform.Poll(std::chrono::milliseconds(100), &events);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  return events;
}

inline const PlatformEvent* FindExit(const std::vector<PlatformEvent>& events, int64_t seq) {
  for (const auto& e : events) {
    if (e.kind == PlatformEvent::Kind::kExited && e.seq == seq) return &e;
  }
  return nullptr;
}

inline std::function<bool(const std::vector<PlatformEvent>&)> ExitedSeq(int64_t seq) {
  return [seq](const std::vector<PlatformEvent>& events) { return FindExit(events, seq) != nullptr; };
}

inline std::vector<std::string> LinesOf(const std::vector<PlatformEvent>& events, int64_t seq) {
  std::vector<std::string> lines;
  for (const auto& e : events) {
    if (e.kind == PlatformEvent::Kind::kStdoutLine && e.seq == seq) lines.push_back(e.line);
  }
  return lines;
}

}  // namespace hone::testing
