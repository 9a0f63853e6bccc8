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

// Keeps the first kMaxKept errors and the first kMaxKept notes; later ones are only
// counted, and ToString ends with one line "<file>: error: N more errors not shown ...".
// So a config of 100,000 unknown keys gives 101 lines, not 100,000.
class Diagnostics {
 public:
  static constexpr size_t kMaxKept = 100;

  void Error(const SourceMark& mark, std::string key_path, std::string message);
  void Note(const SourceMark& mark, std::string key_path, std::string message);

  bool has_errors() const { return errors_ > 0; }
  // Whether further errors are only counted (callers skip costly hints then).
  bool full() const { return errors_ >= kMaxKept; }
  size_t error_count() const { return errors_; }  // kept and dropped
  // The kept diagnostics, in the order they were reported.
  const std::vector<Diagnostic>& all() const { return items_; }
  // The kept diagnostics, one per line, errors first in file order, then the count of
  // dropped errors.
  std::string ToString() const;
  // kInvalidArgument carrying ToString() when there are errors, else Ok.
  Status ToStatus() const;

 private:
  std::vector<Diagnostic> items_;
  size_t errors_ = 0, notes_ = 0;
};

// Levenshtein-based suggestion: the closest candidate within a small distance, or "".
// Bounded: words over 64 characters get none, and candidates whose length alone puts
// them out of reach are skipped, so a call costs at most |candidates| * 64 * 64 steps.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hone
