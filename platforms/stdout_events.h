// The stdout lines of a trial as platform events: what every platform hands LineSplitter.
//
//   splitter.Feed(bytes, StdoutLineEmitter(seq, &events));  // one kStdoutLine per line
#pragma once

#include <cstdint>
#include <vector>

#include "core/platform.h"
#include "trials/line_splitter.h"

namespace hone {

// Appends each line it receives to `out` as a kStdoutLine event of trial `seq`.
inline LineSplitter::Emit StdoutLineEmitter(int64_t seq, std::vector<PlatformEvent>* out) {
  return [seq, out](std::string_view line, bool truncated) {
    PlatformEvent e;
    e.kind = PlatformEvent::Kind::kStdoutLine;
    e.seq = seq;
    e.line.assign(line);
    e.truncated = truncated;
    out->push_back(std::move(e));
  };
}

}  // namespace hone
