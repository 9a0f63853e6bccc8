#include "core/config_node.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <set>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "core/utf8.h"

namespace hone {
namespace {

SourceMark ToMark(const YAML::Mark& m, const std::string& file) {
  // yaml-cpp marks are 0-based.
  if (m.line < 0) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

// Checks what the tree would become before it is built. In yaml-cpp's graph an alias is
// the anchored node itself, so `x: &a [*a]` is a node inside itself (a cycle) and ten
// levels of ten aliases are 10^10 nodes in a few hundred bytes: both are reported at the
// node where they appear, with the key path that leads there.
class ExpansionCheck {
 public:
  ExpansionCheck(const std::string& file, Diagnostics& diag) : file_(file), diag_(diag) {}

  bool Walk(const YAML::Node& node) {
    SourceMark mark = ToMark(node.Mark(), file_);
    if (!CountNode(mark)) return false;
    if (ancestors_.size() >= kMaxConfigDepth)
      return Fail(mark, "the document nests deeper than " + std::to_string(kMaxConfigDepth) +
                            " levels (aliases included)" + Limits());
    if (OnPath(node))
      return Fail(mark, "alias cycle: the node anchored here contains an alias to itself, so it "
                        "would repeat forever");
    switch (node.Type()) {
      case YAML::NodeType::Scalar: return AddBytes(node.Scalar().size(), mark);
      case YAML::NodeType::Sequence: return WalkChildren(node, false);
      case YAML::NodeType::Map: return WalkChildren(node, true);
      default: return true;
    }
  }

 private:
  static std::string Limits() {
    return "; hone reads at most " + std::to_string(kMaxConfigNodes) + " nodes, " +
           std::to_string(kMaxConfigBytes >> 20) + " MiB of text and " + std::to_string(kMaxConfigDepth) +
           " levels per document";
  }

  bool WalkChildren(const YAML::Node& node, bool map) {
    Push(node);
    size_t i = 0;
    for (const auto& child : node) {
      if (!map) {
        segments_.push_back("[" + std::to_string(i++) + "]");
        if (!Walk(child)) return false;
        segments_.pop_back();
        continue;
      }
      // Convert reports a key that is not a scalar and never reads it: only counted here.
      SourceMark key_mark = ToMark(child.first.Mark(), file_);
      std::string key = child.first.IsScalar() ? child.first.Scalar() : std::string();
      if (!CountNode(key_mark) || !AddBytes(key.size(), key_mark)) return false;
      segments_.push_back(std::move(key));
      if (!Walk(child.second)) return false;
      segments_.pop_back();
    }
    Pop(node);
    return true;
  }

  bool CountNode(const SourceMark& mark) {
    if (++nodes_ <= kMaxConfigNodes) return true;
    return Fail(mark, "the document holds more than " + std::to_string(kMaxConfigNodes) +
                          " nodes once its aliases are repeated" + Limits());
  }

  bool AddBytes(size_t n, const SourceMark& mark) {
    bytes_ += n;
    if (bytes_ <= kMaxConfigBytes) return true;
    return Fail(mark, "the document holds more than " + std::to_string(kMaxConfigBytes >> 20) +
                          " MiB of text once its aliases are repeated" + Limits());
  }

  // Marks pre-filter the ancestors: only one at the same position can be the same node.
  bool OnPath(const YAML::Node& node) const {
    auto it = on_path_.find(node.Mark().pos);
    if (it == on_path_.end() || it->second == 0) return false;
    for (const auto& a : ancestors_)
      if (a.is(node)) return true;
    return false;
  }
  void Push(const YAML::Node& node) {
    ancestors_.push_back(node);
    ++on_path_[node.Mark().pos];
  }
  void Pop(const YAML::Node& node) {
    ancestors_.pop_back();
    --on_path_[node.Mark().pos];
  }

  bool Fail(const SourceMark& mark, const std::string& what) {
    std::string path;
    for (const auto& s : segments_) path += (path.empty() || s[0] == '[') ? s : "." + s;
    diag_.Error(mark, path, what);
    return false;
  }

  const std::string& file_;
  Diagnostics& diag_;
  size_t nodes_ = 0, bytes_ = 0;
  std::vector<YAML::Node> ancestors_;
  std::unordered_map<int, int> on_path_;  // mark position -> ancestors there
  std::vector<std::string> segments_;     // key path of the node being walked
};

// Records where a document starts and whether it holds anything but null.
class DocumentProbe : public YAML::EventHandler {
 public:
  YAML::Mark start;
  bool has_content = false;

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { has_content = true; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {
    has_content = true;
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    has_content = true;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    has_content = true;
  }
  void OnMapEnd() override {}
};

// Config text must be UTF-8 without the control characters YAML forbids (yaml-cpp turns a
// NUL inside a scalar into bytes that are not UTF-8): names and values end up in JSON,
// the database and the web UI. The first bad byte is reported at its line and column.
bool CheckUtf8(const std::string& text, const std::string& file, Diagnostics& diag) {
  int line = 1, column = 1;
  for (size_t pos = 0; pos < text.size();) {
    size_t n = Utf8SequenceLength(text, pos);
    if (n == 0) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[pos]));
      diag.Error(SourceMark{file, line, column}, "",
                 std::string("the file must be UTF-8 text, but byte ") + byte + " here is not part of a UTF-8 character");
      return false;
    }
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", c);
      diag.Error(SourceMark{file, line, column}, "",
                 std::string("control character ") + byte + " is not allowed in YAML text");
      return false;
    }
    if (text[pos] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    pos += n;
  }
  return true;
}

// YAML::Load reads the first document only; a later one with content would be dropped
// without a word, so it is an error at its `---`. An empty trailing `---` is harmless.
void CheckSingleDocument(const std::string& text, const std::string& file, Diagnostics& diag) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentProbe first;
  if (!parser.HandleNextDocument(first)) return;
  // yaml-cpp can hand back the same empty document forever (text such as ","): a
  // document that does not move past the previous one ends the check.
  int last = first.start.pos;
  for (;;) {
    DocumentProbe next;
    if (!parser.HandleNextDocument(next)) return;
    if (next.start.pos <= last) return;
    last = next.start.pos;
    if (!next.has_content) continue;
    diag.Error(ToMark(next.start, file), "",
               "a second YAML document starts here; a config file holds one document (remove the "
               "'---' and merge the keys, or put the second experiment in its own file)");
    return;
  }
}

