#include "compress/external/model_command.h"

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "trials/line_splitter.h"
#include "trials/process_group.h"
#include "trials/protocol.h"
#include "trials/tail_buffer.h"

namespace hone::compress {
namespace fs = std::filesystem;
namespace {

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

// Collects what the command writes: reports from stdout, the end of stderr.
class OutputReader {
 public:
  OutputReader(const char* role, std::FILE* progress) : role_(role), progress_(progress) {}

  void AddStdout(std::string_view chunk) {
    lines_.Feed(chunk, [this](std::string_view line, bool) { OnLine(line); });
  }
  void AddStderr(std::string_view chunk) { stderr_.Append(chunk); }
  void Finish() {
    lines_.Finish([this](std::string_view line, bool) { OnLine(line); });
  }

  ModelCommandResult TakeResult() {
    result_.stderr_tail = stderr_.Tail();
    return std::move(result_);
  }

 private:
  void OnLine(std::string_view line) {
    Report r = ParseReportLine(line);
    switch (r.kind) {
      case Report::Kind::kFinal:
        result_.value = r.value;
        result_.metrics = std::move(r.metrics);
        Echo("  " + std::string(role_) + " final: " + Number(r.value));
        break;
      case Report::Kind::kIntermediate: {
        ++result_.intermediate_reports;
        int64_t step = r.step.value_or(result_.intermediate_reports);
        Echo("  " + std::string(role_) + " step " + std::to_string(step) + ": " + Number(r.value));
        break;
      }
      case Report::Kind::kMalformed:
        Echo("  " + std::string(role_) + ": warning: ignored a malformed report: " + r.error);
        break;
      case Report::Kind::kNone:
        Echo("  | " + std::string(line));
        break;
    }
  }
  static std::string Number(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return buffer;
  }
  void Echo(const std::string& text) {
    if (progress_ == nullptr) return;
    std::fprintf(progress_, "%s\n", text.c_str());
    std::fflush(progress_);
  }

