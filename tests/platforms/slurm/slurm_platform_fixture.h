// SlurmPlatformFixture: tests of SlurmPlatform against the test process's private Slurm
// (slurm_test_cluster.h): options for it, trials in a temporary directory, and Slurm's
// own commands (scontrol, squeue, scancel) run as a user would.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platforms/slurm/slurm_platform.h"
#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/slurm/slurm_test_cluster.h"

namespace hone::testing {

class SlurmPlatformFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SharedSlurmCluster().ok()) << SharedSlurmCluster().error(); }
  SlurmOptions Options() {
    SlurmOptions o;
    const char* path = std::getenv("PATH");
    o.path_env = path ? path : "/usr/bin";
    o.poll_interval = std::chrono::milliseconds(100);
    o.probe_dir = dir_.path();
    return o;
  }
  TrialLaunch Trial(int64_t seq, const std::string& command) {
    TrialLaunch l;
    l.seq = seq;
    l.command = command;
    l.trial_dir = dir_ / ("trials/" + std::to_string(seq));
    l.working_dir = dir_.path();
    l.env = {{"HONE_PARAMS", "{\"x\": 0.25}"}};
    return l;
  }

 public:
  // Runs a Slurm client command (scontrol, squeue, scancel) with `args`; its stdout.
  static std::string Slurm(const std::string& tool, const std::vector<std::string>& args) {
    SpawnOptions spawn;
    spawn.argv = {"/usr/bin/" + tool};
    spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
    spawn.open_exit_fd = false;
    auto out = RunCommand(spawn, std::chrono::seconds(10));
    return out.ok() ? out->stdout_text : "";
  }
 protected:
  // What <trial_dir of seq>/slurm_job_id holds, first line.
  std::string JobIdOf(int64_t seq) {
    std::string text = ReadFile(dir_ / ("trials/" + std::to_string(seq) + "/slurm_job_id"));
    return text.substr(0, text.find('\n'));
  }
  TempDir dir_;
};

}  // namespace hone::testing
