#include "platforms/slurm/slurm_commands.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace hone {

std::string SlurmReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Status SlurmWriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status::Ok();
}

std::string SlurmFirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

SlurmJobIds ParseSlurmJobIds(const std::string& text) {
  SlurmJobIds ids;
  std::istringstream in(text);
  in >> ids.id >> ids.job_id;
  if (ids.job_id.empty() && ids.id.find('_') == std::string::npos) ids.job_id = ids.id;
  return ids;
}

std::string FormatSlurmJobIds(const SlurmJobIds& ids) {
  std::string text = ids.id + "\n";
  if (!ids.job_id.empty() && ids.job_id != ids.id) text += ids.job_id + "\n";
  return text;
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string SlurmBatchScript(const TrialLaunch& launch) {
  const std::string dir = launch.trial_dir;
  const std::string exit_file = ShellQuote(dir + "/" + kSlurmExitFile);
  const std::string tmp_file = ShellQuote(dir + "/." + kSlurmExitFile + ".tmp");
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# hone trial " << launch.seq << ": run by Slurm on a compute node.\n"
    << "exec </dev/null >" << ShellQuote(dir + "/stdout.log") << " 2>" << ShellQuote(dir + "/stderr.log") << "\n"
    << "hone_finish() { printf '%s\\n' \"$1\" >" << tmp_file << " && mv -f " << tmp_file << " " << exit_file
    << "; exit \"$1\"; }\n";
  if (!launch.working_dir.empty())
    s << "cd " << ShellQuote(launch.working_dir) << " || { echo \"hone: cannot enter "
      << ShellQuote(launch.working_dir) << " on $(hostname)\" >&2; hone_finish 1; }\n";
  for (const auto& [key, value] : launch.env) s << "export " << key << "=" << ShellQuote(value) << "\n";
  s << "/bin/sh -c " << ShellQuote(launch.command) << "\n"
    << "hone_finish $?\n";
  return s.str();
}

std::string SlurmArrayScript(const std::vector<std::string>& job_scripts) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# hone: a job array, one trial per task.\n"
    << "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t i = 0; i < job_scripts.size(); ++i) s << i << ") exec /bin/bash " << ShellQuote(job_scripts[i]) << " ;;\n";
  s << "*) echo \"hone: no trial for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\n"
    << "esac\n";
  return s.str();
}

std::vector<std::string> SbatchArguments(const SlurmOptions& o, const std::string& job_name,
                                         const std::string& chdir, const std::string& output,
                                         const std::string& script) {
  // --no-requeue: a job whose node fails ends NODE_FAIL and the manager runs the
  // configuration again (maxTrialRetries); Slurm's requeue would restart it over its own logs.
  std::vector<std::string> args = {"--parsable", "--job-name=" + job_name, "--chdir=" + chdir,
                                   "--output=" + output, "--open-mode=append", "--no-requeue"};
  if (!o.partition.empty()) args.push_back("--partition=" + o.partition);
  if (!o.account.empty()) args.push_back("--account=" + o.account);
  if (!o.time_limit.empty()) args.push_back("--time=" + o.time_limit);
  if (o.cpus_per_task > 0) args.push_back("--cpus-per-task=" + std::to_string(o.cpus_per_task));
  if (!o.memory.empty()) args.push_back("--mem=" + o.memory);
  if (o.gpus_per_task > 0) args.push_back("--gres=gpu:" + std::to_string(o.gpus_per_task));
  args.insert(args.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  args.push_back(script);
  return args;
}

std::map<std::string, SlurmJobState> ParseSqueue(std::string_view text) {
  std::map<std::string, SlurmJobState> jobs;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    std::vector<std::string> fields;
    size_t from = 0;
    for (size_t bar; fields.size() < 3 && (bar = line.find('|', from)) != std::string::npos; from = bar + 1)
      fields.push_back(line.substr(from, bar - from));
    fields.push_back(line.substr(from));
    if (fields.size() < 3 || fields[0].empty()) continue;
    SlurmJobState state;
    if (fields.size() == 4) state.job_id = fields[1];
    state.state = fields[fields.size() - 2];
    state.reason = fields.back();
    jobs[fields[0]] = std::move(state);
  }
  return jobs;
}

bool IsTerminalSlurmState(std::string_view s) {
  for (std::string_view live : {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED",
                                "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
                                "RESV_DEL_HOLD"})
    if (s == live) return false;
  return !s.empty();
}

bool IsSlurmPlatformFailure(std::string_view s) { return s == "NODE_FAIL" || s == "BOOT_FAIL"; }

bool HasStartedSlurmState(std::string_view s) {
  return s != "PENDING" && s != "REQUEUED" && s != "REQUEUE_HOLD" && s != "REQUEUE_FED" && s != "RESV_DEL_HOLD";
}

std::optional<SlurmJobEnd> ParseScontrolJob(std::string_view text) {
  static const std::regex kState(R"((?:^|\s)JobState=(\S+))");
  static const std::regex kExit(R"((?:^|\s)ExitCode=(\d+):(\d+))");
  std::string t(text);
  std::smatch m;
  if (!std::regex_search(t, m, kState)) return std::nullopt;
  SlurmJobEnd end;
  end.state = m[1];
  if (std::regex_search(t, m, kExit)) {
    end.exit_code = std::stoi(m[1]);
    end.signal = std::stoi(m[2]);
  }
  return end;
}

}  // namespace hone
