#include "tuners/tpe/tpe_history.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace hone {

bool operator<(const TpeScore& a, const TpeScore& b) {
  return std::tie(a.tier, a.loss, a.order) < std::tie(b.tier, b.loss, b.order);
}

TpeHistory::TpeHistory(const SearchSpace& space) { Build(space); }

int TpeHistory::Build(const SearchSpace& space) {
  int index = static_cast<int>(groups_.size());
  groups_.emplace_back();
  std::vector<Dim> dims;
  for (const auto& p : space.params()) {
    Dim d;
    d.spec = &p;
    if (p.type == ParamType::kChoice) {
      d.categorical = true;
      d.categories = static_cast<double>(p.options.size());
      for (const auto& sub : p.nested) d.children.push_back(Build(sub));
    } else if (p.type == ParamType::kRandint) {
      // Integers are ordered: modelled as numbers on [low - 1/2, high - 1/2], the bins of
      // low .. high - 1.
      d.binned = true;
      double lo = p.a - 0.5, hi = p.b - 0.5;
      d.prior = ParzenPrior{(lo + hi) / 2, hi - lo, lo, hi};
    } else if (IsNormalKind(p.type)) {
      d.binned = IsQuantized(p.type);
      d.prior = ParzenPrior{p.a, p.b};
    } else {
      d.binned = IsQuantized(p.type);
      double lo = IsLogKind(p.type) ? std::log(p.a) : p.a;
      double hi = IsLogKind(p.type) ? std::log(p.b) : p.b;
      d.prior = ParzenPrior{(lo + hi) / 2, hi - lo, lo, hi};
      if (!(d.prior.sigma > 0)) d.prior.sigma = 1e-12;  // a degenerate [x, x] range
    }
    dims.push_back(std::move(d));
  }
  groups_[index].dims = std::move(dims);
  return index;
}

double TpeHistory::Warp(const Dim& dim, const nlohmann::json& value) {
  const ParamSpec& p = *dim.spec;
  switch (p.type) {
    case ParamType::kChoice: {
      const nlohmann::json& key = p.IsNestedChoice() ? value["_name"] : value;
      for (size_t i = 0; i < p.options.size(); ++i)
        if (p.options[i] == key) return static_cast<double>(i);
      return 0;
    }
    default: break;
  }
  double x = value.get<double>();
  if (IsLogKind(p.type)) {
    // q-rounding can reach 0 for qlognormal; keep it finite, half a step above.
    double floor = p.q > 0 ? p.q / 2 : 1e-300;
    return std::log(std::max(x, floor));
  }
  return x;
}

nlohmann::json TpeHistory::Unwarp(const Dim& dim, double x) {
  const ParamSpec& p = *dim.spec;
  switch (p.type) {
    case ParamType::kChoice: return p.options[static_cast<size_t>(x)];
    case ParamType::kRandint: return static_cast<long long>(std::clamp(std::nearbyint(x), p.a, p.b - 1));
    default: break;
  }
  return p.Finish(IsLogKind(p.type) ? std::exp(x) : x);
}

ParzenBin TpeHistory::BinOf(const Dim& dim, double x) {
  const ParamSpec& p = *dim.spec;
  ParzenBin bin;
  if (!dim.binned) return bin;
  bin.active = true;
  if (p.type == ParamType::kRandint) {
    bin.lo = x - 0.5;
    bin.hi = x + 0.5;
    return bin;
  }
  double v = Unwarp(dim, x).get<double>();
  double lo = v - p.q / 2, hi = v + p.q / 2;
  if (IsLogKind(p.type)) {
    // The lowest grid value's bin reaches down to 0: its warped floor is half a step, as Warp.
    bin.lo = std::log(std::max(lo, p.q / 2));
    bin.hi = std::log(hi);
    if (!(bin.lo < bin.hi)) bin.lo = bin.hi - std::log(3.0);  // the value q/2 itself
  } else {
    bin.lo = lo;
    bin.hi = hi;
  }
  return bin;
}

void TpeHistory::Add(const nlohmann::json& config, const TpeScore& score) {
  uint32_t obs = static_cast<uint32_t>(scores_.size());
  scores_.push_back(score);
  AddTo(0, config, obs);
}

void TpeHistory::AddTo(int group, const nlohmann::json& config, uint32_t obs) {
  Group& g = groups_[group];
  uint32_t pos = static_cast<uint32_t>(g.members.size());
  g.members.push_back(obs);
  for (Dim& d : g.dims) {
    const nlohmann::json& value = config.at(d.spec->name);
    double x = Warp(d, value);
    d.values.push_back(x);
    if (!d.categorical) {
      auto it = std::upper_bound(d.by_value.begin(), d.by_value.end(), x,
                                 [&](double v, uint32_t m) { return v < d.values[m]; });
      d.by_value.insert(it, pos);
    }
    if (!d.children.empty()) AddTo(d.children[static_cast<size_t>(x)], value, obs);
  }
}

void TpeHistory::PopLast() {
  if (scores_.empty()) return;
  uint32_t obs = static_cast<uint32_t>(scores_.size() - 1);
  PopFrom(0, obs);
  scores_.pop_back();
}

void TpeHistory::PopFrom(int group, uint32_t obs) {
  Group& g = groups_[group];
  if (g.members.empty() || g.members.back() != obs) return;
  uint32_t pos = static_cast<uint32_t>(g.members.size() - 1);
  for (Dim& d : g.dims) {
    double x = d.values.back();
    if (!d.categorical) {
      auto it = std::lower_bound(d.by_value.begin(), d.by_value.end(), x,
                                 [&](uint32_t m, double v) { return d.values[m] < v; });
      while (it != d.by_value.end() && *it != pos) ++it;
      if (it != d.by_value.end()) d.by_value.erase(it);
    }
    if (!d.children.empty()) PopFrom(d.children[static_cast<size_t>(x)], obs);
    d.values.pop_back();
  }
  g.members.pop_back();
}

}  // namespace hone