// yaml-cpp decodes the escapes \N and \_ of double-quoted scalars into the single bytes
// 0x85 and 0xA0 rather than the UTF-8 of U+0085 and U+00A0. The text was checked to be
// UTF-8 (CheckUtf8), so a byte of a scalar that is not part of a UTF-8 character came
// from such an escape: it is the code point of its value.
std::string Decoded(const std::string& scalar) {
  if (IsValidUtf8(scalar)) return scalar;
  std::string out;
  for (size_t pos = 0; pos < scalar.size();) {
    size_t n = Utf8SequenceLength(scalar, pos);
    if (n == 0) {
      AppendUtf8(&out, static_cast<unsigned char>(scalar[pos]));
      ++pos;
    } else {
      out.append(scalar, pos, n);
      pos += n;
    }
  }
  return out;
}

ConfigNode Convert(const YAML::Node& node, const std::string& file, const std::string& path,
                   Diagnostics& diag) {
  SourceMark mark = ToMark(node.Mark(), file);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return ConfigNode::Null(mark);
    case YAML::NodeType::Scalar:
      // Tag "!" marks a quoted scalar; plain scalars have tag "?".
      return ConfigNode::Scalar(Decoded(node.Scalar()), node.Tag() == "!", mark);
    case YAML::NodeType::Sequence: {
      std::vector<ConfigNode> items;
      int i = 0;
      for (const auto& child : node) {
        items.push_back(Convert(child, file, path + "[" + std::to_string(i) + "]", diag));
        ++i;
      }
      return ConfigNode::Sequence(std::move(items), mark);
    }
    case YAML::NodeType::Map: {
      std::vector<std::pair<std::string, ConfigNode>> entries;
      std::vector<SourceMark> key_marks;
      std::set<std::string> seen;
      for (const auto& kv : node) {
        SourceMark key_mark = ToMark(kv.first.Mark(), file);
        if (!kv.first.IsScalar()) {
          diag.Error(key_mark, path, "map keys must be plain strings");
          continue;
        }
        std::string key = Decoded(kv.first.Scalar());
        std::string child_path = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) {
          diag.Error(key_mark, child_path, "duplicate key (each key may appear once per map)");
          continue;
        }
        entries.emplace_back(key, Convert(kv.second, file, child_path, diag));
        key_marks.push_back(key_mark);
      }
      return ConfigNode::Map(std::move(entries), std::move(key_marks), mark);
    }
  }
  return ConfigNode::Null(mark);
}

