#include "trials/proc_scan.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace hone {
namespace {

constexpr int kKillRounds = 8;

// The state and process group of `pid` from /proc/<pid>/stat (fields 3 and 5).
bool ReadStat(const std::string& pid, char* state, long* pgrp) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  std::istringstream fields(stat.substr(close + 2));
  long ppid = 0;
  fields >> *state >> ppid >> *pgrp;
  return static_cast<bool>(fields);
}

// Which of `wanted` (whole "KEY=value" entries) the environment of `pid` holds, as bits.
unsigned EnvironHas(const std::string& pid, const std::vector<std::string>& wanted) {
  std::ifstream in("/proc/" + pid + "/environ", std::ios::binary);
  std::string var;
  unsigned found = 0;
  while (std::getline(in, var, '\0')) {
    for (size_t i = 0; i < wanted.size(); ++i)
      if (var == wanted[i]) found |= 1u << i;
  }
  return found;
}

bool Matches(const TrialProcessMatch& match, const std::string& pid, const std::vector<std::string>& wanted) {
  char state = 0;
  long pgrp = -1;
  if (!ReadStat(pid, &state, &pgrp) || state == 'Z' || state == 'X') return false;
  unsigned found = EnvironHas(pid, wanted);
  if ((found & 1u) == 0) return false;
  bool narrowed = match.process_group > 0 || match.seq.has_value();
  if (!narrowed) return true;
  if (match.process_group > 0 && pgrp == match.process_group) return true;
  return match.seq.has_value() && (found & 2u) != 0;
}

}  // namespace

std::vector<pid_t> FindMatchingProcesses(const TrialProcessMatch& match) {
  std::vector<pid_t> out;
  if (match.trial_dir.empty()) return out;
  std::vector<std::string> wanted = {"HONE_TRIAL_DIR=" + match.trial_dir};
  if (match.seq) wanted.push_back("HONE_TRIAL_SEQ=" + std::to_string(*match.seq));
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return out;
  const pid_t self = getpid();
  while (dirent* entry = readdir(proc.get())) {
    std::string name = entry->d_name;
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
    if (pid == self || !Matches(match, name, wanted)) continue;
    out.push_back(pid);
  }
  return out;
}

int SignalMatchingProcesses(const TrialProcessMatch& match, int sig) {
  int sent = 0;
  for (int round = 0; round < (sig == SIGKILL ? kKillRounds : 1); ++round) {
    std::vector<pid_t> found = FindMatchingProcesses(match);
    if (found.empty()) break;
    for (pid_t pid : found)
      if (kill(pid, sig) == 0) ++sent;
  }
  return sent;
}

}  // namespace hone
