#include "tuners/cmaes/cmaes_tuner.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tuners/config_key.h"
#include "tuners/tuner_args.h"

namespace hone {
namespace {

constexpr int kRedraws = 16;

// Reflects x into [0, 1].
double Mirror(double x) {
  x = std::fmod(std::fabs(x), 2.0);
  return x > 1 ? 2 - x : x;
}

std::vector<size_t> NumericTopLevel(const UnitCubeEncoding& enc) {
  std::vector<size_t> out;
  for (size_t j = 0; j < enc.size(); ++j)
    if (!enc.dims()[j].categorical && !enc.dims()[j].nested) out.push_back(j);
  return out;
}

int Population(const CmaesTunerOptions& o, size_t n) {
  return o.popsize > 0 ? o.popsize : CmaEs::DefaultPopulation(static_cast<int>(n));
}

}  // namespace

StatusOr<std::unique_ptr<Tuner>> CmaesTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("cmaes: no search space");
  const nlohmann::json& args = ctx.class_args;
  CmaesTunerOptions o;
  o.seed = SeedThroughDouble(args, ctx.seed);
  o.mode = ModeArgOr(args, ctx.mode);
  o.popsize = ArgOr<int>(args, "popsize", o.popsize);
  o.sigma0 = ArgOr<double>(args, "sigma0", o.sigma0);
  // The ArgSpec's bound is inclusive; a zero step size would never move.
  if (!(o.sigma0 > 0))
    return InvalidArgument("cmaes: classArgs.sigma0: expected a number > 0, but got " + args["sigma0"].dump());
  return std::unique_ptr<Tuner>(new CmaesTuner(*ctx.space, o));
}

CmaesTuner::CmaesTuner(const SearchSpace& space, CmaesTunerOptions options)
    : DrawTuner(space, options.seed, 0xc3au),
      options_(options),
      encoding_(space),
      numeric_dims_(NumericTopLevel(encoding_)),
      es_(Eigen::VectorXd::Constant(numeric_dims_.size(), 0.5), options.sigma0,
          Population(options, numeric_dims_.size())) {}

// A configuration whose numeric top-level values come from the strategy and whose
// choices are random; redrawn while it repeats one of this tuner's configurations.
std::optional<nlohmann::json> CmaesTuner::FillSlot(std::mt19937_64& rng, Eigen::VectorXd& x) {
  for (int attempt = 0; attempt < kRedraws; ++attempt) {
    std::vector<double> cube = encoding_.Encode(space_.Sample(rng));
    if (!numeric_dims_.empty()) {
      x = es_.SampleOne(rng).unaryExpr([](double v) { return Mirror(v); });
      for (size_t i = 0; i < numeric_dims_.size(); ++i) cube[numeric_dims_[i]] = x[i];
    }
    nlohmann::json config = encoding_.Decode(cube);
    if (generated_.insert(ConfigKey(config)).second) return config;
  }
  // Fall back to any configuration not yet generated: random draws, then the
  // enumeration of a finite space.
  auto accept = [&](nlohmann::json config) -> std::optional<nlohmann::json> {
    if (!generated_.insert(ConfigKey(config)).second) return std::nullopt;
    std::vector<double> cube = encoding_.Encode(config);
    x.resize(numeric_dims_.size());
    for (size_t i = 0; i < numeric_dims_.size(); ++i) x[i] = cube[numeric_dims_[i]];
    return config;
  };
  const auto& enumerator = seen_.enumerator();
  for (int i = 0; i < (enumerator ? kRedraws : 1000); ++i)
    if (auto c = accept(space_.Sample(rng))) return c;
  if (!enumerator) return std::nullopt;
  uint64_t n = enumerator->size();
  uint64_t start = std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
  for (uint64_t j = 0; j < n; ++j)
    if (auto c = accept(enumerator->At((start + j) % n))) return c;
  return std::nullopt;
}

void CmaesTuner::StartGeneration() {
  slots_.clear();
  std::mt19937_64 rng = RngFor(es_.generation());
  for (int k = 0; k < es_.lambda(); ++k) {
    Slot slot;
    auto config = FillSlot(rng, slot.x);
    if (!config) break;
    slot.key = ConfigKey(*config);
    slot.config = std::move(*config);
    auto it = unmatched_.find(slot.key);
    if (it != unmatched_.end()) {
      slot.handed_out = slot.done = true;
      slot.value = it->second;
      unmatched_.erase(it);
    }
    slots_.push_back(std::move(slot));
  }
}

bool CmaesTuner::AdvanceIfComplete() {
  if (slots_.empty()) return false;
  for (const auto& s : slots_)
    if (!s.done) return false;
  std::vector<Eigen::VectorXd> xs;
  std::vector<double> values;
  for (const auto& s : slots_) {
    xs.push_back(s.x);
    values.push_back(s.value);
  }
  es_.Tell(xs, values);
  StartGeneration();
  return true;
}

void CmaesTuner::Record(const std::string& key, double value) {
  for (auto& s : slots_) {
    if (s.key != key || s.done) continue;
    s.handed_out = s.done = true;
    s.value = value;
    while (AdvanceIfComplete()) {
    }
    return;
  }
  unmatched_.emplace(key, value);
}

StatusOr<std::vector<nlohmann::json>> CmaesTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  if (count <= 0) return out;
  if (slots_.empty() && es_.generation() == 0 && generated_.empty()) StartGeneration();
  while (static_cast<int>(out.size()) < count && !IsExhausted()) {
    Slot* next = nullptr;
    for (auto& s : slots_)
      if (!s.handed_out) {
        next = &s;
        break;
      }
    if (!next) break;  // the rest of the generation is still running
    next->handed_out = true;
    seen_.Insert(next->config);
    out.push_back(next->config);
  }
  if (out.empty() && (IsExhausted() || slots_.empty())) {
    return Exhausted("cmaes: every configuration of the search space has been suggested");
  }
  return out;
}

void CmaesTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  if (slots_.empty() && es_.generation() == 0 && generated_.empty()) StartGeneration();
  for (const auto& r : completed) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    double value = std::numeric_limits<double>::quiet_NaN();
    if (r.HasRankableFinal())
      value = options_.mode == OptimizeMode::kMinimize ? *r.final_value : -*r.final_value;
    Record(ConfigKey(r.params), value);
  }
  std::unordered_set<std::string> running;
  for (const auto& r : active) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    running.insert(ConfigKey(r.params));
  }
  for (auto& s : slots_)
    if (running.count(s.key)) s.handed_out = true;
  // A configuration handed out that is neither finished nor running was canceled: it
  // will never report, so it ranks worst and the generation can complete.
  bool vanished = false;
  for (auto& s : slots_) {
    if (!s.handed_out || s.done || running.count(s.key)) continue;
    s.done = true;
    s.value = std::numeric_limits<double>::quiet_NaN();
    vanished = true;
  }
  if (vanished) {
    while (AdvanceIfComplete()) {
    }
  }
}

}  // namespace hone
