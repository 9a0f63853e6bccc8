#include "tuners/gp/unit_cube_encoding.h"

#include <algorithm>
#include <cmath>

#include "tuners/normal_quantile.h"

namespace hone {
namespace {

// Keeps the normal quantile finite at the ends of the cube.
constexpr double kCdfEdge = 1e-6;
constexpr double kInactive = 0.5;

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Encodes one numeric value; `v` is a number of the parameter's domain.
double EncodeNumber(const ParamSpec& p, double v) {
  switch (p.type) {
    case ParamType::kRandint: return (v - p.a + 0.5) / (p.b - p.a);
    case ParamType::kUniform:
    case ParamType::kQuniform: return p.b > p.a ? (v - p.a) / (p.b - p.a) : 0.5;
    case ParamType::kLoguniform:
    case ParamType::kQloguniform:
      return p.b > p.a ? (std::log(std::max(v, p.a)) - std::log(p.a)) / (std::log(p.b) - std::log(p.a))
                       : 0.5;
    case ParamType::kNormal:
    case ParamType::kQnormal: return NormalCdf((v - p.a) / p.b);
    case ParamType::kLognormal:
    case ParamType::kQlognormal:
      return v > 0 ? NormalCdf((std::log(v) - p.a) / p.b) : 0.0;
    case ParamType::kChoice: break;
  }
  return 0.5;
}

nlohmann::json DecodeNumber(const ParamSpec& p, double u) {
  u = std::clamp(u, 0.0, 1.0);
  switch (p.type) {
    case ParamType::kRandint: {
      double v = std::floor(p.a + u * (p.b - p.a));
      return static_cast<long long>(std::clamp(v, p.a, p.b - 1));
    }
    case ParamType::kUniform:
    case ParamType::kQuniform: return p.Finish(p.a + u * (p.b - p.a));
    case ParamType::kLoguniform:
    case ParamType::kQloguniform:
      return p.Finish(std::exp(std::log(p.a) + u * (std::log(p.b) - std::log(p.a))));
    case ParamType::kNormal:
    case ParamType::kQnormal:
      return p.Finish(p.a + p.b * NormalQuantile(std::clamp(u, kCdfEdge, 1 - kCdfEdge)));
    case ParamType::kLognormal:
    case ParamType::kQlognormal:
      return p.Finish(std::exp(p.a + p.b * NormalQuantile(std::clamp(u, kCdfEdge, 1 - kCdfEdge))));
    case ParamType::kChoice: break;
  }
  return nullptr;
}

}  // namespace

size_t EncodedWidth(const ParamSpec& p) {
  if (p.type != ParamType::kChoice) return 1;
  size_t w = p.options.size();
  for (const auto& sub : p.nested)
    for (const auto& q : sub.params()) w += EncodedWidth(q);
  return w;
}

UnitCubeEncoding::UnitCubeEncoding(const SearchSpace& space) : space_(space) {
  Build(space, false, dims_, has_categorical_);
}

size_t UnitCubeEncoding::Build(const SearchSpace& space, bool nested, std::vector<Dim>& dims,
                               bool& has_cat) {
  size_t start = dims.size();
  for (const auto& p : space.params()) {
    if (p.type != ParamType::kChoice) {
      Dim dim;
      dim.nested = nested;
      dims.push_back(dim);
      continue;
    }
    has_cat = true;
    size_t block = dims.size();
    for (size_t i = 0; i < p.options.size(); ++i) dims.push_back(Dim{true, block, p.options.size(), nested});
    for (const auto& sub : p.nested) Build(sub, true, dims, has_cat);
  }
  return dims.size() - start;
}

std::vector<double> UnitCubeEncoding::Encode(const nlohmann::json& config) const {
  std::vector<double> x(dims_.size(), kInactive);
  EncodeInto(space_, &config, x, 0);
  return x;
}

// `config` null means the sub-space is inactive: its dimensions stay at kInactive.
size_t UnitCubeEncoding::EncodeInto(const SearchSpace& space, const nlohmann::json* config,
                                    std::vector<double>& x, size_t at) {
  for (const auto& p : space.params()) {
    const nlohmann::json* v = nullptr;
    if (config && config->is_object() && config->contains(p.name)) v = &(*config)[p.name];
    if (p.type != ParamType::kChoice) {
      if (v && v->is_number()) x[at] = std::clamp(EncodeNumber(p, v->get<double>()), 0.0, 1.0);
      ++at;
      continue;
    }
    size_t chosen = p.options.size();
    for (size_t i = 0; v && i < p.options.size(); ++i) {
      const nlohmann::json& key = p.IsNestedChoice() && v->is_object() && v->contains("_name")
                                      ? (*v)["_name"] : *v;
      if (p.options[i] == key) chosen = i;
    }
    for (size_t i = 0; i < p.options.size(); ++i) x[at + i] = (chosen < p.options.size()) ? (i == chosen) : kInactive;
    at += p.options.size();
    for (size_t i = 0; i < p.nested.size(); ++i)
      at = EncodeInto(p.nested[i], i == chosen ? v : nullptr, x, at);
  }
  return at;
}

nlohmann::json UnitCubeEncoding::Decode(const std::vector<double>& x) const {
  auto out = nlohmann::json::object();
  DecodeFrom(space_, x, 0, out);
  return out;
}

size_t UnitCubeEncoding::DecodeFrom(const SearchSpace& space, const std::vector<double>& x,
                                    size_t at, nlohmann::json& out) {
  for (const auto& p : space.params()) {
    if (p.type != ParamType::kChoice) {
      out[p.name] = DecodeNumber(p, x[at++]);
      continue;
    }
    size_t best = 0;
    for (size_t i = 1; i < p.options.size(); ++i)
      if (x[at + i] > x[at + best]) best = i;
    at += p.options.size();
    if (!p.IsNestedChoice()) {
      out[p.name] = p.options[best];
      continue;
    }
    for (size_t i = 0; i < p.nested.size(); ++i) {
      auto sub = nlohmann::json::object();
      size_t next = DecodeFrom(p.nested[i], x, at, sub);
      if (i == best) {
        sub["_name"] = p.options[i];
        out[p.name] = std::move(sub);
      }
      at = next;
    }
  }
  return at;
}

std::vector<bool> UnitCubeEncoding::ActiveDims(const std::vector<double>& x) const {
  std::vector<bool> mask(dims_.size(), false);
  MarkActive(space_, x, 0, true, mask);
  return mask;
}

size_t UnitCubeEncoding::MarkActive(const SearchSpace& space, const std::vector<double>& x,
                                    size_t at, bool active, std::vector<bool>& mask) {
  for (const auto& p : space.params()) {
    if (p.type != ParamType::kChoice) {
      mask[at++] = active;
      continue;
    }
    size_t best = 0;
    for (size_t i = 1; i < p.options.size(); ++i)
      if (x[at + i] > x[at + best]) best = i;
    for (size_t i = 0; i < p.options.size(); ++i) mask[at + i] = active;
    at += p.options.size();
    for (size_t i = 0; i < p.nested.size(); ++i) at = MarkActive(p.nested[i], x, at, active && i == best, mask);
  }
  return at;
}

}  // namespace hone
