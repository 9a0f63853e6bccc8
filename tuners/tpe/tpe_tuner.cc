#include "tuners/tpe/tpe_tuner.h"

#include <algorithm>
#include <cmath>

namespace hone {
namespace {

constexpr int kModelTries = 8;        // model draws before falling back to random ones

Status ArgError(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return InvalidArgument("tpe: classArgs." + key + ": " + what + ", but got " + got.dump());
}

StatusOr<long long> IntArg(const nlohmann::json& v, const std::string& key, long long min) {
  double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!v.is_number() || std::trunc(d) != d || d < static_cast<double>(min))
    return ArgError(key, "expected an integer >= " + std::to_string(min), v);
  return v.is_number_integer() ? v.get<long long>() : static_cast<long long>(d);
}

}  // namespace

StatusOr<TpeOptions> TpeTuner::ParseOptions(const TunerContext& ctx) {
  TpeOptions o;
  o.mode = ctx.mode;
  o.seed = ctx.seed;
  nlohmann::json args = nlohmann::json::object();
  if (ctx.class_args.is_object()) {
    for (const auto& [k, v] : ctx.class_args.items())
      if (k != "tpe_args") args[k] = v;
    if (ctx.class_args.contains("tpe_args")) {
      const auto& nested = ctx.class_args["tpe_args"];
      if (!nested.is_object() && !nested.is_null()) return ArgError("tpe_args", "expected a map", nested);
      if (nested.is_object())
        for (const auto& [k, v] : nested.items()) args[k] = v;
    }
  }
  bool gamma_given = false;
  for (const auto& [key, v] : args.items()) {
    if (key == "optimize_mode") {
      if (v != "maximize" && v != "minimize") return ArgError(key, "expected 'maximize' or 'minimize'", v);
      o.mode = v == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
    } else if (key == "seed") {
      auto s = IntArg(v, key, std::numeric_limits<long long>::min());
      if (!s.ok()) return s.status();
      o.seed = static_cast<uint64_t>(*s);
    } else if (key == "n_startup_jobs") {
      auto n = IntArg(v, key, 0);
      if (!n.ok()) return n.status();
      o.n_startup_jobs = static_cast<int>(std::min<long long>(*n, 1 << 30));
    } else if (key == "n_ei_candidates") {
      auto n = IntArg(v, key, 1);
      if (!n.ok()) return n.status();
      o.model.n_ei_candidates = static_cast<int>(std::min<long long>(*n, 1 << 20));
    } else if (key == "linear_forgetting") {
      auto n = IntArg(v, key, 0);
      if (!n.ok()) return n.status();
      o.model.linear_forgetting = static_cast<int>(std::min<long long>(*n, 1 << 30));
    } else if (key == "gamma") {
      if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 1)
        return ArgError(key, "expected a number in (0, 1]", v);
      o.model.gamma = v.get<double>();
      gamma_given = true;
    } else if (key == "prior_weight") {
      if (!v.is_number() || !(v.get<double>() > 0)) return ArgError(key, "expected a number > 0", v);
      o.model.prior_weight = v.get<double>();
    } else if (key == "multivariate") {
      if (!v.is_boolean()) return ArgError(key, "expected true or false", v);
      o.model.multivariate = v.get<bool>();
    } else if (key == "normalized_kernels") {
      if (!v.is_boolean()) return ArgError(key, "expected true or false", v);
      o.model.normalized_kernels = v.get<bool>();
    } else if (key == "gamma_rule") {
      if (v == "hyperopt") {
        o.model.gamma_rule = GammaRule::kSqrt;
      } else if (v == "optuna") {
        o.model.gamma_rule = GammaRule::kLinear;
      } else {
        return ArgError(key, "expected 'hyperopt' or 'optuna'", v);
      }
    } else if (key == "constant_liar_type") {
      if (v.is_null() || v == "none") {
        o.liar = LiarType::kNone;
      } else if (v == "best") {
        o.liar = LiarType::kBest;
      } else if (v == "worst") {
        o.liar = LiarType::kWorst;
      } else if (v == "mean") {
        o.liar = LiarType::kMean;
      } else {
        return ArgError(key, "expected one of 'best', 'worst', 'mean', 'none'", v);
      }
    } else {
      return ArgError(key, "unknown key", v);
    }
  }
  if (!gamma_given) o.model.gamma = o.model.gamma_rule == GammaRule::kLinear ? 0.1 : 0.25;
  return o;
}

