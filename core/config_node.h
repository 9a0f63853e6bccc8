// ConfigNode: a YAML or JSON document as a tree that remembers where every node came
// from, so that every config error can say file:line:col. Duplicate keys, alias cycles,
// documents past the limits below and a second document in a file are errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/diagnostics.h"
#include "core/status.h"

namespace hone {

// What one config document may hold once its aliases are repeated (`*a` stands for the
// whole node anchored `&a`): beyond these Parse reports an error at the node where the
// limit was crossed instead of building the tree. A file past kMaxConfigBytes is not read.
inline constexpr size_t kMaxConfigNodes = 1'000'000;     // nodes, map keys included
inline constexpr size_t kMaxConfigBytes = 64u << 20;     // bytes of scalars and keys (64 MiB)
inline constexpr size_t kMaxConfigDepth = 256;           // levels of nesting

class ConfigNode {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }
  const SourceMark& mark() const { return mark_; }
  // "a map", "a list", "a string", "a number": for messages.
  std::string Describe() const;

  // Scalars. `quoted` scalars are always strings; plain ones may be numbers/bools.
  const std::string& scalar() const { return scalar_; }
  bool quoted() const { return quoted_; }
  std::optional<double> AsDouble() const;
  std::optional<long long> AsInt() const;
  // Whether a plain scalar is written as an integer ([+-]digits), even one that does not
  // fit in 64 bits (AsInt is nullopt for those): lets range errors name such values.
  bool IsIntegerText() const;
  std::optional<bool> AsBool() const;

  const std::vector<ConfigNode>& items() const { return items_; }
  const std::vector<std::pair<std::string, ConfigNode>>& entries() const { return entries_; }
  const ConfigNode* Find(const std::string& key) const;
  // Mark of a map key (for "unknown key" errors); the value's mark when unknown.
  SourceMark KeyMark(const std::string& key) const;
  // Mark of the key of entries()[i] (no search: cheap over maps with many keys).
  SourceMark KeyMarkAt(size_t i) const;

  // Plain JSON value: plain scalars become numbers/bools/null where they parse so.
  nlohmann::json ToJson() const;

  // Parses YAML (JSON is accepted too): one document per text. Syntax errors, alias
  // cycles, documents past the limits above and a second document go to `diag`; returns
  // nullopt when no tree could be built (duplicate keys still give one).
  static std::optional<ConfigNode> Parse(const std::string& text, const std::string& file,
                                         Diagnostics& diag);
  // Reads `path` (ReadConfigFile) and parses it; a read error is reported at
  // `referenced_from` when given.
  static std::optional<ConfigNode> ParseFile(const std::string& path, Diagnostics& diag,
                                             const SourceMark& referenced_from = {});

  // Building by hand (used by the YAML walker and by tests).
  static ConfigNode Null(SourceMark mark);
  static ConfigNode Scalar(std::string value, bool quoted, SourceMark mark);
  static ConfigNode Sequence(std::vector<ConfigNode> items, SourceMark mark);
  static ConfigNode Map(std::vector<std::pair<std::string, ConfigNode>> entries,
                        std::vector<SourceMark> key_marks, SourceMark mark);
  // From JSON (no source positions): lets tools hand a search space over as JSON.
  static ConfigNode FromJson(const nlohmann::json& value, const std::string& file = "");

 private:
  Kind kind_ = Kind::kNull;
  SourceMark mark_;
  std::string scalar_;
  bool quoted_ = false;
  std::vector<ConfigNode> items_;
  std::vector<std::pair<std::string, ConfigNode>> entries_;
  std::vector<SourceMark> key_marks_;
};

// The whole text of a config file. A read error (EIO from /proc/self/mem, a directory)
// or a file over kMaxConfigBytes is a kIo / kInvalidArgument Status whose message says
// why ("cannot read file 'x': Input/output error"), never a short or empty text.
StatusOr<std::string> ReadConfigFile(const std::string& path);

}  // namespace hone
