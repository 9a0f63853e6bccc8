#include "core/diagnostics.h"

#include <algorithm>
#include <cctype>

namespace hone {

std::string Diagnostic::ToString() const {
  std::string out = mark.file.empty() ? std::string("<input>") : mark.file;
  if (mark.line > 0) {
    out += ":" + std::to_string(mark.line);
    if (mark.column > 0) out += ":" + std::to_string(mark.column);
  }
  out += severity == Severity::kError ? ": error: " : ": note: ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

void Diagnostics::Error(const SourceMark& mark, std::string key_path, std::string message) {
  if (errors_++ < kMaxKept) items_.push_back({Severity::kError, mark, std::move(key_path), std::move(message)});
}

void Diagnostics::Note(const SourceMark& mark, std::string key_path, std::string message) {
  if (notes_++ < kMaxKept) items_.push_back({Severity::kNote, mark, std::move(key_path), std::move(message)});
}

std::string Diagnostics::ToString() const {
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    if (a->severity != b->severity) return a->severity == Severity::kError;
    if (a->mark.file != b->mark.file) return a->mark.file < b->mark.file;
    if (a->mark.line != b->mark.line) return a->mark.line < b->mark.line;
    return a->mark.column < b->mark.column;
  });
  std::string out;
  size_t kept_errors = std::min(errors_, kMaxKept);
  for (size_t i = 0; i < sorted.size(); ++i) {
    out += sorted[i]->ToString();
    out += '\n';
    if (i + 1 == kept_errors && errors_ > kMaxKept) {
      // Named after the last kept error's file, so that the line reads like the others.
      Diagnostic more{Severity::kError, {sorted[i]->mark.file, 0, 0}, "",
                      std::to_string(errors_ - kMaxKept) + " more errors not shown (hone lists the first " +
                          std::to_string(kMaxKept) + ")"};
      out += more.ToString() + '\n';
    }
  }
  return out;
}

Status Diagnostics::ToStatus() const {
  if (!has_errors()) return Status::Ok();
  std::string text = ToString();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return InvalidArgument(std::move(text));
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  constexpr size_t kMaxWord = 64;
  std::string best;
  if (word.size() > kMaxWord) return best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // The distance is at least the difference in length.
    size_t gap = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (gap >= best_distance) continue;
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace hone
