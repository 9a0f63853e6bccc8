// SlurmTestCluster: a private single-node Slurm (munged, slurmctld, slurmd on 127.0.0.1,
// free ports) for tests, started by slurm_cluster.sh under its own temporary directory
// and stopped by pid when the object goes. SLURM_CONF is set in this process so that
// Slurm's client commands, and the platform under test, reach it.
//
//   SlurmTestCluster& cluster = SharedSlurmCluster();   // once per test process
//   ASSERT_TRUE(cluster.ok()) << cluster.error();
// A test may start one of its own with extra slurm.conf lines (SlurmTestCluster small(
// {"MaxArraySize=2"})); it points SLURM_CONF at itself, and back when it goes.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "trials/run_command.h"

#ifndef HONE_SOURCE_DIR
#error "HONE_SOURCE_DIR must be defined by the build"
#endif

namespace hone::testing {

class SlurmTestCluster {
 public:
  explicit SlurmTestCluster(std::vector<std::string> extra_conf = {}) : extra_conf_(std::move(extra_conf)) {
    const char* before = getenv("SLURM_CONF");
    previous_conf_ = before ? before : "";
    std::string pattern = (std::filesystem::temp_directory_path() / "hone-slurm-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      error_ = "cannot create a temporary directory";
      return;
    }
    dir_ = pattern;
    auto out = Script("start");
    if (!out.ok() || out->status.exit_code != 0) {
      error_ = "the test Slurm cluster did not start (scripts/setup installs slurm-wlm and munge): " +
               (out.ok() ? out->stderr_text : out.status().message());
      return;
    }
    conf_ = out->stdout_text.substr(0, out->stdout_text.find('\n'));
    setenv("SLURM_CONF", conf_.c_str(), 1);
  }
  ~SlurmTestCluster() {
    if (dir_.empty()) return;
    (void)Script("stop");
    if (previous_conf_.empty()) unsetenv("SLURM_CONF");
    else setenv("SLURM_CONF", previous_conf_.c_str(), 1);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SlurmTestCluster(const SlurmTestCluster&) = delete;
  SlurmTestCluster& operator=(const SlurmTestCluster&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& conf() const { return conf_; }
  const std::string& dir() const { return dir_; }

 private:
  StatusOr<CommandOutput> Script(const std::string& command) const {
    SpawnOptions spawn;
    spawn.argv = {std::string(HONE_SOURCE_DIR) + "/tests/platforms/slurm/slurm_cluster.sh", command, dir_};
    if (command == "start") spawn.argv.insert(spawn.argv.end(), extra_conf_.begin(), extra_conf_.end());
    spawn.open_exit_fd = false;
    return RunCommand(spawn, std::chrono::seconds(40));
  }

  std::vector<std::string> extra_conf_;
  std::string previous_conf_;
  std::string dir_;
  std::string conf_;
  std::string error_;
};

// The cluster of this test process, started on first use, stopped at exit.
inline SlurmTestCluster& SharedSlurmCluster() {
  static SlurmTestCluster cluster;
  return cluster;
}

}  // namespace hone::testing
