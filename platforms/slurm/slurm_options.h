// SlurmOptions: what the slurm platform reads from `trainingService` (platform: slurm),
// and its registration (keys as ArgSpecs plus the checks they cannot express).
//
//   trainingService:
//     platform: slurm
//     partition: gpu            # sbatch --partition
//     account: proj42           # sbatch --account
//     timeLimit: "1:00:00"      # sbatch --time (a Slurm time, or minutes)
//     cpusPerTask: 4            # sbatch --cpus-per-task
//     memory: 8G                # sbatch --mem (Slurm's units; a number is MB)
//     gpusPerTask: 1            # sbatch --gres=gpu:1 (default: trialGpuNumber)
//     sbatchArgs: [--qos=short] # passed to sbatch as written
//     pollInterval: 1           # seconds between squeue calls
//     maxConcurrentJobs: 64     # jobs hone keeps submitted at once
//     probeTimeout: 60          # seconds the start probe job may take
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/experiment_config.h"
#include "core/registry.h"
#include "core/status.h"
#include "trials/trial_output.h"

namespace hone {

struct SlurmOptions {
  // Where sbatch, squeue, scancel and scontrol are looked up (the manager's PATH).
  std::string path_env;
  std::string partition;
  std::string account;
  std::string time_limit;
  std::string memory;
  int cpus_per_task = 0;  // 0: Slurm's default
  int gpus_per_task = 0;  // 0: no --gres
  std::vector<std::string> sbatch_args;
  std::chrono::milliseconds poll_interval{1000};
  int max_concurrent_jobs = 64;
  // Start submits a probe job that must see this directory (the trial code directory)
  // and write a file into it that this machine then reads; "" = no probe.
  std::string probe_dir;
  std::chrono::milliseconds probe_timeout{60000};
  // How long a successful probe of probe_dir is trusted (a marker file there); 0 = always probe.
  std::chrono::milliseconds probe_cache_ttl{600000};
  // A finished job's exit-status file may reach this machine late (NFS attribute
  // caches): how long to wait for it before taking the state Slurm reports.
  std::chrono::milliseconds exit_file_grace{3000};
  std::string job_name_prefix = "hone";
  TrialOutputLimits output_limits;
};

// Options from the experiment's config; `path_env` is the manager's PATH.
SlurmOptions SlurmOptionsFromConfig(const ExperimentConfig& config, std::string path_env);

// Adds `platform: slurm` to the registry.
void RegisterSlurmPlatform(Registry& registry);

}  // namespace hone
