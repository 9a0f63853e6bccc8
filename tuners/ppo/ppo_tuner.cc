#include "tuners/ppo/ppo_tuner.h"

#include <algorithm>
#include <cmath>

#include "tuners/tuner_args.h"

namespace hone {
namespace {

constexpr int kPolicyTries = 32;
constexpr int kDrawTries = 64;
// Weight of the old baseline when an update's mean reward joins it.
constexpr double kBaselineDecay = 0.5;
constexpr uint32_t kDrawSalt = 0x7070u, kTrainSalt = 0x7071u;

Status ArgError(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return InvalidArgument("ppo: classArgs." + key + ": " + what + ", but got " + got.dump());
}

// A number classArg: the ArgSpecs bound it but let NaN through (it compares false).
StatusOr<double> NumberArg(const nlohmann::json& args, const char* key, double fallback) {
  double v = ArgOr<double>(args, key, fallback);
  if (std::isnan(v)) return ArgError(key, "expected a number", args[key]);
  return v;
}

// An int classArg of at most `max` (the ArgSpecs check the lower bound).
StatusOr<int> IntArg(const nlohmann::json& args, const char* key, int fallback, long long max) {
  long long v = ArgOr<long long>(args, key, fallback);
  if (v > max) return ArgError(key, "expected an integer <= " + std::to_string(max), args[key]);
  return static_cast<int>(v);
}

}  // namespace

StatusOr<PpoTunerOptions> PpoTuner::ParseOptions(const TunerContext& ctx) {
  const nlohmann::json& args = ctx.class_args;
  PpoTunerOptions o;
  o.mode = ModeArgOr(args, ctx.mode);
  o.seed = static_cast<uint64_t>(ArgOr<long long>(args, "seed", static_cast<long long>(ctx.seed)));
  struct IntKey { const char* key; int* out; long long max; };
  for (IntKey k : {IntKey{"trials_per_update", &o.trials_per_update, 100000},
                   IntKey{"epochs_per_update", &o.ppo.epochs_per_update, 1000},
                   IntKey{"minibatch_size", &o.ppo.minibatch_size, 100000}, IntKey{"bins", &o.bins, 1000}}) {
    auto v = IntArg(args, k.key, *k.out, k.max);
    if (!v.ok()) return v.status();
    *k.out = *v;
  }
  double vf_coef = 0;  // accepted for NNI's configs; the baseline is no learned value
  struct NumberKey { const char* key; double* out; };
  for (NumberKey k : {NumberKey{"ent_coef", &o.ppo.ent_coef}, NumberKey{"lr", &o.ppo.lr},
                      NumberKey{"vf_coef", &vf_coef}, NumberKey{"max_grad_norm", &o.ppo.max_grad_norm},
                      NumberKey{"gamma", &o.gamma}, NumberKey{"lam", &o.lam},
                      NumberKey{"cliprange", &o.ppo.cliprange}}) {
    auto v = NumberArg(args, k.key, *k.out);
    if (!v.ok()) return v.status();
    *k.out = *v;
  }
  if (!(o.ppo.lr > 0)) return ArgError("lr", "expected a number > 0", args["lr"]);
  if (!(o.ppo.cliprange > 0)) return ArgError("cliprange", "expected a number > 0", args["cliprange"]);
  return o;
}

StatusOr<std::unique_ptr<Tuner>> PpoTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("ppo: no search space");
  auto options = ParseOptions(ctx);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Tuner>(new PpoTuner(*ctx.space, *options));
}

PpoTuner::PpoTuner(const SearchSpace& space, const PpoTunerOptions& options)
    : DrawTuner(space, options.seed, kDrawSalt),
      options_(options),
      decisions_(space, options.bins),
      policy_(decisions_.action_counts()) {}

std::optional<nlohmann::json> PpoTuner::Next() {
  std::mt19937_64 rng = RngFor(handed_out_);
  for (int i = 0; i < kPolicyTries; ++i) {
    // Flatter and flatter, so that a policy sure of itself still finds a new neighbour.
    double temperature = 1.0 + i / 4.0;
    auto choose = [&](int d) { return policy_.Sample(d, temperature, rng); };
    nlohmann::json config = decisions_.Draw(choose, rng, nullptr);
    if (seen_.Insert(config)) return config;
  }
  return seen_.DrawUnseen(space_, rng, kDrawTries);
}

StatusOr<std::vector<nlohmann::json>> PpoTuner::Suggest(int count) {
  return DrawEach(count, [this](const std::vector<nlohmann::json>&) { return Next(); });
}

void PpoTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  std::vector<const TrialRecord*> done;
  for (const auto& r : completed) done.push_back(&r);
  std::stable_sort(done.begin(), done.end(),
                   [](const TrialRecord* a, const TrialRecord* b) { return a->seq < b->seq; });
  for (const TrialRecord* r : done) {
    if (!r->params.is_object()) continue;
    seen_.Insert(r->params);
    if (r->status != TrialStatus::kSucceeded || !r->HasRankableFinal()) continue;
    double value = *r->final_value;
    pending_.push_back({r->params, options_.mode == OptimizeMode::kMinimize ? -value : value});
    if (static_cast<int>(pending_.size()) >= options_.trials_per_update) Learn();
  }
  See(active);
  CatchUp();
}

void PpoTuner::Learn() {
  double n = static_cast<double>(pending_.size()), mean = 0;
  for (const auto& t : pending_) mean += t.reward / n;
  double baseline = baseline_.value_or(mean), sq = 0;
  for (const auto& t : pending_) sq += (t.reward - baseline) * (t.reward - baseline) / n;
  double rms = std::sqrt(sq);
  // Rewards far apart in magnitude could overflow the square: then no update, as when
  // every reward equals the baseline.
  if (rms > 0 && std::isfinite(rms)) {
    std::vector<std::vector<TrainStep>> batch;
    for (const auto& t : pending_) {
      std::vector<PolicyStep> steps = decisions_.StepsOf(t.params);
      double advantage = (t.reward - baseline) / rms;
      std::vector<TrainStep> train(steps.size());
      for (size_t i = steps.size(); i-- > 0;) {
        train[i] = {steps[i].decision, steps[i].action, advantage, policy_.LogProb(steps[i].decision, steps[i].action)};
        advantage *= options_.gamma * options_.lam;
      }
      batch.push_back(std::move(train));
    }
    std::mt19937_64 rng = SeededRng(options_.seed, static_cast<uint64_t>(updates_), kTrainSalt);
    policy_.Train(batch, options_.ppo, rng);
  }
  baseline_ = baseline_ ? kBaselineDecay * *baseline_ + (1 - kBaselineDecay) * mean : mean;
  ++updates_;
  pending_.clear();
}

}  // namespace hone