StatusOr<std::unique_ptr<Tuner>> TpeTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("tpe: no search space");
  auto options = ParseOptions(ctx);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Tuner>(new TpeTuner(*ctx.space, *options));
}

TpeTuner::TpeTuner(const SearchSpace& space, const TpeOptions& options)
    : DrawTuner(space, options.seed, 0x7e9u), options_(options), history_(space) {}

TpeScore TpeTuner::ScoreOf(const TrialRecord& r) const {
  double sign = options_.mode == OptimizeMode::kMaximize ? -1.0 : 1.0;
  TpeScore s;
  s.order = arrivals_;
  if (r.HasRankableFinal()) {
    s.tier = 0;
    s.loss = sign * *r.final_value;
    return s;
  }
  for (auto it = r.intermediate.rbegin(); it != r.intermediate.rend(); ++it) {
    if (std::isfinite(it->value)) {
      s.tier = 1;
      s.loss = sign * it->value;
      return s;
    }
  }
  return s;  // tier 2: nothing to rank
}

std::optional<TpeScore> TpeTuner::Lie() const {
  if (options_.liar == LiarType::kNone) return std::nullopt;
  TpeScore s;
  s.order = arrivals_;
  if (finished_losses_.empty()) return s;  // nothing ranked yet: the lie ranks last
  s.tier = 0;
  const auto& f = finished_losses_;
  switch (options_.liar) {
    case LiarType::kBest: s.loss = *std::min_element(f.begin(), f.end()); break;
    case LiarType::kWorst: s.loss = *std::max_element(f.begin(), f.end()); break;
    default: {
      double sum = 0;
      for (double x : f) sum += x;
      s.loss = sum / static_cast<double>(f.size());
    }
  }
  return s;
}

std::optional<nlohmann::json> TpeTuner::Next() {
  std::mt19937_64 rng = RngFor(handed_out_);
  if (handed_out_ >= static_cast<uint64_t>(options_.n_startup_jobs) && history_.size() > 0) {
    TpeSampler sampler(history_, options_.model);
    for (int i = 0; i < kModelTries; ++i) {
      nlohmann::json config = sampler.Sample(rng);
      if (seen_.Insert(config)) return config;
    }
  }
  return seen_.DrawUnseen(space_, rng);
}

StatusOr<std::vector<nlohmann::json>> TpeTuner::Suggest(int count) {
  std::optional<TpeScore> lie = Lie();
  size_t lies = 0;
  if (lie) {
    for (const auto& config : pending_) {
      history_.Add(config, *lie);
      ++lies;
    }
  }
  auto out = DrawEach(count, [&](const std::vector<nlohmann::json>& so_far) {
    auto config = Next();
    // Each member of the batch but the last joins the history with the lie.
    if (config && lie && static_cast<int>(so_far.size()) + 1 < count) {
      history_.Add(*config, *lie);
      ++lies;
    }
    return config;
  });
  for (; lies > 0; --lies) history_.PopLast();
  if (out.ok())
    for (const auto& config : *out) pending_.push_back(config);
  return out;
}

void TpeTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  for (const auto& r : completed) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    if (!space_.Contains(r.params)) continue;  // from another space: nothing to model
    TpeScore s = ScoreOf(r);
    history_.Add(r.params, s);
    ++arrivals_;
    if (s.tier == 0) finished_losses_.push_back(s.loss);
  }
  pending_.clear();
  for (const auto& r : active) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    if (space_.Contains(r.params)) pending_.push_back(r.params);
  }
  CatchUp();
}

}  // namespace hone
