#include "trials/line_splitter.h"

namespace hone {

void LineSplitter::Feed(std::string_view chunk, const Emit& emit) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    if (discarding_) {
      if (newline == std::string_view::npos) return;
      discarding_ = false;
      chunk.remove_prefix(newline + 1);
      continue;
    }
    std::string_view piece = chunk.substr(0, newline);
    if (partial_.empty() && newline != std::string_view::npos && piece.size() <= max_line_bytes_) {
      emit(piece, false);  // the common case: no copy
      chunk.remove_prefix(newline + 1);
      continue;
    }
    size_t room = max_line_bytes_ - partial_.size();
    if (piece.size() > room) {
      partial_.append(piece.substr(0, room));
      emit(partial_, true);
      partial_.clear();
      if (newline == std::string_view::npos) {
        discarding_ = true;
        return;
      }
      chunk.remove_prefix(newline + 1);
      continue;
    }
    partial_.append(piece);
    if (newline == std::string_view::npos) return;
    emit(partial_, false);
    partial_.clear();
    chunk.remove_prefix(newline + 1);
  }
}

void LineSplitter::Finish(const Emit& emit) {
  if (!partial_.empty()) emit(partial_, false);
  partial_.clear();
  discarding_ = false;
}

}  // namespace hone
