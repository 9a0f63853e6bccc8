#include "tuners/anneal/anneal_tuner.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace hone {
namespace {

constexpr int kModelTries = 8;

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

Status ArgError(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return InvalidArgument("anneal: classArgs." + key + ": " + what + ", but got " + got.dump());
}

double Warp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::log(std::max(x, 1e-300)) : x; }
double Unwarp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::exp(x) : x; }

}  // namespace

StatusOr<AnnealOptions> AnnealTuner::ParseOptions(const TunerContext& ctx) {
  AnnealOptions o;
  o.mode = ctx.mode;
  o.seed = ctx.seed;
  if (!ctx.class_args.is_object()) return o;
  for (const auto& [key, v] : ctx.class_args.items()) {
    bool integral = v.is_number() && std::trunc(v.get<double>()) == v.get<double>();
    if (key == "optimize_mode") {
      if (v != "maximize" && v != "minimize") return ArgError(key, "expected 'maximize' or 'minimize'", v);
      o.mode = v == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
    } else if (key == "seed") {
      if (!integral) return ArgError(key, "expected an integer", v);
      o.seed = static_cast<uint64_t>(v.is_number_integer() ? v.get<long long>()
                                                           : static_cast<long long>(v.get<double>()));
    } else if (key == "n_startup_jobs") {
      if (!integral || v.get<double>() < 0) return ArgError(key, "expected an integer >= 0", v);
      o.n_startup_jobs = static_cast<int>(std::min(v.get<double>(), 1e9));
    } else if (key == "avg_best_idx") {
      if (!v.is_number() || !(v.get<double>() >= 1)) return ArgError(key, "expected a number >= 1", v);
      o.avg_best_idx = v.get<double>();
    } else if (key == "shrink_coef") {
      if (!v.is_number() || !(v.get<double>() >= 0)) return ArgError(key, "expected a number >= 0", v);
      o.shrink_coef = v.get<double>();
    } else {
      return ArgError(key, "unknown key", v);
    }
  }
  return o;
}

StatusOr<std::unique_ptr<Tuner>> AnnealTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("anneal: no search space");
  auto options = ParseOptions(ctx);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Tuner>(new AnnealTuner(*ctx.space, *options));
}

AnnealTuner::AnnealTuner(const SearchSpace& space, const AnnealOptions& options)
    : space_(space), options_(options), seen_(space) {}

std::mt19937_64 AnnealTuner::RngFor(uint64_t k) const {
  std::seed_seq seq{Low(options_.seed), High(options_.seed), Low(k), High(k), 0xa77u};
  return std::mt19937_64(seq);
}

nlohmann::json AnnealTuner::Perturb(const SearchSpace& space, const std::vector<const nlohmann::json*>& configs,
                                    std::mt19937_64& rng) const {
  if (configs.empty()) return space.Sample(rng);
  // hyperopt's rank: geometric with success probability 1 / avg_best_idx, 0 the best trial.
  std::geometric_distribution<size_t> rank(1.0 / options_.avg_best_idx);
  const nlohmann::json& good = *configs[std::min(rank(rng), configs.size() - 1)];
  double shrink = 1.0 / (1.0 + static_cast<double>(configs.size()) * options_.shrink_coef);
  std::uniform_real_distribution<double> unit(0, 1);
  auto out = nlohmann::json::object();
  for (const auto& p : space.params()) {
    const nlohmann::json& v = good.at(p.name);
    switch (p.type) {
      case ParamType::kChoice: {
        const nlohmann::json& key = p.IsNestedChoice() ? v.at("_name") : v;
        size_t option = 0;
        while (option + 1 < p.options.size() && p.options[option] != key) ++option;
        if (unit(rng) < shrink) option = std::uniform_int_distribution<size_t>(0, p.options.size() - 1)(rng);
        if (!p.IsNestedChoice()) {
          out[p.name] = p.options[option];
          break;
        }
        std::vector<const nlohmann::json*> sub;  // still best first
        for (const nlohmann::json* c : configs)
          if (c->at(p.name).at("_name") == p.options[option]) sub.push_back(&c->at(p.name));
        nlohmann::json value = Perturb(p.nested[option], sub, rng);
        value["_name"] = p.options[option];
        out[p.name] = std::move(value);
        break;
      }
      case ParamType::kRandint: {
        long long x = v.get<long long>();
        if (unit(rng) < shrink)
          x = std::uniform_int_distribution<long long>(static_cast<long long>(p.a), static_cast<long long>(p.b) - 1)(rng);
        out[p.name] = x;
        break;
      }
      case ParamType::kNormal:
      case ParamType::kQnormal:
      case ParamType::kLognormal:
      case ParamType::kQlognormal: {
        double center = Warp(p, v.get<double>());
        double x = std::normal_distribution<double>(center, p.b * shrink)(rng);
        out[p.name] = p.Finish(Unwarp(p, x));
        break;
      }
      default: {
        double lo = Warp(p, p.a), hi = Warp(p, p.b);
        double half = 0.5 * (hi - lo) * shrink;
        double mid = std::clamp(Warp(p, v.get<double>()), lo + half, hi - half);
        double x = std::uniform_real_distribution<double>(mid - half, mid + half)(rng);
        out[p.name] = p.Finish(Unwarp(p, x));
      }
    }
  }
  return out;
}

std::optional<nlohmann::json> AnnealTuner::RandomUnseen(std::mt19937_64& rng) {
  return seen_.DrawUnseen(space_, rng);
}

std::optional<nlohmann::json> AnnealTuner::Next() {
  std::mt19937_64 rng = RngFor(handed_out_);
  if (handed_out_ >= static_cast<uint64_t>(options_.n_startup_jobs) && !history_.empty()) {
    std::vector<const Observation*> ranked;
    for (const auto& o : history_) ranked.push_back(&o);
    std::sort(ranked.begin(), ranked.end(), [](const Observation* a, const Observation* b) {
      return std::tie(a->tier, a->loss, a->order) < std::tie(b->tier, b->loss, b->order);
    });
    std::vector<const nlohmann::json*> configs;
    for (const Observation* o : ranked) configs.push_back(&o->params);
    for (int i = 0; i < kModelTries; ++i) {
      nlohmann::json config = Perturb(space_, configs, rng);
      if (seen_.Insert(config)) return config;
    }
  }
  return RandomUnseen(rng);
}

StatusOr<std::vector<nlohmann::json>> AnnealTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < count && !IsExhausted(); ++i) {
    auto config = Next();
    if (!config) break;
    ++handed_out_;
    out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted()) {
    return Exhausted("anneal: the search space has " + std::to_string(seen_.enumerator()->size()) +
                     " configurations and all have been suggested");
  }
  return out;
}

void AnnealTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  double sign = options_.mode == OptimizeMode::kMaximize ? -1.0 : 1.0;
  for (const auto& r : completed) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    if (!space_.Contains(r.params)) continue;
    Observation o;
    o.order = static_cast<int64_t>(history_.size());
    o.params = r.params;
    if (r.HasRankableFinal()) {
      o.tier = 0;
      o.loss = sign * *r.final_value;
    } else {
      for (auto it = r.intermediate.rbegin(); it != r.intermediate.rend(); ++it) {
        if (!std::isfinite(it->value)) continue;
        o.tier = 1;
        o.loss = sign * it->value;
        break;
      }
    }
    history_.push_back(std::move(o));
  }
  for (const auto& r : active)
    if (r.params.is_object()) seen_.Insert(r.params);
  handed_out_ = std::max<uint64_t>(handed_out_, seen_.size());
}

}  // namespace hone
