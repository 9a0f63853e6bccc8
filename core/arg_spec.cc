#include "core/arg_spec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/config_keys.h"

namespace hone {
namespace {

std::string JoinPath(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string FormatBound(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// A kInt read as 64 bits and checked against [min, max], where an unset bound is that of
// an int: factories read kInt values as int, so 4294967297 would become 1. A `wide` spec
// (a seed, read as 64 bits by every tuner) takes the whole 64-bit range.
bool CheckInt(const ArgSpec& spec, const ConfigNode& value, const std::string& p, Diagnostics& diag) {
  auto v = value.AsInt();
  if (!v && !value.IsIntegerText()) {
    diag.Error(value.mark(), p, "expected an integer, but got " + value.Describe());
    return false;
  }
  const bool seed = spec.wide;
  long long lo = seed ? std::numeric_limits<long long>::min() : std::numeric_limits<int>::min();
  long long hi = seed ? std::numeric_limits<long long>::max() : std::numeric_limits<int>::max();
  if (spec.min && *spec.min > static_cast<double>(lo)) lo = static_cast<long long>(std::ceil(*spec.min));
  if (spec.max && *spec.max < static_cast<double>(hi)) hi = static_cast<long long>(std::floor(*spec.max));
  bool below = v ? *v < lo : value.scalar()[0] == '-';
  bool above = v ? *v > hi : !below;
  if (!below && !above) return true;
  if (below && spec.min && !spec.max)  // the declared bound, as for numbers
    diag.Error(value.mark(), p, "must be >= " + FormatBound(*spec.min) + ", but got " + value.scalar());
  else
    diag.Error(value.mark(), p,
               "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], but got " + value.scalar());
  return false;
}

// Whether `value` fits `spec`; reports why not.
bool CheckValue(const ArgSpec& spec, const ConfigNode& value, const std::string& p, Diagnostics& diag) {
  switch (spec.kind) {
    case ArgSpec::Kind::kInt: return CheckInt(spec, value, p, diag);
    case ArgSpec::Kind::kNumber: {
      std::optional<double> v = value.AsDouble();
      if (!v) {
        diag.Error(value.mark(), p, "expected a number, but got " + value.Describe());
        return false;
      }
      if ((spec.min && *v < *spec.min) || (spec.max && *v > *spec.max)) {
        std::ostringstream os;
        if (spec.min && spec.max) os << "must lie in [" << *spec.min << ", " << *spec.max << "]";
        else if (spec.min) os << "must be >= " << *spec.min;
        else os << "must be <= " << *spec.max;
        os << ", but got " << value.scalar();
        diag.Error(value.mark(), p, os.str());
        return false;
      }
      return true;
    }
    case ArgSpec::Kind::kBool:
      if (value.AsBool()) return true;
      diag.Error(value.mark(), p, "expected true or false, but got " + value.Describe());
      return false;
    case ArgSpec::Kind::kString:
      if (value.IsScalar()) return true;
      diag.Error(value.mark(), p, "expected a string, but got " + value.Describe());
      return false;
    case ArgSpec::Kind::kEnum: {
      std::string v = value.IsScalar() ? value.scalar() : "";
      if (std::find(spec.choices.begin(), spec.choices.end(), v) != spec.choices.end()) return true;
      std::string hint = value.IsScalar() ? DidYouMean(v, spec.choices) : "";
      diag.Error(value.mark(), p,
                 "expected one of {" + JoinNames(spec.choices) + "}, but got " +
                     (value.IsScalar() ? "'" + v + "'" : value.Describe()) +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      return false;
    }
    case ArgSpec::Kind::kAny: return true;
  }
  return true;
}

}  // namespace

ArgSpec MakeArg(std::string key, ArgSpec::Kind kind, std::optional<double> min, std::optional<double> max) {
  ArgSpec spec;
  spec.key = std::move(key);
  spec.kind = kind;
  spec.min = min;
  spec.max = max;
  return spec;
}

ArgSpec EnumArg(std::string key, std::vector<std::string> choices) {
  ArgSpec spec = MakeArg(std::move(key), ArgSpec::Kind::kEnum);
  spec.choices = std::move(choices);
  return spec;
}

ArgSpec OptimizeModeArg() { return EnumArg("optimize_mode", {"maximize", "minimize"}); }

ArgSpec SeedArg() {
  ArgSpec spec = MakeArg("seed", ArgSpec::Kind::kInt);
  spec.wide = true;
  return spec;
}

ArgSpec Required(ArgSpec spec) {
  spec.required = true;
  return spec;
}

void CheckArgs(const ConfigNode& given, const std::string& path, const std::vector<ArgSpec>& specs,
               Diagnostics& diag, nlohmann::json& out) {
  if (given.IsNull()) return;
  if (!given.IsMap()) {
    diag.Error(given.mark(), path, "expected a map of arguments, but got " + given.Describe());
    return;
  }
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.key);
  const bool any = std::any_of(specs.begin(), specs.end(), [](const ArgSpec& s) { return s.key == "*"; });
  // hone's own algorithms and platforms take their keys in any spelling (optimizeMode is
  // optimize_mode, as NNI treats config keys); a plugin gets its keys as written.
  ConfigNode canonical;
  const ConfigNode& args = any ? given : (canonical = CanonicalKeys(given, names, path, diag));
  // By index, not KeyMark(key): linear over maps with many keys.
  for (size_t i = 0; i < args.entries().size(); ++i) {
    const auto& [key, value] = args.entries()[i];
    std::string p = JoinPath(path, key);
    auto it = std::find_if(specs.begin(), specs.end(), [&](const ArgSpec& s) { return s.key == key; });
    if (it == specs.end() && any) {  // plugins: every key is theirs to judge
      out[key] = value.ToJson();
      continue;
    }
    if (it == specs.end()) {
      std::string hint = diag.full() ? "" : DidYouMeanKey(key, names);
      diag.Error(args.KeyMarkAt(i), p,
                 "unknown argument" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                     " (accepted: " + (names.empty() ? "none" : JoinNames(names)) + ")");
      continue;
    }
    if (value.IsNull() || !CheckValue(*it, value, p, diag)) continue;
    out[key] = it->kind == ArgSpec::Kind::kString || it->kind == ArgSpec::Kind::kEnum
                   ? nlohmann::json(value.scalar())
                   : value.ToJson();
  }
}

void CheckRequired(const ConfigNode* given, const SourceMark& where, const std::string& path,
                   const std::vector<ArgSpec>& specs, const std::string& owner, Diagnostics& diag) {
  for (const auto& spec : specs) {
    if (!spec.required) continue;
    const ConfigNode* v = nullptr;
    if (given && given->IsMap())
      for (const auto& [key, value] : given->entries())
        if (FoldKey(key) == FoldKey(spec.key)) v = &value;
    if (v && !v->IsNull()) continue;
    diag.Error(where, JoinPath(path, spec.key), "is required by " + owner + " (it has no default)");
  }
}

Status CheckArgsJson(const nlohmann::json& args, const std::string& path, const std::vector<ArgSpec>& specs) {
  Diagnostics diag;
  nlohmann::json out = nlohmann::json::object();
  CheckArgs(ConfigNode::FromJson(args), path, specs, diag, out);
  return diag.ToStatus();
}

}  // namespace hone
