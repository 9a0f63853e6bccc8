// ProgressView: the foreground `hone run` display. On a terminal it keeps a live block
// (counts per state, best so far, elapsed vs budget) under the scrolling trial lines;
// otherwise it prints plain log lines only.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/progress.h"

namespace hone {

std::unique_ptr<ProgressSink> NewProgressView(std::FILE* out, bool terminal);

// "4 running, 10 succeeded, 1 failed"
std::string FormatCounts(const std::map<TrialStatus, int>& counts);
// "1m05s"
std::string FormatDuration(double seconds);

// The live block for a terminal `columns` wide: the summary line and the best-trial
// line, numbers at 6 significant digits, each cut to columns - 1 so that no line wraps
// (a wrapped line would throw off the cursor-up count of the next redraw).
std::vector<std::string> LiveBlock(const ProgressSnapshot& snapshot, int columns);

}  // namespace hone
