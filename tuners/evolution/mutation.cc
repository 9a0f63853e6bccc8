#include "tuners/evolution/mutation.h"

#include <algorithm>
#include <cmath>

namespace hone {
namespace {

constexpr double kUniformStep = 0.1;   // of the (warped) range
constexpr double kNormalStep = 0.25;   // of sigma

// Index of the option a choice value picked; nested values carry it in `_name`.
size_t OptionIndex(const ParamSpec& p, const nlohmann::json& value) {
  const nlohmann::json& key = p.IsNestedChoice() ? value.at("_name") : value;
  for (size_t i = 0; i < p.options.size(); ++i)
    if (p.options[i] == key) return i;
  return 0;
}

// Active mutation sites in pre-order: a nested choice, then the parameters of its
// chosen option.
int CountSites(const SearchSpace& space, const nlohmann::json& config) {
  int n = 0;
  for (const auto& p : space.params()) {
    ++n;
    if (p.IsNestedChoice()) {
      const nlohmann::json& v = config.at(p.name);
      n += CountSites(p.nested[OptionIndex(p, v)], v);
    }
  }
  return n;
}

double Reflect(double x, double lo, double hi) {
  if (hi <= lo) return lo;
  double w = hi - lo;
  double t = std::fmod(x - lo, 2 * w);
  if (t < 0) t += 2 * w;
  return t <= w ? lo + t : hi - (t - w);
}

nlohmann::json Perturb(const ParamSpec& p, const nlohmann::json& value, std::mt19937_64& rng) {
  double x = value.get<double>();
  std::normal_distribution<double> unit(0.0, 1.0);
  switch (p.type) {
    case ParamType::kRandint: {
      double lo = p.a, hi = p.b;  // [a, b) as a real interval
      double y = Reflect(x + 0.5 + kUniformStep * (hi - lo) * unit(rng), lo, hi);
      return static_cast<long long>(std::clamp(std::floor(y), p.a, p.b - 1));
    }
    case ParamType::kUniform:
    case ParamType::kQuniform:
      return p.Finish(Reflect(x + kUniformStep * (p.b - p.a) * unit(rng), p.a, p.b));
    case ParamType::kLoguniform:
    case ParamType::kQloguniform: {
      double lo = std::log(p.a), hi = std::log(p.b);
      double lx = std::log(std::max(x, p.a));
      return p.Finish(std::exp(Reflect(lx + kUniformStep * (hi - lo) * unit(rng), lo, hi)));
    }
    case ParamType::kNormal:
    case ParamType::kQnormal:
      return p.Finish(x + kNormalStep * p.b * unit(rng));
    case ParamType::kLognormal:
    case ParamType::kQlognormal: {
      double lx = std::log(std::max(x, 1e-300));
      return p.Finish(std::exp(lx + kNormalStep * p.b * unit(rng)));
    }
    case ParamType::kChoice: break;
  }
  return value;
}

nlohmann::json MutateOne(const ParamSpec& p, const nlohmann::json& value, std::mt19937_64& rng) {
  if (p.type == ParamType::kChoice) {
    size_t n = p.options.size();
    size_t cur = OptionIndex(p, value);
    size_t next = cur;
    if (n > 1) {
      next = std::uniform_int_distribution<size_t>(0, n - 2)(rng);
      if (next >= cur) ++next;
    }
    if (!p.IsNestedChoice()) return p.options[next];
    nlohmann::json sub = p.nested[next].Sample(rng);
    sub["_name"] = p.options[next];
    return sub;
  }
  if (std::bernoulli_distribution(0.5)(rng)) return SampleParam(p, rng);
  return Perturb(p, value, rng);
}

// Walks the active sites in pre-order; site `forced` always mutates, others with `p_each`.
void MutateSites(const SearchSpace& space, nlohmann::json& config, int forced, double p_each,
                 int& index, std::mt19937_64& rng) {
  for (const auto& p : space.params()) {
    int me = index++;
    bool hit = me == forced || std::bernoulli_distribution(p_each)(rng);
    nlohmann::json& v = config[p.name];
    if (hit) {
      // The old option's sites are replaced wholesale; skip their numbers.
      if (p.IsNestedChoice()) index += CountSites(p.nested[OptionIndex(p, v)], v);
      v = MutateOne(p, v, rng);
      continue;
    }
    if (p.IsNestedChoice()) MutateSites(p.nested[OptionIndex(p, v)], v, forced, p_each, index, rng);
  }
}

}  // namespace

nlohmann::json SampleParam(const ParamSpec& p, std::mt19937_64& rng) {
  switch (p.type) {
    case ParamType::kChoice: {
      size_t i = std::uniform_int_distribution<size_t>(0, p.options.size() - 1)(rng);
      if (!p.IsNestedChoice()) return p.options[i];
      nlohmann::json sub = p.nested[i].Sample(rng);
      sub["_name"] = p.options[i];
      return sub;
    }
    case ParamType::kRandint:
      return std::uniform_int_distribution<long long>(static_cast<long long>(p.a),
                                                      static_cast<long long>(p.b) - 1)(rng);
    case ParamType::kUniform:
    case ParamType::kQuniform:
      return p.Finish(std::uniform_real_distribution<double>(p.a, p.b)(rng));
    case ParamType::kLoguniform:
    case ParamType::kQloguniform:
      return p.Finish(std::exp(std::uniform_real_distribution<double>(std::log(p.a), std::log(p.b))(rng)));
    case ParamType::kNormal:
    case ParamType::kQnormal:
      return p.Finish(std::normal_distribution<double>(p.a, p.b)(rng));
    case ParamType::kLognormal:
    case ParamType::kQlognormal:
      return p.Finish(std::exp(std::normal_distribution<double>(p.a, p.b)(rng)));
  }
  return nullptr;
}

nlohmann::json Mutate(const SearchSpace& space, const nlohmann::json& parent, std::mt19937_64& rng) {
  nlohmann::json child = parent;
  int n = CountSites(space, parent);
  if (n == 0) return child;
  int forced = std::uniform_int_distribution<int>(0, n - 1)(rng);
  int index = 0;
  MutateSites(space, child, forced, 1.0 / n, index, rng);
  return child;
}

}  // namespace hone
