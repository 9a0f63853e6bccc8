// SlurmPlatform: submitting what was launched, one job per trial or one job array for all
// the trials launched in one manager turn (one sbatch call instead of many).
#include <filesystem>

#include "platforms/slurm/slurm_platform.h"

namespace hone {
namespace {

// Slurm's default MaxArraySize is 1001: task ids 0..1000.
constexpr size_t kMaxArrayTasks = 1000;

}  // namespace

void SlurmPlatform::SubmitLaunched(std::vector<PlatformEvent>* out) {
  std::vector<Job*> ready;
  for (int64_t seq : launched_) {
    auto it = jobs_.find(seq);
    if (it != jobs_.end() && it->second->id.empty()) ready.push_back(it->second.get());
  }
  launched_.clear();
  for (size_t from = 0; from < ready.size(); from += kMaxArrayTasks) {
    std::vector<Job*> batch(ready.begin() + from, ready.begin() + std::min(ready.size(), from + kMaxArrayTasks));
    Status carried = CarryProbe(batch.front());
    if (!carried.ok()) {
      FailSubmission(batch, carried.message(), out);
      continue;
    }
    std::string why = Submit(batch);
    // A cluster may limit or disable job arrays (MaxArraySize): one job per trial then.
    if (!why.empty() && batch.size() > 1 && why.find("rray") != std::string::npos) {
      for (Job* job : batch) {
        std::string alone = Submit({job});
        if (!alone.empty()) FailSubmission({job}, alone, out);
      }
    } else if (!why.empty()) {
      FailSubmission(batch, why, out);
    }
  }
  next_refresh_ = Clock::now();
}

std::string SlurmPlatform::Submit(const std::vector<Job*>& batch) {
  const std::string& first = batch.front()->trial_dir;
  std::string name = options_.job_name_prefix + "-" + std::to_string(batch.front()->seq);
  std::vector<std::string> args;
  if (batch.size() == 1) {
    args = SbatchArguments(options_, name, first, first + "/slurm.out", first + "/job.sh");
  } else {
    std::vector<std::string> scripts;
    for (Job* job : batch) scripts.push_back(job->trial_dir + "/job.sh");
    Status written = SlurmWriteFile(first + "/array.sh", SlurmArrayScript(scripts));
    if (!written.ok()) return written.message();
    name += "-" + std::to_string(batch.back()->seq);
    args = SbatchArguments(options_, name, first, first + "/slurm-array-%a.out", first + "/array.sh");
    args.insert(args.end() - 1, "--array=0-" + std::to_string(batch.size() - 1));
  }
  auto sub = RunTool("sbatch", args);
  if (!sub.ok()) return sub.status().message();
  std::string id = SlurmFirstLine(sub->stdout_text);
  id = id.substr(0, id.find(';'));  // "<id>;<cluster>" on federated clusters
  if (sub->status.exit_code != 0 || id.empty()) return SlurmFirstLine(sub->stderr_text + sub->stdout_text);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->id = batch.size() == 1 ? id : id + "_" + std::to_string(i);
    batch[i]->job_id = batch.size() == 1 ? id : "";  // an array task's own id comes when it runs
    RecordJobId(batch[i]);
    ProbeSubmitted(batch[i]);
  }
  return "";
}

void SlurmPlatform::FailSubmission(const std::vector<Job*>& batch, const std::string& why,
                                   std::vector<PlatformEvent>* out) {
  for (Job* job : batch) {
    const int64_t seq = job->seq;
    EmitStarted(job, out);
    Finish(job, 1, 0, "launch failed: sbatch: " + why, out);
    jobs_.erase(seq);
  }
}

void SlurmPlatform::RecordJobId(Job* job) {
  (void)SlurmWriteFile(job->trial_dir + "/" + kSlurmJobIdFile, FormatSlurmJobIds({job->id, job->job_id}));
}

}  // namespace hone
