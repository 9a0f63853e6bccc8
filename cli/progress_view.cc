#include "cli/progress_view.h"

#include <chrono>
#include <cmath>
#include <sstream>

#include "cli/human_format.h"

namespace hone {

std::string FormatCounts(const std::map<TrialStatus, int>& counts) {
  std::string out;
  for (TrialStatus s : {TrialStatus::kRunning, TrialStatus::kWaiting, TrialStatus::kSucceeded,
                        TrialStatus::kFailed, TrialStatus::kEarlyStopped, TrialStatus::kTimeout,
                        TrialStatus::kCanceled, TrialStatus::kLost}) {
    auto it = counts.find(s);
    if (it == counts.end() || it->second == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(it->second) + " " + std::string(TrialStatusName(s));
  }
  return out.empty() ? "no trials yet" : out;
}

std::string FormatDuration(double seconds) {
  long s = std::lround(seconds);
  std::ostringstream os;
  if (s >= 3600) os << s / 3600 << "h" << (s % 3600) / 60 << "m";
  else if (s >= 60) os << s / 60 << "m" << (s % 60 < 10 ? "0" : "") << s % 60 << "s";
  else os << s << "s";
  return os.str();
}

namespace {

std::string Summary(const ProgressSnapshot& s) {
  std::ostringstream os;
  os << "trials " << s.configs_created;
  if (s.max_trial_number) os << "/" << *s.max_trial_number;
  os << " | " << FormatCounts(s.counts) << " | elapsed " << FormatDuration(s.elapsed_s);
  if (s.max_duration_s) os << "/" << FormatDuration(*s.max_duration_s);
  if (!s.waiting_reason.empty()) os << " | " << s.waiting_reason;
  return os.str();
}

std::string Best(const ProgressSnapshot& s) {
  if (!s.best) return "best: none yet (" + std::string(OptimizeModeName(s.mode)) + ")";
  return "best: trial " + s.best->id + " = " + FormatNumber(*s.best->final_value) + " (" +
         std::string(OptimizeModeName(s.mode)) + ") " + FormatParams(s.best->params);
}

}  // namespace

std::vector<std::string> LiveBlock(const ProgressSnapshot& s, int columns) {
  // One column spare: some terminals wrap as soon as the last column is written.
  return {FitWidth(Summary(s), columns - 1), FitWidth(Best(s), columns - 1)};
}

namespace {

class TerminalView : public ProgressSink {
 public:
  explicit TerminalView(std::FILE* out) : out_(out) {}
  ~TerminalView() override { std::fflush(out_); }

  void OnLine(const std::string& line) override {
    Clear();
    std::fprintf(out_, "%s\n", line.c_str());
    Draw();
  }
  void OnSnapshot(const ProgressSnapshot& s) override {
    // The width is read at each redraw: the user may have resized the window.
    block_ = LiveBlock(s, TerminalColumns(fileno(out_)));
    Clear();
    Draw();
  }

 private:
  void Clear() {
    // Move up over the block and erase it.
    for (int i = 0; i < drawn_; ++i) std::fputs("\x1b[1A\x1b[2K", out_);
    drawn_ = 0;
  }
  void Draw() {
    for (const auto& l : block_) std::fprintf(out_, "\x1b[1m%s\x1b[0m\n", l.c_str());
    drawn_ = static_cast<int>(block_.size());
    std::fflush(out_);
  }
  std::FILE* out_;
  std::vector<std::string> block_;
  int drawn_ = 0;
};

class PlainView : public ProgressSink {
 public:
  explicit PlainView(std::FILE* out) : out_(out) {}
  void OnLine(const std::string& line) override {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
  void OnSnapshot(const ProgressSnapshot& s) override {
    // A status line every few seconds keeps logs readable.
    auto now = std::chrono::steady_clock::now();
    if (printed_ && now - last_ < std::chrono::seconds(5)) return;
    printed_ = true;
    last_ = now;
    std::fprintf(out_, "%s | %s\n", Summary(s).c_str(), Best(s).c_str());  // a log line: never cut
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace

std::unique_ptr<ProgressSink> NewProgressView(std::FILE* out, bool terminal) {
  if (terminal) return std::make_unique<TerminalView>(out);
  return std::make_unique<PlainView>(out);
}

}  // namespace hone
