// Diagnostics: config errors collected all at once, each with file:line:col and the key
// path, printed in the compiler format `exp.yaml:12:5: error: tuner.name: ...`.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

// A position in a config file; line and column are 1-based (0 = unknown).
struct SourceMark {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { kError, kNote };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceMark mark;
  std::string key_path;  // "tuner.classArgs.optimize_mode"; empty for file-level errors
  std::string message;

  // "file:line:col: error: key.path: message"
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(const SourceMark& mark, std::string key_path, std::string message);
  void Note(const SourceMark& mark, std::string key_path, std::string message);

  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  // All diagnostics, one per line, errors first in file order.
  std::string ToString() const;
  // kInvalidArgument carrying ToString() when there are errors, else Ok.
  Status ToStatus() const;

 private:
  std::vector<Diagnostic> items_;
};

// Levenshtein-based suggestion: the closest candidate within a small distance, or "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hone