bool IsNullWord(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

}  // namespace

std::string ConfigNode::Describe() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kSequence: return "a list";
    case Kind::kMap: return "a map";
    case Kind::kScalar:
      if (!quoted_ && AsInt()) return "the integer " + scalar_;
      if (!quoted_ && AsDouble()) return "the number " + scalar_;
      if (!quoted_ && AsBool()) return "the boolean " + scalar_;
      return "the string '" + scalar_ + "'";
  }
  return "?";
}

std::optional<double> ConfigNode::AsDouble() const {
  if (kind_ != Kind::kScalar || quoted_ || scalar_.empty()) return std::nullopt;
  const std::string& s = scalar_;
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return INFINITY;
  if (s == "-.inf" || s == "-.Inf") return -INFINITY;
  if (s == ".nan" || s == ".NaN") return NAN;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  // strtod accepts "inf", "nan" and hex; YAML does not treat them as numbers.
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
          c == '+' || c == '-'))
      return std::nullopt;
  }
  return v;
}

std::optional<long long> ConfigNode::AsInt() const {
  if (kind_ != Kind::kScalar || quoted_ || scalar_.empty()) return std::nullopt;
  long long v = 0;
  const char* b = scalar_.data();
  const char* e = b + scalar_.size();
  if (*b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e) return std::nullopt;
  return v;
}

bool ConfigNode::IsIntegerText() const {
  if (kind_ != Kind::kScalar || quoted_ || scalar_.empty()) return false;
  size_t i = scalar_[0] == '+' || scalar_[0] == '-' ? 1 : 0;
  if (i == scalar_.size()) return false;
  for (; i < scalar_.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(scalar_[i]))) return false;
  return true;
}

std::optional<bool> ConfigNode::AsBool() const {
  if (kind_ != Kind::kScalar || quoted_) return std::nullopt;
  if (scalar_ == "true" || scalar_ == "True" || scalar_ == "TRUE") return true;
  if (scalar_ == "false" || scalar_ == "False" || scalar_ == "FALSE") return false;
  return std::nullopt;
}

const ConfigNode* ConfigNode::Find(const std::string& key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

SourceMark ConfigNode::KeyMarkAt(size_t i) const {
  return i < key_marks_.size() ? key_marks_[i] : entries_[i].second.mark();
}

SourceMark ConfigNode::KeyMark(const std::string& key) const {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].first == key) return i < key_marks_.size() ? key_marks_[i] : entries_[i].second.mark();
  return mark_;
}

nlohmann::json ConfigNode::ToJson() const {
  switch (kind_) {
    case Kind::kNull: return nullptr;
    case Kind::kScalar:
      if (!quoted_) {
        if (auto i = AsInt()) return *i;
        if (auto d = AsDouble()) return *d;
        if (auto b = AsBool()) return *b;
        if (IsNullWord(scalar_)) return nullptr;
      }
      return scalar_;
    case Kind::kSequence: {
      auto arr = nlohmann::json::array();
      for (const auto& i : items_) arr.push_back(i.ToJson());
      return arr;
    }
    case Kind::kMap: {
      auto obj = nlohmann::json::object();
      for (const auto& [k, v] : entries_) obj[k] = v.ToJson();
      return obj;
    }
  }
  return nullptr;
}

