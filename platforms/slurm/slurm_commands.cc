#include "platforms/slurm/slurm_commands.h"

#include <regex>
#include <sstream>

namespace hone {

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

std::vector<std::string> SbatchArguments(const SlurmOptions& o, const std::string& job_name,
                                         const std::string& chdir, const std::string& output,
                                         const std::string& script) {
  std::vector<std::string> args = {"--parsable", "--job-name=" + job_name, "--chdir=" + chdir,
                                   "--output=" + output, "--open-mode=append"};
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
    size_t a = line.find('|');
    size_t b = a == std::string::npos ? a : line.find('|', a + 1);
    if (b == std::string::npos || a == 0) continue;
    std::string reason = line.substr(b + 1);
    while (!reason.empty() && (reason.back() == '\r' || reason.back() == ' ')) reason.pop_back();
    jobs[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), reason};
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
