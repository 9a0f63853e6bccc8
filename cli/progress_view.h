// ProgressView: the foreground `hone run` display. On a terminal it keeps a live block
// (counts per state, best so far, elapsed vs budget) under the scrolling trial lines;
// otherwise it prints plain log lines only.
#pragma once

#include <cstdio>
#include <memory>

#include "core/progress.h"

namespace hone {

std::unique_ptr<ProgressSink> NewProgressView(std::FILE* out, bool terminal);

// "4 running, 10 succeeded, 1 failed"
std::string FormatCounts(const std::map<TrialStatus, int>& counts);
// "1m05s"
std::string FormatDuration(double seconds);

}  // namespace hone