std::optional<ConfigNode> ConfigNode::Parse(const std::string& text, const std::string& file,
                                            Diagnostics& diag) {
  if (!CheckUtf8(text, file, diag)) return std::nullopt;
  YAML::Node root;
  try {
    root = YAML::Load(text);
    CheckSingleDocument(text, file, diag);
  } catch (const YAML::Exception& e) {  // in the first document, or in a later one
    diag.Error(ToMark(e.mark, file), "", "syntax error: " + e.msg);
    return std::nullopt;
  }
  if (!ExpansionCheck(file, diag).Walk(root)) return std::nullopt;
  return Convert(root, file, "", diag);
}

std::optional<ConfigNode> ConfigNode::ParseFile(const std::string& path, Diagnostics& diag,
                                                const SourceMark& referenced_from) {
  StatusOr<std::string> text = ReadConfigFile(path);
  if (!text.ok()) {
    SourceMark where = referenced_from.file.empty() ? SourceMark{path, 0, 0} : referenced_from;
    diag.Error(where, "", text.status().message());
    return std::nullopt;
  }
  return Parse(*text, path, diag);
}

StatusOr<std::string> ReadConfigFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot read file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IoError("cannot read file '" + path + "': " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      ::close(fd);
      return InvalidArgument("file '" + path + "' is larger than 64 MiB; hone reads configs of at most 64 MiB");
    }
  }
  ::close(fd);
  return text;
}

ConfigNode ConfigNode::Null(SourceMark mark) {
  ConfigNode n;
  n.mark_ = std::move(mark);
  return n;
}

ConfigNode ConfigNode::Scalar(std::string value, bool quoted, SourceMark mark) {
  ConfigNode n;
  n.kind_ = IsNullWord(value) && !quoted ? Kind::kNull : Kind::kScalar;
  n.scalar_ = std::move(value);
  n.quoted_ = quoted;
  n.mark_ = std::move(mark);
  return n;
}

ConfigNode ConfigNode::Sequence(std::vector<ConfigNode> items, SourceMark mark) {
  ConfigNode n;
  n.kind_ = Kind::kSequence;
  n.items_ = std::move(items);
  n.mark_ = std::move(mark);
  return n;
}

ConfigNode ConfigNode::Map(std::vector<std::pair<std::string, ConfigNode>> entries,
                           std::vector<SourceMark> key_marks, SourceMark mark) {
  ConfigNode n;
  n.kind_ = Kind::kMap;
  n.entries_ = std::move(entries);
  n.key_marks_ = std::move(key_marks);
  n.mark_ = std::move(mark);
  return n;
}

ConfigNode ConfigNode::FromJson(const nlohmann::json& value, const std::string& file) {
  SourceMark mark{file, 0, 0};
  if (value.is_null()) return Null(mark);
  if (value.is_string()) return Scalar(value.get<std::string>(), true, mark);
  if (value.is_boolean()) return Scalar(value.get<bool>() ? "true" : "false", false, mark);
  // Unsigned first: a value past 2^63 keeps its digits, for range checks to name it.
  if (value.is_number_unsigned()) return Scalar(std::to_string(value.get<unsigned long long>()), false, mark);
  if (value.is_number_integer()) return Scalar(std::to_string(value.get<long long>()), false, mark);
  if (value.is_number()) {
    std::ostringstream os;
    os.precision(17);
    os << value.get<double>();
    std::string text = os.str();
    // A float stays a float (8.0, not 8): a choice may hold both 8 and 8.0.
    if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
    return Scalar(text, false, mark);
  }
  if (value.is_array()) {
    std::vector<ConfigNode> items;
    for (const auto& v : value) items.push_back(FromJson(v, file));
    return Sequence(std::move(items), mark);
  }
  std::vector<std::pair<std::string, ConfigNode>> entries;
  std::vector<SourceMark> marks;
  for (const auto& [k, v] : value.items()) {
    entries.emplace_back(k, FromJson(v, file));
    marks.push_back(mark);
  }
  return Map(std::move(entries), std::move(marks), mark);
}

}  // namespace hone
