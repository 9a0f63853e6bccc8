#include "core/search_space.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/number_format.h"

namespace hone {
namespace {

struct TypeInfo {
  ParamType type;
  std::string_view name;
};
constexpr TypeInfo kTypes[] = {
    {ParamType::kChoice, "choice"},           {ParamType::kRandint, "randint"},
    {ParamType::kUniform, "uniform"},         {ParamType::kQuniform, "quniform"},
    {ParamType::kLoguniform, "loguniform"},   {ParamType::kQloguniform, "qloguniform"},
    {ParamType::kNormal, "normal"},           {ParamType::kQnormal, "qnormal"},
    {ParamType::kLognormal, "lognormal"},     {ParamType::kQlognormal, "qlognormal"},
};

bool IsNestedOption(const ConfigNode& n) { return n.IsMap() && n.Find("_name") != nullptr; }

void ParseChoice(const ConfigNode& value, const std::string& path, ParamSpec& spec,
                 Diagnostics& diag) {
  if (value.items().empty()) {
    diag.Error(value.mark(), path + "._value", "choice needs at least one option, but got an empty list");
    return;
  }
  bool any_nested = false, all_nested = true;
  for (const auto& item : value.items()) {
    bool nested = IsNestedOption(item);
    any_nested |= nested;
    all_nested &= nested;
  }
  if (any_nested && !all_nested) {
    diag.Error(value.mark(), path + "._value",
               "a nested choice needs every option to be a map with '_name', but some options are not");
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < value.items().size(); ++i) {
    const ConfigNode& item = value.items()[i];
    std::string item_path = path + "._value[" + std::to_string(i) + "]";
    if (all_nested) {
      const ConfigNode* name = item.Find("_name");
      if (!name->IsScalar()) {
        diag.Error(name->mark(), item_path + "._name", "must be a string or number, but got " + name->Describe());
        continue;
      }
      if (name->ToJson().is_number_float() && !std::isfinite(name->ToJson().get<double>())) {
        diag.Error(name->mark(), item_path + "._name", "must be finite, but got " + name->scalar());
        continue;
      }
      if (!seen.insert(name->ToJson().dump()).second) {
        diag.Error(name->mark(), item_path + "._name", "duplicate nested choice option " + name->ToJson().dump());
        continue;
      }
      std::vector<std::pair<std::string, ConfigNode>> rest;
      std::vector<SourceMark> marks;
      for (size_t j = 0; j < item.entries().size(); ++j) {
        const auto& [k, v] = item.entries()[j];
        if (k == "_name") continue;
        rest.emplace_back(k, v);
        marks.push_back(item.KeyMarkAt(j));
      }
      ConfigNode sub_node = ConfigNode::Map(std::move(rest), std::move(marks), item.mark());
      auto sub = SearchSpace::Parse(sub_node, item_path, diag);
      spec.options.push_back(name->ToJson());
      spec.nested.push_back(sub ? std::move(*sub) : SearchSpace());
      continue;
    }
    // null is an option too (NNI's tuners hand it to the trial as None).
    if (!item.IsScalar() && !item.IsNull()) {
      diag.Error(item.mark(), item_path,
                 "choice options must be numbers, strings, booleans or null (or maps with '_name' for a nested "
                 "choice), but got " + item.Describe());
      continue;
    }
    nlohmann::json v = item.ToJson();
    if (v.is_number_float() && !std::isfinite(v.get<double>())) {
      diag.Error(item.mark(), item_path,
                 "choice options must be finite (JSON, where search spaces are stored, has no infinity or NaN), "
                 "but got " + item.scalar());
      continue;
    }
    if (!seen.insert(v.dump()).second) {
      diag.Error(item.mark(), item_path, "duplicate choice option " + v.dump());
      continue;
    }
    spec.options.push_back(std::move(v));
  }
}

}  // namespace

std::string_view ParamTypeName(ParamType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "?";
}

std::optional<ParamType> ParseParamType(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return t.type;
  return std::nullopt;
}

bool IsNormalKind(ParamType t) {
  return t == ParamType::kNormal || t == ParamType::kQnormal || t == ParamType::kLognormal ||
         t == ParamType::kQlognormal;
}
bool IsLogKind(ParamType t) {
  return t == ParamType::kLoguniform || t == ParamType::kQloguniform ||
         t == ParamType::kLognormal || t == ParamType::kQlognormal;
}
bool IsQuantized(ParamType t) {
  return t == ParamType::kQuniform || t == ParamType::kQloguniform || t == ParamType::kQnormal ||
         t == ParamType::kQlognormal;
}

double QRound(double x, double q) { return std::nearbyint(x / q) * q; }

std::optional<double> ParamSpec::DiscreteCount() const {
  switch (type) {
    case ParamType::kChoice: return static_cast<double>(options.size());
    case ParamType::kRandint: return b - a;
    case ParamType::kQuniform:
    case ParamType::kQloguniform: {
      // Distinct values of clip(round(x/q)*q, low, high) for x in [low, high]; round(x/q)
      // takes every integer from round(low/q) to round(high/q), and no other, so low and
      // high themselves count only when one of those multiples clips onto them.
      std::set<double> values;
      double lo = std::nearbyint(a / q), hi = std::nearbyint(b / q);
      if (hi - lo > 1e6) return std::nullopt;
      for (double k = lo; k <= hi; k += 1) values.insert(std::clamp(k * q, a, b));
      return static_cast<double>(values.size());
    }
    default: return std::nullopt;
  }
}

nlohmann::json ParamSpec::Finish(double raw) const {
  switch (type) {
    case ParamType::kRandint: return static_cast<long long>(std::floor(raw));
    case ParamType::kUniform:
    case ParamType::kLoguniform: return std::clamp(raw, a, b);
    case ParamType::kQuniform:
    case ParamType::kQloguniform: return std::clamp(QRound(raw, q), a, b);
    case ParamType::kNormal:
    case ParamType::kLognormal: return raw;
    case ParamType::kQnormal:
    case ParamType::kQlognormal: return QRound(raw, q);
    case ParamType::kChoice: break;
  }
  return raw;
}

namespace {

// The parameter's type when its spec is a map with a known `_type` and a list `_value`;
// nullopt (after reporting why) otherwise. Unknown keys are reported and clear `clean`
// but do not stop the rest from being checked.
std::optional<ParamType> CheckSpecShape(const ConfigNode& spec_node, const std::string& p, Diagnostics& diag,
                                        bool& clean) {
  if (!spec_node.IsMap()) {
    diag.Error(spec_node.mark(), p, "expected a map with '_type' and '_value', but got " + spec_node.Describe());
    return std::nullopt;
  }
  for (size_t i = 0; i < spec_node.entries().size(); ++i) {
    const std::string& k = spec_node.entries()[i].first;
    if (k == "_type" || k == "_value") continue;
    std::string hint = DidYouMean(k, {"_type", "_value"});
    diag.Error(spec_node.KeyMarkAt(i), p + "." + k,
               "unknown key in a parameter spec (expected '_type' and '_value')" +
                   (hint.empty() ? std::string() : "; did you mean '" + hint + "'?"));
    clean = false;
  }
  const ConfigNode* type_node = spec_node.Find("_type");
  const ConfigNode* value_node = spec_node.Find("_value");
  if (!type_node) diag.Error(spec_node.mark(), p, "missing '_type'");
  if (!value_node) diag.Error(spec_node.mark(), p, "missing '_value'");
  if (!type_node || !value_node) return std::nullopt;
  std::optional<ParamType> type;
  if (type_node->IsScalar()) type = ParseParamType(type_node->scalar());
  if (!type) {
    std::vector<std::string> names;
    for (const auto& t : kTypes) names.emplace_back(t.name);
    std::string hint = type_node->IsScalar() ? DidYouMean(type_node->scalar(), names) : "";
    diag.Error(type_node->mark(), p + "._type",
               "expected one of {choice, randint, uniform, quniform, loguniform, qloguniform, "
               "normal, qnormal, lognormal, qlognormal}, but got " + type_node->Describe() +
                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return std::nullopt;
  }
  if (!value_node->IsSequence()) {
    diag.Error(value_node->mark(), p + "._value", "must be a list, but got " + value_node->Describe());
    return std::nullopt;
  }
  return type;
}

// randint's [lower, upper): integers that a double holds exactly, since every tuner
// computes with them as doubles (|bound| <= 2^53), lower < upper.
template <typename Fail>
void CheckRandint(const std::vector<ConfigNode>& items, const ConfigNode& value_node, Fail fail) {
  constexpr long long kExact = 1LL << 53;
  const std::string got = "[" + items[0].scalar() + ", " + items[1].scalar() + "]";
  if (!items[0].IsIntegerText() || !items[1].IsIntegerText()) {
    fail(value_node, "", "randint bounds must be integers, but got " + got);
    return;
  }
  auto lo = items[0].AsInt(), hi = items[1].AsInt();
  auto exact = [&](std::optional<long long> v) { return v && *v >= -kExact && *v <= kExact; };
  if (!exact(lo) || !exact(hi)) {
    fail(value_node, "", "randint bounds must lie in [-9007199254740992, 9007199254740992] (2^53, where "
                         "every integer is exact as a double), but got " + got);
    return;
  }
  if (*lo == *hi)
    fail(value_node, "", "randint needs lower < upper (upper is exclusive, so this range holds no integer; [" +
                             items[0].scalar() + ", " + std::to_string(*lo + 1) + "] holds just " + items[0].scalar() +
                             "), but got " + got);
  else if (!(*lo < *hi))
    fail(value_node, "", "randint needs lower < upper (upper is exclusive), but got " + got);
}

// exp(x) is a finite double for x up to about 709.78.
constexpr double kMaxLogDraw = 709.0;

// A numeric parameter's `_value`: the right count of finite numbers, then the bounds
// its type needs. Returns whether `spec` holds a valid parameter.
bool ParseNumericSpec(const ConfigNode& value_node, const std::string& p, ParamSpec& spec, Diagnostics& diag) {
  const ParamType type = spec.type;
  const auto& items = value_node.items();
  size_t want = IsQuantized(type) ? 3 : 2;
  std::string tname(ParamTypeName(type));
  if (items.size() != want) {
    diag.Error(value_node.mark(), p + "._value",
               tname + " needs " + std::to_string(want) + " values " +
                   (IsQuantized(type) ? (IsNormalKind(type) ? "[mu, sigma, q]" : "[low, high, q]")
                                      : (IsNormalKind(type) ? "[mu, sigma]" : "[low, high]")) +
                   ", but got " + std::to_string(items.size()));
    return false;
  }
  double v[3] = {0, 0, 0};
  bool numbers = true;
  for (size_t i = 0; i < items.size(); ++i) {
    auto d = items[i].AsDouble();
    if (!d || !std::isfinite(*d)) {
      diag.Error(items[i].mark(), p + "._value[" + std::to_string(i) + "]",
                 "must be a finite number, but got " + items[i].Describe());
      numbers = false;
      continue;
    }
    v[i] = *d;
  }
  if (!numbers) return false;
  spec.a = v[0];
  spec.b = v[1];
  spec.q = v[2];
  bool param_ok = true;
  auto fail = [&](const ConfigNode& at, const std::string& where, const std::string& msg) {
    diag.Error(at.mark(), p + "._value" + where, msg);
    param_ok = false;
  };
  if (type == ParamType::kRandint) {
    CheckRandint(items, value_node, fail);
  } else if (IsNormalKind(type)) {
    // Draws reach a few sigma from mu (10 sigma: once in 10^23 draws); they, and for the
    // log kinds their exponentials, must be finite doubles.
    if (!(spec.b > 0)) {
      fail(items[1], "[1]", "sigma > 0 must hold, but got " + FormatNumber(spec.b));
    } else if (!std::isfinite(std::fabs(spec.a) + 10 * spec.b)) {
      fail(value_node, "",
           "|mu| + 10 sigma must be a finite number (it overflows a double here), but got mu=" + FormatNumber(spec.a) +
               ", sigma=" + FormatNumber(spec.b));
    } else if (IsLogKind(type) && spec.a + 10 * spec.b > kMaxLogDraw) {
      fail(value_node, "",
           tname + " draws exp(mu + z sigma), which overflows a double past " + FormatNumber(kMaxLogDraw) +
               ": mu + 10 sigma must be at most that, but got mu=" + FormatNumber(spec.a) +
               ", sigma=" + FormatNumber(spec.b));
    }
  } else {
    // low == high is one value (NNI's tuners take it): Parse turns it into a constant.
    if (!(spec.a <= spec.b))
      fail(value_node, "",
           "low <= high must hold, but got low=" + FormatNumber(spec.a) + ", high=" + FormatNumber(spec.b));
    else if (!std::isfinite(spec.b - spec.a))
      fail(value_node, "",
           "high - low must be a finite number (it overflows a double here), but got low=" + FormatNumber(spec.a) +
               ", high=" + FormatNumber(spec.b));
    if (IsLogKind(type) && !(spec.a > 0))
      fail(items[0], "[0]", tname + " needs low > 0, but got " + FormatNumber(spec.a));
  }
  if (IsQuantized(type) && !(spec.q > 0)) fail(items[2], "[2]", "q > 0 must hold, but got " + FormatNumber(spec.q));
  return param_ok;
}

// A uniform kind with low == high has one value, the float low (q-rounding clips back
// onto it). Every tuner handles a one-option choice, so that is what it becomes;
// `written_as` keeps the type for ToJson.
void MakeConstantIfPoint(ParamSpec& spec) {
  if (IsNormalKind(spec.type) || spec.type == ParamType::kRandint || spec.a != spec.b) return;
  spec.written_as = spec.type;
  spec.type = ParamType::kChoice;
  spec.options = {nlohmann::json(spec.a)};
}

}  // namespace

std::optional<SearchSpace> SearchSpace::Parse(const ConfigNode& node, const std::string& path,
                                              Diagnostics& diag) {
  SearchSpace space;
  if (node.IsNull()) return space;
  if (!node.IsMap()) {
    diag.Error(node.mark(), path, "a search space must be a map of parameter names to {_type, _value}, but got " + node.Describe());
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& [name, spec_node] : node.entries()) {
    std::string p = path.empty() ? name : path + "." + name;
    std::optional<ParamType> type = CheckSpecShape(spec_node, p, diag, ok);
    if (!type) {
      ok = false;
      continue;
    }
    const ConfigNode& value_node = *spec_node.Find("_value");
    ParamSpec spec;
    spec.name = name;
    spec.type = *type;
    if (*type == ParamType::kChoice) {
      size_t before = diag.error_count();
      ParseChoice(value_node, p, spec, diag);
      if (diag.error_count() != before) ok = false;
      space.params_.push_back(std::move(spec));
      continue;
    }
    // Any error rejects the whole space, so a bad spec need not be left out.
    if (ParseNumericSpec(value_node, p, spec, diag)) {
      MakeConstantIfPoint(spec);
    } else {
      ok = false;
    }
    space.params_.push_back(std::move(spec));
  }
  if (!ok) return std::nullopt;
  return space;
}

StatusOr<SearchSpace> SearchSpace::FromJson(const nlohmann::json& json) {
  Diagnostics diag;
  auto space = Parse(ConfigNode::FromJson(json, "<search space>"), "", diag);
  if (!space) return diag.ToStatus();
  return std::move(*space);
}

std::optional<double> SearchSpace::DiscreteSize() const {
  double size = 1;
  for (const auto& p : params_) {
    if (p.IsNestedChoice()) {
      double sum = 0;
      for (const auto& sub : p.nested) {
        auto s = sub.DiscreteSize();
        if (!s) return std::nullopt;
        sum += *s;
      }
      size *= sum;
      continue;
    }
    auto c = p.DiscreteCount();
    if (!c) return std::nullopt;
    size *= *c;
  }
  return size;
}

nlohmann::json SearchSpace::ToJson() const {
  auto out = nlohmann::json::object();
  for (const auto& p : params_) {
    const ParamType type = p.written_as.value_or(p.type);
    nlohmann::json value = nlohmann::json::array();
    if (type == ParamType::kChoice) {
      for (size_t i = 0; i < p.options.size(); ++i) {
        if (p.IsNestedChoice()) {
          nlohmann::json sub = p.nested[i].ToJson();
          sub["_name"] = p.options[i];
          value.push_back(sub);
        } else {
          value.push_back(p.options[i]);
        }
      }
    } else if (type == ParamType::kRandint) {
      value = {static_cast<long long>(p.a), static_cast<long long>(p.b)};
    } else {
      value = {p.a, p.b};
      if (IsQuantized(type)) value.push_back(p.q);
    }
    out[p.name] = {{"_type", ParamTypeName(type)}, {"_value", value}};
  }
  return out;
}

nlohmann::json SearchSpace::Sample(std::mt19937_64& rng) const {
  auto out = nlohmann::json::object();
  for (const auto& p : params_) {
    switch (p.type) {
      case ParamType::kChoice: {
        std::uniform_int_distribution<size_t> pick(0, p.options.size() - 1);
        size_t i = pick(rng);
        if (p.IsNestedChoice()) {
          nlohmann::json sub = p.nested[i].Sample(rng);
          sub["_name"] = p.options[i];
          out[p.name] = std::move(sub);
        } else {
          out[p.name] = p.options[i];
        }
        break;
      }
      case ParamType::kRandint: {
        std::uniform_int_distribution<long long> pick(static_cast<long long>(p.a), static_cast<long long>(p.b) - 1);
        out[p.name] = pick(rng);
        break;
      }
      case ParamType::kUniform:
      case ParamType::kQuniform:
        out[p.name] = p.Finish(std::uniform_real_distribution<double>(p.a, p.b)(rng));
        break;
      case ParamType::kLoguniform:
      case ParamType::kQloguniform:
        out[p.name] = p.Finish(std::exp(std::uniform_real_distribution<double>(std::log(p.a), std::log(p.b))(rng)));
        break;
      case ParamType::kNormal:
      case ParamType::kQnormal:
        out[p.name] = p.Finish(std::normal_distribution<double>(p.a, p.b)(rng));
        break;
      case ParamType::kLognormal:
      case ParamType::kQlognormal:
        out[p.name] = p.Finish(std::exp(std::normal_distribution<double>(p.a, p.b)(rng)));
        break;
    }
  }
  return out;
}

}  // namespace hone
