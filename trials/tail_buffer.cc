#include "trials/tail_buffer.h"

#include "core/utf8.h"

namespace hone {

void TailBuffer::Append(std::string_view chunk) {
  if (chunk.size() >= max_bytes_) {
    buffer_.assign(chunk.substr(chunk.size() - max_bytes_));
    return;
  }
  buffer_.append(chunk);
  // Trimming only past twice the size keeps appends amortized O(chunk).
  if (buffer_.size() > 2 * max_bytes_) buffer_.erase(0, buffer_.size() - max_bytes_);
}

std::string TailBuffer::Tail() const {
  std::string_view view = buffer_;
  if (view.size() > max_bytes_) view.remove_prefix(view.size() - max_bytes_);
  while (!view.empty() && view.back() == '\n') view.remove_suffix(1);
  // Walk back over max_lines_ newlines: what follows the last one walked is the tail.
  size_t start = view.size();
  size_t pos = view.size();
  for (size_t lines = 0; lines < max_lines_; ++lines) {
    size_t newline = pos == 0 ? std::string_view::npos : view.rfind('\n', pos - 1);
    if (newline == std::string_view::npos) {
      start = 0;
      break;
    }
    start = newline + 1;
    pos = newline;
  }
  view.remove_prefix(start);
  // A cut through a multi-byte character leaves continuation bytes in front.
  while (!view.empty() && (static_cast<unsigned char>(view.front()) & 0xC0) == 0x80) {
    view.remove_prefix(1);
  }
  return ToValidUtf8(view);
}

}  // namespace hone