  const char* role_;
  std::FILE* progress_;
  LineSplitter lines_{1 << 20};
  TailBuffer stderr_{4096, 20};
  ModelCommandResult result_;
};

// Reads what the pipes hold now; closes a stream at its end.
Status Drain(ProcessGroup& group, OutputReader& reader) {
  char buffer[65536];
  for (bool is_stdout : {true, false}) {
    while (true) {
      int fd = is_stdout ? group.stdout_fd() : group.stderr_fd();
      if (fd < 0) break;
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        if (is_stdout) {
          reader.AddStdout(std::string_view(buffer, static_cast<size_t>(n)));
        } else {
          reader.AddStderr(std::string_view(buffer, static_cast<size_t>(n)));
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) return IoError(std::string("cannot read a command's output: ") + std::strerror(errno));
      if (is_stdout) group.CloseStdout(); else group.CloseStderr();
      break;
    }
  }
  return Status::Ok();
}

std::string WithTail(const std::string& message, const std::string& tail) {
  return tail.empty() ? message + " (nothing on stderr)" : message + "; stderr ends with:\n" + tail;
}

// Writes params.json into `scratch` (and makes its output folder) and returns how to
// spawn `command`: the trial environment, plus PYTHONPATH for hone's Python SDK. A
// fine-tuner's stale output model is removed first, so that it cannot pass for the
// command's.
StatusOr<SpawnOptions> PrepareSpawn(const ModelCommand& command, const ModelCommandCall& call,
                                    const ScratchFolder& scratch) {
  const bool finetune = call.phase == ModelPhase::kFinetune;
  {
    std::error_code ec;
    fs::create_directories(scratch.path() + "/output", ec);
    if (ec) return IoError("cannot create " + scratch.path() + "/output: " + ec.message());
  }
  const std::string model = Absolute(call.model_path);
  const std::string output_model = Absolute(call.output_model_path);
  nlohmann::json params = {{"model", model}, {"phase", finetune ? "finetune" : "evaluate"}, {"step", call.step}};
  if (finetune) params["output_model"] = output_model;
  {
    std::ofstream out(scratch.path() + "/params.json", std::ios::trunc);
    out << params.dump() << "\n";
    if (!out) return IoError("cannot write " + scratch.path() + "/params.json");
  }
  SpawnOptions spawn;
  spawn.command = command.command;
  spawn.working_dir = call.working_dir;
  spawn.env = {{"HONE_MODEL_PATH", model},
               {"HONE_PARAMS", params.dump()},
               {"HONE_TRIAL_DIR", scratch.path()},
               {"HONE_OUTPUT_DIR", scratch.path() + "/output"}};
  if (finetune) {
    spawn.env["HONE_OUTPUT_MODEL_PATH"] = output_model;
    std::error_code ec;
    fs::remove(output_model, ec);
  }
  if (!call.python_path.empty()) {
    const char* existing = std::getenv("PYTHONPATH");
    spawn.env["PYTHONPATH"] = call.python_path + (existing && *existing ? std::string(":") + existing : "");
  }
  return spawn;
}

// Feeds the group's output to `reader` until it exits; past `timeout_s` (> 0) kills it.
StatusOr<ExitStatus> WaitForExit(ProcessGroup& group, OutputReader& reader, double timeout_s, const std::string& what) {
  using Clock = ProcessGroup::Clock;
  const bool limited = timeout_s > 0;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  while (true) {
    if (std::optional<ExitStatus> status = group.TryReap()) {
      HONE_RETURN_IF_ERROR(Drain(group, reader));  // the group is gone; its output is in the pipes
      return *status;
    }
    const Clock::time_point now = Clock::now();
    if (limited && now >= deadline) {
      group.KillAndReap();
      reader.Finish();
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_s);
      return Status(StatusCode::kUnavailable,
                    WithTail(what + " did not finish within " + seconds + " s; its process group was killed",
                             reader.TakeResult().stderr_tail));
    }
    pollfd fds[3];
    nfds_t count = 0;
    for (int fd : {group.stdout_fd(), group.stderr_fd(), group.exit_fd()}) {
      if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
    }
    long long wait_ms = -1;
    if (limited) {
      wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    }
    // Without a pidfd nothing wakes us at exit once the pipes are closed: look every 10 ms.
    if (group.exit_fd() < 0) wait_ms = wait_ms < 0 ? 10 : std::min<long long>(wait_ms, 10);
    int rc = poll(fds, count, static_cast<int>(std::min<long long>(wait_ms, 1 << 30)));
    if (rc < 0 && errno != EINTR) return IoError(what + ": poll failed: " + std::strerror(errno));
    HONE_RETURN_IF_ERROR(Drain(group, reader));
  }
}

// Errors: a signal or non-zero exit; an evaluator without a final report; a fine-tuner
// that saved no model.
Status CheckOutcome(const ExitStatus& exit, const ModelCommandResult& result, const ModelCommandCall& call,
                    const std::string& what) {
  if (exit.signal != 0) {
    return IoError(WithTail(what + " was killed by signal " + std::to_string(exit.signal) + " (" +
                                strsignal(exit.signal) + ")",
                            result.stderr_tail));
  }
  if (exit.exit_code != 0) {
    return IoError(WithTail(what + " failed with exit code " + std::to_string(exit.exit_code), result.stderr_tail));
  }
  const bool finetune = call.phase == ModelPhase::kFinetune;
  if (!finetune && !result.value) {
    return FailedPrecondition(WithTail(what + " exited without a final report: it must print a line "
                                           "`@hone {\"type\":\"final\",\"value\":SCORE}` (or call hone.report_final)",
                                       result.stderr_tail));
  }
  if (finetune) {
    const std::string output_model = Absolute(call.output_model_path);
    std::error_code ec;
    if (!fs::is_regular_file(output_model, ec) || fs::file_size(output_model, ec) == 0) {
      return FailedPrecondition(WithTail(what + " exited without saving the fine-tuned model to HONE_OUTPUT_MODEL_PATH (" +
                                             output_model + ")",
                                         result.stderr_tail));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ScratchFolder> ScratchFolder::Create() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "hone-model-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return IoError("cannot create a scratch folder in " + base.string() + ": " + std::strerror(errno));
  }
  return ScratchFolder(pattern);
}

ScratchFolder::~ScratchFolder() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

const char* ModelPhaseRole(ModelPhase phase) {
  return phase == ModelPhase::kEvaluate ? "evaluator" : "fine-tuner";
}

StatusOr<ModelCommandResult> RunModelCommand(const ModelCommand& command, const ModelCommandCall& call) {
  const char* role = ModelPhaseRole(call.phase);
  const std::string what = std::string(role) + " `" + command.command + "`";
  if (command.empty()) return InvalidArgument(std::string("the ") + role + " command is empty");
  if (!(command.timeout_s >= 0) || !std::isfinite(command.timeout_s)) {
    return InvalidArgument(std::string("the ") + role + "'s timeout must be a number of seconds >= 0");
  }
  const bool finetune = call.phase == ModelPhase::kFinetune;
  if (finetune && call.output_model_path.empty()) return InvalidArgument(what + ": no output model path");
  auto scratch = ScratchFolder::Create();
  if (!scratch.ok()) return scratch.status();
  auto spawn = PrepareSpawn(command, call, *scratch);
  if (!spawn.ok()) return spawn.status();
  auto spawned = ProcessGroup::Spawn(*spawn);
  if (!spawned.ok()) return Status(spawned.status().code(), what + ": " + spawned.status().message());
  OutputReader reader(role, call.progress);
  auto exit = WaitForExit(**spawned, reader, command.timeout_s, what);
  if (!exit.ok()) return exit.status();
  reader.Finish();
  ModelCommandResult result = reader.TakeResult();
  HONE_RETURN_IF_ERROR(CheckOutcome(*exit, result, call, what));
  return result;
}

std::string FindPythonSdkDir(const std::string& exe_path) {
  fs::path dir = fs::path(exe_path).parent_path();
  for (const fs::path& candidate : {dir / "share/hone/python", dir.parent_path() / "share/hone/python"}) {
    std::error_code ec;
    if (fs::is_directory(candidate / "hone", ec)) return candidate.string();
  }
  return "";
}

}  // namespace hone::compress
