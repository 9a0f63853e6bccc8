#include "tuners/ppo/policy_space.h"

#include <algorithm>
#include <cmath>

#include "tuners/normal_quantile.h"
#include "tuners/space_enumerator.h"

namespace hone {
namespace {

double Warp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::log(std::max(x, 1e-300)) : x; }
double Unwarp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::exp(x) : x; }

}  // namespace

PolicySpace::PolicySpace(const SearchSpace& space, int bins) : bins_(std::max(1, bins)) { top_ = Build(space); }

std::vector<int> PolicySpace::Build(const SearchSpace& space) {
  std::vector<int> level;
  for (const auto& p : space.params()) {
    int index = static_cast<int>(decisions_.size());
    level.push_back(index);
    Decision d;
    d.spec = &p;
    if (auto values = DiscreteValues(p, p.type == ParamType::kChoice ? SIZE_MAX : static_cast<size_t>(bins_)))
      d.values = std::move(*values);
    int count = d.values.empty() ? bins_ : static_cast<int>(d.values.size());
    decisions_.push_back(std::move(d));
    action_counts_.push_back(count);
    // Built after the parent is stored: the options' decisions follow it.
    std::vector<std::vector<int>> options;
    for (const auto& sub : p.nested) options.push_back(Build(sub));
    decisions_[index].option_levels = std::move(options);
  }
  return level;
}

nlohmann::json PolicySpace::Draw(const ChooseFn& choose, std::mt19937_64& rng, std::vector<PolicyStep>* steps) const {
  return DrawLevel(top_, choose, rng, steps);
}

nlohmann::json PolicySpace::DrawLevel(const std::vector<int>& level, const ChooseFn& choose, std::mt19937_64& rng,
                                      std::vector<PolicyStep>* steps) const {
  auto out = nlohmann::json::object();
  for (int index : level) {
    const Decision& d = decisions_[index];
    int action = std::clamp(choose(index), 0, action_counts_[index] - 1);
    if (steps) steps->push_back({index, action});
    const ParamSpec& p = *d.spec;
    if (p.IsNestedChoice()) {
      nlohmann::json value = DrawLevel(d.option_levels[action], choose, rng, steps);
      value["_name"] = p.options[action];
      out[p.name] = std::move(value);
    } else if (!d.values.empty()) {
      out[p.name] = d.values[action];
    } else {
      out[p.name] = BinValue(p, action, rng);
    }
  }
  return out;
}

nlohmann::json PolicySpace::BinValue(const ParamSpec& p, int bin, std::mt19937_64& rng) const {
  // Strictly inside (0, 1), so that a normal kind's quantile stays finite.
  double u = std::uniform_real_distribution<double>(0, 1)(rng);
  double t = (bin + std::clamp(u, 1e-9, 1 - 1e-9)) / bins_;
  if (IsNormalKind(p.type)) return p.Finish(Unwarp(p, p.a + p.b * NormalQuantile(t)));
  double lo = Warp(p, p.a), hi = Warp(p, p.b);
  return p.Finish(Unwarp(p, lo + (hi - lo) * t));
}

int PolicySpace::BinOf(const ParamSpec& p, double value) const {
  double t = 0;
  if (IsNormalKind(p.type)) {
    double z = (Warp(p, value) - p.a) / p.b;
    t = 0.5 * std::erfc(-z / std::sqrt(2.0));
  } else {
    // An integer stands for the unit interval it was floored from.
    double x = p.type == ParamType::kRandint ? value + 0.5 : value;
    double lo = Warp(p, p.a), hi = Warp(p, p.b);
    t = hi > lo ? (Warp(p, x) - lo) / (hi - lo) : 0;
  }
  if (!std::isfinite(t)) t = 0;
  return std::clamp(static_cast<int>(std::floor(t * bins_)), 0, bins_ - 1);
}

std::optional<int> PolicySpace::ActionOf(const Decision& d, const nlohmann::json& value) const {
  const ParamSpec& p = *d.spec;
  if (p.type == ParamType::kChoice) {
    bool named = p.IsNestedChoice() && value.is_object() && value.contains("_name");
    const nlohmann::json& key = named ? value["_name"] : value;
    for (size_t i = 0; i < p.options.size(); ++i)
      if (p.options[i] == key) return static_cast<int>(i);
    return std::nullopt;
  }
  if (!value.is_number()) return std::nullopt;
  double v = value.get<double>();
  if (d.values.empty()) return BinOf(p, v);
  // Discrete numeric values: the nearest one.
  int best = 0;
  for (size_t i = 1; i < d.values.size(); ++i)
    if (std::abs(d.values[i].get<double>() - v) < std::abs(d.values[best].get<double>() - v))
      best = static_cast<int>(i);
  return best;
}

std::vector<PolicyStep> PolicySpace::StepsOf(const nlohmann::json& config) const {
  std::vector<PolicyStep> steps;
  if (config.is_object()) StepsOfLevel(top_, config, &steps);
  return steps;
}

void PolicySpace::StepsOfLevel(const std::vector<int>& level, const nlohmann::json& config,
                               std::vector<PolicyStep>* steps) const {
  for (int index : level) {
    const Decision& d = decisions_[index];
    auto it = config.find(d.spec->name);
    if (it == config.end()) continue;
    std::optional<int> action = ActionOf(d, *it);
    if (!action) continue;
    steps->push_back({index, *action});
    if (d.spec->IsNestedChoice() && it->is_object()) StepsOfLevel(d.option_levels[*action], *it, steps);
  }
}

}  // namespace hone
