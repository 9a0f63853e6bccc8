#include "tuners/evolution/evolution_tuner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tuners/evolution/mutation.h"

namespace hone {
namespace {

constexpr int kMutationTries = 32;
constexpr int kDrawTries = 64;

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// An integer classArg, or `fallback` when absent.
StatusOr<long long> IntArg(const nlohmann::json& args, const char* tuner, const char* key,
                           long long fallback) {
  if (!args.is_object() || !args.contains(key) || args[key].is_null()) return fallback;
  const auto& v = args[key];
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>())
    return static_cast<long long>(v.get<double>());
  return InvalidArgument(std::string(tuner) + ": classArgs." + key + ": expected an integer, but got " +
                         v.dump());
}

StatusOr<std::unique_ptr<Tuner>> Make(const TunerContext& ctx, EvolutionTuner::Policy policy,
                                      const char* name, int default_pop, int default_sample) {
  if (ctx.space == nullptr) return InvalidArgument(std::string(name) + ": no search space");
  EvolutionTuner::Options o;
  o.policy = policy;
  o.mode = ctx.mode;
  auto seed = IntArg(ctx.class_args, name, "seed", static_cast<long long>(ctx.seed));
  if (!seed.ok()) return seed.status();
  o.seed = static_cast<uint64_t>(*seed);
  auto pop = IntArg(ctx.class_args, name, "population_size", default_pop);
  if (!pop.ok()) return pop.status();
  if (*pop < 1 || *pop > 1000000)
    return InvalidArgument(std::string(name) + ": classArgs.population_size must lie in [1, 1000000]");
  o.population_size = static_cast<int>(*pop);
  if (policy == EvolutionTuner::Policy::kAging) {
    auto sample = IntArg(ctx.class_args, name, "sample_size", default_sample);
    if (!sample.ok()) return sample.status();
    if (*sample < 1 || *sample > *pop)
      return InvalidArgument(std::string(name) + ": classArgs.sample_size must lie in [1, population_size = " +
                             std::to_string(*pop) + "], but got " + std::to_string(*sample));
    o.sample_size = static_cast<int>(*sample);
  } else {
    o.sample_size = std::max(2, o.population_size / 8);
  }
  return std::unique_ptr<Tuner>(new EvolutionTuner(*ctx.space, o));
}

}  // namespace

StatusOr<std::unique_ptr<Tuner>> EvolutionTuner::CreateEvolution(const TunerContext& ctx) {
  return Make(ctx, Policy::kTournamentReplaceWorst, "evolution", 32, 0);
}

StatusOr<std::unique_ptr<Tuner>> EvolutionTuner::CreateRegularized(const TunerContext& ctx) {
  return Make(ctx, Policy::kAging, "regularized_evolution", 100, 25);
}

EvolutionTuner::EvolutionTuner(const SearchSpace& space, Options options)
    : space_(space), options_(options), seen_(space) {}

std::string_view EvolutionTuner::Name() const {
  return options_.policy == Policy::kAging ? "regularized_evolution" : "evolution";
}

std::mt19937_64 EvolutionTuner::RngFor(uint64_t k) const {
  std::seed_seq seq{Low(options_.seed), High(options_.seed), Low(k), High(k), 0x65766fu};
  return std::mt19937_64(seq);
}

void EvolutionTuner::Add(Member m) {
  population_.push_back(std::move(m));
  if (static_cast<int>(population_.size()) <= options_.population_size) return;
  if (options_.policy == Policy::kAging) {
    population_.pop_front();
    return;
  }
  // Drop the worst; among equals the oldest.
  auto worst = population_.begin();
  for (auto it = population_.begin(); it != population_.end(); ++it)
    if (Better(worst->value, it->value, options_.mode)) worst = it;
  population_.erase(worst);
}

const EvolutionTuner::Member& EvolutionTuner::SelectParent(std::mt19937_64& rng) const {
  size_t n = population_.size();
  size_t s = std::min<size_t>(n, static_cast<size_t>(options_.sample_size));
  // The first s of a partial Fisher-Yates shuffle: s distinct members.
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  size_t best = n;
  for (size_t i = 0; i < s; ++i) {
    size_t j = std::uniform_int_distribution<size_t>(i, n - 1)(rng);
    std::swap(idx[i], idx[j]);
    if (best == n || Better(population_[idx[i]].value, population_[best].value, options_.mode))
      best = idx[i];
  }
  return population_[best];
}

std::optional<nlohmann::json> EvolutionTuner::Next() {
  std::mt19937_64 rng = RngFor(handed_out_);
  bool evolve = handed_out_ >= static_cast<uint64_t>(options_.population_size) && !population_.empty();
  if (evolve) {
    const Member& parent = SelectParent(rng);
    for (int i = 0; i < kMutationTries; ++i) {
      nlohmann::json child = Mutate(space_, parent.params, rng);
      if (seen_.Insert(child)) return child;
    }
  }
  return seen_.DrawUnseen(space_, rng, kDrawTries);
}

StatusOr<std::vector<nlohmann::json>> EvolutionTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < count && !IsExhausted(); ++i) {
    auto config = Next();
    if (!config) break;
    ++handed_out_;
    out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted()) {
    return Exhausted(std::string(Name()) + ": the search space has " +
                     std::to_string(seen_.enumerator()->size()) +
                     " configurations and all have been suggested");
  }
  return out;
}

void EvolutionTuner::Update(std::span<const TrialRecord> completed,
                            std::span<const TrialRecord> active) {
  std::vector<const TrialRecord*> done;
  for (const auto& r : completed) done.push_back(&r);
  std::stable_sort(done.begin(), done.end(),
                   [](const TrialRecord* a, const TrialRecord* b) { return a->seq < b->seq; });
  for (const TrialRecord* r : done) {
    if (r->params.is_object()) seen_.Insert(r->params);
    if (r->status == TrialStatus::kSucceeded && r->HasRankableFinal() && r->params.is_object())
      Add(Member{r->seq, r->params, *r->final_value});
  }
  for (const auto& r : active)
    if (r.params.is_object()) seen_.Insert(r.params);
  handed_out_ = std::max<uint64_t>(handed_out_, seen_.size());
}

void RegisterEvolutionTuners(Registry& registry) {
  TunerInfo evo;
  evo.name = "evolution";
  evo.aliases = {"Evolution"};
  evo.summary = "random population, then mutate tournament winners, replacing the worst";
  evo.args = {OptimizeModeArg(), MakeArg("seed", ArgSpec::Kind::kInt),
              MakeArg("population_size", ArgSpec::Kind::kInt, 1)};
  evo.create = &EvolutionTuner::CreateEvolution;
  registry.AddTuner(std::move(evo));

  TunerInfo reg;
  reg.name = "regularized_evolution";
  reg.aliases = {"RegularizedEvolutionTuner", "RegularizedEvolution"};
  reg.summary = "aging evolution: mutate the best of a random sample, drop the oldest";
  reg.args = {OptimizeModeArg(), MakeArg("seed", ArgSpec::Kind::kInt),
              MakeArg("population_size", ArgSpec::Kind::kInt, 1), MakeArg("sample_size", ArgSpec::Kind::kInt, 1)};
  reg.create = &EvolutionTuner::CreateRegularized;
  registry.AddTuner(std::move(reg));
}

}  // namespace hone
