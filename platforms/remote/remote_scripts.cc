#include "platforms/remote/remote_scripts.h"

#include <cstdio>

#include "platforms/remote/ssh_host.h"

namespace hone {
namespace {

// Arguments: $1 trial dir, $2 command. The trial gets its own session and group (setsid
// execs in place: a background child is never a group leader), so Kill can end the group
// while the runner survives to record the status.
constexpr const char* kRunner = R"RUNNER(d=$1
setsid /bin/sh -c "$2" </dev/null >"$d/stdout.log" 2>"$d/stderr.log" &
p=$!
echo "$p" >"$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
wait "$p"
rc=$?
kill -KILL -- "-$p" 2>/dev/null
echo "$rc" >"$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"
)RUNNER";

}  // namespace

std::string LaunchScript(const RemoteLaunchSpec& spec) {
  std::string s = "set -e\nd=" + ShellQuote(spec.trial_dir) + "\nrm -rf \"$d\"\nmkdir -p \"$d/output\"\n";
  s += "cd " + (spec.working_dir.empty() ? std::string("\"$d\"") : ShellQuote(spec.working_dir)) + "\n";
  for (const auto& [k, v] : spec.env) s += "export " + k + "=" + ShellQuote(v) + "\n";
  if (!spec.python_path.empty()) s += "export PATH=" + ShellQuote(spec.python_path) + ":\"$PATH\"\n";
  s += "if [ -n \"${HONE_PARAMS+x}\" ]; then printf '%s' \"$HONE_PARAMS\" >\"$d/params.json\"; fi\n";
  if (spec.env.count("CUDA_VISIBLE_DEVICES")) s += "printf '%s' \"$CUDA_VISIBLE_DEVICES\" >\"$d/devices\"\n";
  s += "setsid bash --noprofile --norc -c " + ShellQuote(kRunner) + " hone-runner \"$d\" " + ShellQuote(spec.command) +
       " </dev/null >/dev/null 2>&1 &\n";
  s += "i=0\nwhile [ ! -s \"$d/pid\" ]; do i=$((i+1)); [ $i -gt 3000 ] && { echo 'runner did not start' >&2; exit 4; }; "
       "sleep 0.01; done\ncat \"$d/pid\"\n";
  return s;
}

std::string PollScript(const std::vector<RemotePollEntry>& entries, int64_t max_bytes) {
  std::string m = std::to_string(max_bytes);
  std::string s = R"POLL(size() { if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi; }
part() { [ "$3" -gt 0 ] && tail -c +"$(($2 + 1))" "$1" | head -c "$3"; return 0; }
emit() {
  x=-; [ -f "$2/exit" ] && x=$(cat "$2/exit")
  so=$(size "$2/stdout.log"); se=$(size "$2/stderr.log")
  n=$((so - $3)); [ $n -gt MAXB ] && n=MAXB; [ $n -lt 0 ] && n=0
  e=$((se - $4)); [ $e -gt MAXB ] && e=MAXB; [ $e -lt 0 ] && e=0
  { [ $(($3 + n)) -lt $so ] || [ $(($4 + e)) -lt $se ]; } && x=-
  o=0; [ "$x" != - ] && [ -n "$(ls -A "$2/output" 2>/dev/null)" ] && o=1
  printf '@T %s %s %s %s %s\n' "$1" "$x" "$n" "$e" "$o"
  part "$2/stdout.log" "$3" "$n"; part "$2/stderr.log" "$4" "$e"
}
)POLL";
  for (size_t pos; (pos = s.find("MAXB")) != std::string::npos;) s.replace(pos, 4, m);
  for (const auto& e : entries)
    s += "emit " + std::to_string(e.seq) + " " + ShellQuote(e.trial_dir) + " " + std::to_string(e.stdout_offset) +
         " " + std::to_string(e.stderr_offset) + "\n";
  return s;
}

std::string KillScript(const std::string& trial_dir, std::chrono::milliseconds grace) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", grace.count() / 1000.0);
  std::string s = "d=" + ShellQuote(trial_dir) + "\n[ -e \"$d/exit\" ] && exit 0\np=$(cat \"$d/pid\")\n";
  s += "kill -TERM -- \"-$p\" 2>/dev/null\n";
  s += "setsid sh -c 'sleep \"$1\"; [ -e \"$2/exit\" ] || kill -KILL -- \"-$3\" 2>/dev/null' hone-kill " +
       std::string(secs) + " \"$d\" \"$p\" </dev/null >/dev/null 2>&1 &\n";
  return s;
}

std::string AttachScript(const std::string& trial_dir) {
  // A group with no process left but no exit status yet may be a runner about to write
  // it: look again a moment later before calling the trial lost. Zombies do not count
  // (where nothing reaps the orphans of a dead runner, they stay).
  return "d=" + ShellQuote(trial_dir) + R"ATTACH(
[ -d "$d" ] || { echo gone; exit 0; }
p=-; [ -s "$d/pid" ] && p=$(cat "$d/pid")
x=-; [ -f "$d/exit" ] && x=$(cat "$d/exit")
alive() {
  if command -v ps >/dev/null; then ps -eo pgid=,stat= | awk -v p="$1" '$1 == p && $2 !~ /^Z/ {f = 1} END {exit !f}'
  else kill -0 -- "-$1" 2>/dev/null; fi
}
if [ "$x" = - ] && [ "$p" != - ] && ! alive "$p"; then
  sleep 1
  if [ -f "$d/exit" ]; then x=$(cat "$d/exit"); else x=lost; fi
fi
g=; [ -f "$d/devices" ] && g=$(cat "$d/devices")
printf '%s %s %s\n' "$p" "$x" "$g"
)ATTACH";
}

std::string OutputTarScript(const std::string& trial_dir, int64_t max_bytes) {
  return "o=" + ShellQuote(trial_dir + "/output") + "\nm=" + std::to_string(max_bytes) + R"TAR(
[ -d "$o" ] || exit 0
b=$(find "$o" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
if [ "$b" -gt "$m" ]; then echo "output/ holds $b bytes, past the limit of $m (trialCodeSizeLimit)" >&2; exit 5; fi
exec tar -C "$o" -cf - .
)TAR";
}

std::string GpuQueryScript(const std::string& path_prefix, bool count_processes) {
  std::string s;
  if (!path_prefix.empty()) s += "export PATH=" + ShellQuote(path_prefix) + ":\"$PATH\"\n";
  s += "command -v nvidia-smi >/dev/null || { echo 'no nvidia-smi on PATH' >&2; exit 6; }\n"
       "nvidia-smi --query-gpu=index,uuid,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits "
       "|| exit 7\n";
  if (count_processes)
    s += "echo @apps\nnvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader || exit 7\n";
  return s;
}

std::string ResolveDirScript(const std::string& dir) {
  std::string d = dir;
  std::string prefix;
  if (d == "~" || d.rfind("~/", 0) == 0) {
    prefix = "\"$HOME\"";
    d = d.substr(1);
  }
  std::string target = prefix + (d.empty() ? "" : ShellQuote(d));
  return "set -e\nmkdir -p " + target + "\ncd " + target + "\npwd\n";
}

}  // namespace hone
