// TailBuffer: the last few kilobytes of a stream (a trial's stderr), for the reason shown
// when a trial fails ("exit code 1: Traceback ... ValueError: ...").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hone {

class TailBuffer {
 public:
  TailBuffer(size_t max_bytes, size_t max_lines) : max_bytes_(max_bytes), max_lines_(max_lines) {}

  void Append(std::string_view chunk);

  // At most max_lines lines and max_bytes bytes from the end, without the final '\n', as
  // valid UTF-8 (ill-formed bytes become U+FFFD).
  std::string Tail() const;

 private:
  size_t max_bytes_;
  size_t max_lines_;
  std::string buffer_;  // between max_bytes_ and 2 * max_bytes_ bytes once full
};

}  // namespace hone
