// LineSplitter: cuts a byte stream (a trial's stdout) into lines while holding at most
// one bounded line in memory, however long the lines the trial writes.
//
//   LineSplitter s(/*max_line_bytes=*/4);
//   s.Feed("ab\ncdefgh", emit);  // emit("ab", false), emit("cdef", true)
//   s.Feed("ij\nk", emit);       // nothing: "ghij" is the dropped rest of the long line
//   s.Finish(emit);              // emit("k", false): the last line had no '\n'
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace hone {

class LineSplitter {
 public:
  // Receives each line without its '\n'; truncated when it was cut at the limit.
  using Emit = std::function<void(std::string_view line, bool truncated)>;

  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // A line longer than the limit is emitted once, cut to the limit, as soon as its
  // next byte arrives; the rest of it up to the '\n' is dropped.
  void Feed(std::string_view chunk, const Emit& emit);
  // Emits the unterminated last line, if any, and resets.
  void Finish(const Emit& emit);

 private:
  size_t max_line_bytes_;
  std::string partial_;
  bool discarding_ = false;  // inside the dropped rest of a truncated line
};

}  // namespace hone
