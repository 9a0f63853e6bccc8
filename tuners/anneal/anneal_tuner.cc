#include "tuners/anneal/anneal_tuner.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "tuners/tuner_args.h"

namespace hone {
namespace {

constexpr int kModelTries = 8;

Status ArgError(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return InvalidArgument("anneal: classArgs." + key + ": " + what + ", but got " + got.dump());
}

double Warp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::log(std::max(x, 1e-300)) : x; }
double Unwarp(const ParamSpec& p, double x) { return IsLogKind(p.type) ? std::exp(x) : x; }

}  // namespace

StatusOr<AnnealOptions> AnnealTuner::ParseOptions(const TunerContext& ctx) {
  const nlohmann::json& args = ctx.class_args;
  AnnealOptions o;
  o.mode = ModeArgOr(args, ctx.mode);
  o.seed = static_cast<uint64_t>(ArgOr<long long>(args, "seed", static_cast<long long>(ctx.seed)));
  o.n_startup_jobs = static_cast<int>(std::min(ArgOr<double>(args, "n_startup_jobs", o.n_startup_jobs), 1e9));
  o.avg_best_idx = ArgOr<double>(args, "avg_best_idx", o.avg_best_idx);
  o.shrink_coef = ArgOr<double>(args, "shrink_coef", o.shrink_coef);
  // NaN passes the ArgSpecs' bounds (it compares false with them).
  if (std::isnan(o.avg_best_idx)) return ArgError("avg_best_idx", "expected a number >= 1", args["avg_best_idx"]);
  if (std::isnan(o.shrink_coef)) return ArgError("shrink_coef", "expected a number >= 0", args["shrink_coef"]);
  return o;
}

StatusOr<std::unique_ptr<Tuner>> AnnealTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("anneal: no search space");
  auto options = ParseOptions(ctx);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Tuner>(new AnnealTuner(*ctx.space, *options));
}

AnnealTuner::AnnealTuner(const SearchSpace& space, const AnnealOptions& options)
    : DrawTuner(space, options.seed, 0xa77u), options_(options) {}

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
  return seen_.DrawUnseen(space_, rng);
}

StatusOr<std::vector<nlohmann::json>> AnnealTuner::Suggest(int count) {
  return DrawEach(count, [this](const std::vector<nlohmann::json>&) { return Next(); });
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
  See(active);
  CatchUp();
}

}  // namespace hone
