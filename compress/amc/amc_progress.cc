#include "compress/amc/amc_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace hone::compress {
namespace {

// Columns of the terminal behind `fd` (80 when unknown).
size_t TerminalColumns(int fd) {
  winsize w{};
  if (ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

}  // namespace

std::string CompactPolicy(const std::vector<double>& keeps) {
  std::string out;
  for (double k : keeps) {
    if (!out.empty()) out += ' ';
    out += std::to_string(static_cast<int>(std::lround(100 * k)));
  }
  return out;
}

AmcProgress::AmcProgress(std::FILE* out, int episodes, int64_t dense_flops)
    : out_(out),
      live_(out != nullptr && isatty(fileno(out))),
      episodes_(episodes),
      dense_flops_(static_cast<double>(std::max<int64_t>(1, dense_flops))) {}

std::string AmcProgress::Line(const AmcEpisode& e) const {
  char head[160];
  std::snprintf(head, sizeof head, "amc episode %d/%d reward %.4f best %.4f (episode %d) FLOPs %.3f keep ",
                e.episode + 1, episodes_, e.reward, best_reward_, best_episode_ + 1,
                static_cast<double>(e.flops) / dense_flops_);
  return head + CompactPolicy(e.keeps);
}

void AmcProgress::Episode(const AmcEpisode& e) {
  if (best_episode_ < 0 || e.reward > best_reward_) {
    best_reward_ = e.reward;
    best_episode_ = e.episode;
  }
  if (out_ == nullptr) return;
  std::string line = Line(e);
  if (live_) {
    const size_t columns = TerminalColumns(fileno(out_));
    if (line.size() >= columns) line = line.substr(0, columns > 4 ? columns - 4 : 0) + "...";
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void AmcProgress::Finish() {
  if (!open_) return;
  std::fprintf(out_, "\n");
  std::fflush(out_);
  open_ = false;
}

}  // namespace hone::compress
