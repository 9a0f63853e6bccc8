#include "tuners/space_enumerator.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tuners/config_key.h"

namespace hone {
namespace {
constexpr double kMaxSize = 4.6e18;  // about 2^62: indices stay exact in uint64_t

bool IsBoundedQ(const ParamSpec& p) {
  return p.type == ParamType::kQuniform || p.type == ParamType::kQloguniform;
}
}  // namespace

// round(x / q) takes every integer k from round(low / q) to round(high / q) as x sweeps
// [low, high], and clip(k * q) is distinct for each: only the first k can fall below low
// and only the last above high.
std::optional<std::vector<nlohmann::json>> DiscreteValues(const ParamSpec& spec, size_t limit) {
  std::vector<nlohmann::json> out;
  switch (spec.type) {
    case ParamType::kChoice:
      if (spec.options.size() > limit) return std::nullopt;
      return spec.options;
    case ParamType::kRandint: {
      if (spec.b - spec.a > static_cast<double>(limit)) return std::nullopt;
      for (long long v = static_cast<long long>(spec.a); v < static_cast<long long>(spec.b); ++v)
        out.emplace_back(v);
      return out;
    }
    case ParamType::kQuniform:
    case ParamType::kQloguniform: {
      double lo = std::nearbyint(spec.a / spec.q), hi = std::nearbyint(spec.b / spec.q);
      if (hi - lo + 1 > static_cast<double>(limit)) return std::nullopt;
      std::set<double> seen;
      for (double k = lo; k <= hi; k += 1) {
        nlohmann::json v = spec.Finish(k * spec.q);
        if (seen.insert(v.get<double>()).second) out.push_back(std::move(v));
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<SpaceEnumerator> SpaceEnumerator::Create(const SearchSpace& space) {
  SpaceEnumerator e;
  double size = 1;
  for (const auto& p : space.params()) {
    Dim d;
    d.spec = &p;
    if (p.IsNestedChoice()) {
      uint64_t offset = 0;
      for (const auto& sub : p.nested) {
        auto sub_e = Create(sub);
        if (!sub_e) return std::nullopt;
        d.offsets.push_back(offset);
        offset += sub_e->size();
        if (static_cast<double>(offset) > kMaxSize) return std::nullopt;
        d.options.push_back(std::move(*sub_e));
      }
      d.size = offset;
    } else if (p.type == ParamType::kChoice) {
      for (uint64_t i = 0; i < p.options.size(); ++i) d.index_of.emplace(ConfigKey(p.options[i]), i);
      d.size = p.options.size();
    } else if (p.type == ParamType::kRandint) {
      d.size = static_cast<uint64_t>(p.b - p.a);
    } else if (IsBoundedQ(p)) {
      d.first_k = std::nearbyint(p.a / p.q);
      double count = std::nearbyint(p.b / p.q) - d.first_k + 1;
      if (count > kMaxSize) return std::nullopt;
      d.size = static_cast<uint64_t>(count);
    } else {
      return std::nullopt;
    }
    size *= static_cast<double>(d.size);
    if (size > kMaxSize) return std::nullopt;
    e.dims_.push_back(std::move(d));
  }
  e.size_ = 1;
  for (const auto& d : e.dims_) e.size_ *= d.size;
  return e;
}

nlohmann::json SpaceEnumerator::ValueAt(const Dim& d, uint64_t digit) {
  const ParamSpec& p = *d.spec;
  if (p.type == ParamType::kChoice) return p.options[digit];
  if (p.type == ParamType::kRandint) return static_cast<long long>(p.a) + static_cast<long long>(digit);
  return p.Finish((d.first_k + static_cast<double>(digit)) * p.q);
}

std::optional<uint64_t> SpaceEnumerator::DigitOf(const Dim& d, const nlohmann::json& value) {
  const ParamSpec& p = *d.spec;
  if (p.type == ParamType::kChoice) {
    auto it = d.index_of.find(ConfigKey(value));
    if (it == d.index_of.end()) return std::nullopt;
    return it->second;
  }
  if (!value.is_number()) return std::nullopt;
  double offset = p.type == ParamType::kRandint ? value.get<double>() - p.a
                                                : std::nearbyint(value.get<double>() / p.q) - d.first_k;
  if (!std::isfinite(offset)) return std::nullopt;
  offset = std::clamp(offset, 0.0, static_cast<double>(d.size - 1));
  return static_cast<uint64_t>(offset);
}

nlohmann::json SpaceEnumerator::At(uint64_t index) const {
  auto out = nlohmann::json::object();
  for (size_t i = dims_.size(); i-- > 0;) {
    const Dim& d = dims_[i];
    uint64_t digit = index % d.size;
    index /= d.size;
    if (d.spec->IsNestedChoice()) {
      size_t opt = d.options.size() - 1;
      while (d.offsets[opt] > digit) --opt;
      nlohmann::json sub = d.options[opt].At(digit - d.offsets[opt]);
      sub["_name"] = d.spec->options[opt];
      out[d.spec->name] = std::move(sub);
    } else {
      out[d.spec->name] = ValueAt(d, digit);
    }
  }
  return out;
}

std::optional<uint64_t> SpaceEnumerator::LooseIndexOf(const nlohmann::json& config) const {
  if (!config.is_object()) return std::nullopt;
  uint64_t index = 0;
  for (const Dim& d : dims_) {
    auto it = config.find(d.spec->name);
    if (it == config.end()) return std::nullopt;
    std::optional<uint64_t> digit;
    if (d.spec->IsNestedChoice()) {
      if (!it->is_object() || !it->contains("_name")) return std::nullopt;
      for (size_t opt = 0; opt < d.options.size() && !digit; ++opt) {
        if (d.spec->options[opt] != (*it)["_name"]) continue;
        auto sub = d.options[opt].LooseIndexOf(*it);
        if (!sub) return std::nullopt;
        digit = d.offsets[opt] + *sub;
      }
    } else {
      digit = DigitOf(d, *it);
    }
    if (!digit) return std::nullopt;
    index = index * d.size + *digit;
  }
  return index;
}

std::optional<uint64_t> SpaceEnumerator::IndexOf(const nlohmann::json& config) const {
  // The loose walk maps near misses (a value off the grid, extra keys) onto some index;
  // the round trip makes the answer exact.
  auto index = LooseIndexOf(config);
  if (!index || ConfigKey(At(*index)) != ConfigKey(config)) return std::nullopt;
  return index;
}

}  // namespace hone
