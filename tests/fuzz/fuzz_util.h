// Shared by hone's fuzz targets: a scratch directory per process and the way a broken
// invariant is reported (a message, then abort(), which libFuzzer records as a crash
// together with the input that caused it).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace hone::fuzz {

// Prints `what` and the offending text (at most 2 KiB of each) and aborts.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nhone fuzz: invariant broken: %.*s\n", static_cast<int>(std::min<size_t>(what.size(), 2048)),
               what.data());
  if (!detail.empty())
    std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(std::min<size_t>(detail.size(), 2048)), detail.data());
  std::abort();
}

// A fresh directory under TMPDIR (or /tmp) for this process, removed at exit (the name
// lives on the heap: the exit handler runs after static strings are destroyed).
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto* path = new std::string(std::string(tmp && *tmp ? tmp : "/tmp") + "/hone-fuzz-XXXXXX");
    if (::mkdtemp(path->data()) == nullptr) Fail("cannot create a scratch directory", *path);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    return path;
  }();
  return *dir;
}

inline void WriteFile(const std::string& path, std::string_view text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace hone::fuzz
