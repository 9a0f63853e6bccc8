// Helpers shared by the compress tests: a scratch folder and small real data sets.
#pragma once

#include <unistd.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "compress/data/dataset_catalog.h"
#include "core/status.h"

namespace hone::compress::testing {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() / ("hone_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline bool HaveFashionMnist() {
  return std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
}

// The first `n` images of a Fashion-MNIST split.
inline ImageSet FashionMnist(Split split, int64_t n) {
  auto set = LoadDataset("fashion-mnist", split);
  if (!set.ok()) std::abort();
  TruncateImageSet(*set, n);
  return std::move(*set);
}

// Runs a shell command and returns its exit status (-1 when it did not exit normally).
inline int RunShell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A command's exit status and its stdout and stderr, merged.
struct CommandResult {
  int code = -1;
  std::string output;
};

// Runs `command` through the shell.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#ifdef HONE_COMPRESS_BINARY
// Runs `hone-compress ARGS`, the binary of this build.
inline CommandResult Compress(const std::string& args) {
  // Appended piece by piece: g++ 12 warns (-Warray-bounds, wrongly) about binary + " " + args.
  std::string command = HONE_COMPRESS_BINARY;
  command += ' ';
  command += args;
  return RunCommand(command);
}
#endif

// Golden bad configurations: every NN_*.yaml in `dir` is rejected by `parse` (text, file
// name -> the error) with kInvalidArgument, and each line of its NN_*.expected appears in
// the message. Returns how many cases there were.
inline int CheckGoldenBadConfigs(const std::filesystem::path& dir,
                                 const std::function<Status(const std::string&, const std::string&)>& parse) {
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    ++cases;
    const std::string name = e.path().filename().string();
    std::ifstream text(e.path());
    std::stringstream yaml;
    yaml << text.rdbuf();
    Status st = parse(yaml.str(), name);
    EXPECT_FALSE(st.ok()) << name << " was accepted";
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << name;
    std::ifstream expected(dir / (e.path().stem().string() + ".expected"));
    int lines = 0;
    for (std::string line; std::getline(expected, line);) {
      if (line.empty()) continue;
      ++lines;
      EXPECT_NE(st.message().find(line), std::string::npos)
          << name << ": expected line not reported:\n  " << line << "\ngot:\n" << st.message();
    }
    EXPECT_GT(lines, 0) << name << ": no .expected lines";
  }
  return cases;
}

}  // namespace hone::compress::testing
