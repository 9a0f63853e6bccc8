// ModelCommand: a user's own evaluator or fine-tuner for `hone compress`, run as a trial
// is run (`/bin/sh -c COMMAND` in its own process group) and answering with hone's trial
// wire protocol. Torch-free: models travel as TorchScript files.
//
//   ModelCommand evaluator{.command = "python3 eval.py", .timeout_s = 600};
//   ModelCommandCall call{.phase = ModelPhase::kEvaluate, .model_path = "/tmp/m.pt"};
//   auto r = RunModelCommand(evaluator, call);   // r->value: the final report's "default"
//
// The command gets HONE_MODEL_PATH (the model to evaluate or fine-tune), for a fine-tuner
// HONE_OUTPUT_MODEL_PATH (where it must save the fine-tuned model), and HONE_PARAMS =
// {"model": ..., "output_model": ..., "phase": "evaluate"|"finetune", "step": N}, so
// that a script written with hone's trial SDK (hone.get_params(), hone.report_final())
// works unchanged; HONE_TRIAL_DIR and HONE_OUTPUT_DIR name a scratch folder (removed
// afterwards) that also holds params.json. Its stdout lines are either reports
// (`@hone {"type":"final","value":0.93}`, `@hone {"type":"intermediate",...}`) or log.
//
// Errors: the command could not start (kIo); it exited non-zero or was killed (kIo, with
// the exit code or signal and the last stderr lines); it ran past timeout_s (kUnavailable;
// its whole process group is killed); an evaluator gave no final report, or a fine-tuner
// wrote no output model (kFailedPrecondition).
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone::compress {

// What to run, as the CLI (--evaluator, --finetuner) or the prune YAML gives it.
struct ModelCommand {
  std::string command = {};  // run by /bin/sh -c; empty: no command
  double timeout_s = 0;      // 0: no limit
  bool empty() const { return command.empty(); }
};

enum class ModelPhase { kEvaluate, kFinetune };

// One run of a ModelCommand.
struct ModelCommandCall {
  ModelPhase phase = ModelPhase::kEvaluate;
  std::string model_path = {};         // the TorchScript model given to the command
  std::string output_model_path = {};  // kFinetune: where the command must save its model
  int step = 0;                        // the pruning step (0: before pruning or one-shot)
  std::string working_dir = {};        // "" = this process's
  std::string python_path = {};        // prepended to PYTHONPATH (hone's Python SDK); "" = none
  // Intermediate reports ("  step 3: 0.81"), log lines and malformed reports are echoed
  // here as they arrive; nullptr = silent.
  std::FILE* progress = nullptr;
};

struct ModelCommandResult {
  // The final report's default metric; nullopt when a fine-tuner gave none.
  std::optional<double> value;
  nlohmann::json metrics;  // the final report's value as an object with "default"
  int intermediate_reports = 0;
  std::string stderr_tail;
};

// A fresh folder under the system's temporary directory, removed with its contents when
// the object goes; for the model files exchanged with a command.
class ScratchFolder {
 public:
  static StatusOr<ScratchFolder> Create();
  ScratchFolder(ScratchFolder&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder();
  const std::string& path() const { return path_; }

 private:
  explicit ScratchFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Runs `command` for `call` to completion (see the contract above).
StatusOr<ModelCommandResult> RunModelCommand(const ModelCommand& command, const ModelCommandCall& call);

// "evaluator" or "fine-tuner", for messages.
const char* ModelPhaseRole(ModelPhase phase);

// The folder holding hone's Python SDK (the `hone` package) for the executable at
// `exe_path`: <dir>/share/hone/python or <dir>/../share/hone/python; "" when neither
// exists.
std::string FindPythonSdkDir(const std::string& exe_path);

}  // namespace hone::compress
