#include "core/config_node.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace hone {
namespace {

SourceMark ToMark(const YAML::Mark& m, const std::string& file) {
  // yaml-cpp marks are 0-based.
  if (m.line < 0) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
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
      return ConfigNode::Scalar(node.Scalar(), node.Tag() == "!", mark);
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
        std::string key = kv.first.Scalar();
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
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diag.Error(ToMark(e.mark, file), "", "syntax error: " + e.msg);
    return std::nullopt;
  }
  return Convert(root, file, "", diag);
}

std::optional<ConfigNode> ConfigNode::ParseFile(const std::string& path, Diagnostics& diag,
                                                const SourceMark& referenced_from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    SourceMark where = referenced_from.file.empty() ? SourceMark{path, 0, 0} : referenced_from;
    diag.Error(where, "", "cannot read file '" + path + "': " + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path, diag);
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
  if (value.is_number_integer()) return Scalar(std::to_string(value.get<long long>()), false, mark);
  if (value.is_number()) {
    std::ostringstream os;
    os.precision(17);
    os << value.get<double>();
    return Scalar(os.str(), false, mark);
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
