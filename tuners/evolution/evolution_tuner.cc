#include "tuners/evolution/evolution_tuner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tuners/evolution/mutation.h"
#include "tuners/tuner_args.h"

namespace hone {
namespace {

constexpr int kMutationTries = 32;
constexpr int kDrawTries = 64;

StatusOr<std::unique_ptr<Tuner>> Make(const TunerContext& ctx, EvolutionTuner::Policy policy,
                                      const char* name, int default_pop, int default_sample) {
  if (ctx.space == nullptr) return InvalidArgument(std::string(name) + ": no search space");
  const nlohmann::json& args = ctx.class_args;
  EvolutionTuner::Options o;
  o.policy = policy;
  o.mode = ctx.mode;
  o.seed = static_cast<uint64_t>(ArgOr<long long>(args, "seed", static_cast<long long>(ctx.seed)));
  long long pop = ArgOr<long long>(args, "population_size", default_pop);
  if (pop > 1000000)
    return InvalidArgument(std::string(name) + ": classArgs.population_size must lie in [1, 1000000]");
  o.population_size = static_cast<int>(pop);
  if (policy == EvolutionTuner::Policy::kAging) {
    long long sample = ArgOr<long long>(args, "sample_size", default_sample);
    if (sample > pop)
      return InvalidArgument(std::string(name) + ": classArgs.sample_size must lie in [1, population_size = " +
                             std::to_string(pop) + "], but got " + std::to_string(sample));
    o.sample_size = static_cast<int>(sample);
  } else {
    o.sample_size = std::max(2, o.population_size / 8);
  }
  return std::unique_ptr<Tuner>(new EvolutionTuner(*ctx.space, o));
}

}  // namespace

StatusOr<std::unique_ptr<Tuner>> EvolutionTuner::CreateEvolution(const TunerContext& ctx) {
  return Make(ctx, Policy::kTournamentReplaceWorst, "evolution", 32, 0);
}

// Population 10 and sample 3, as in the published NAS-Bench-201 setting, so that it evolves
// within a budget of 100 trials (NNI's 100 and 25 are random search at that budget).
StatusOr<std::unique_ptr<Tuner>> EvolutionTuner::CreateRegularized(const TunerContext& ctx) {
  return Make(ctx, Policy::kAging, "regularized_evolution", 10, 3);
}

EvolutionTuner::EvolutionTuner(const SearchSpace& space, Options options)
    : DrawTuner(space, options.seed, 0x65766fu), options_(options) {}

std::string_view EvolutionTuner::Name() const {
  return options_.policy == Policy::kAging ? "regularized_evolution" : "evolution";
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
  return DrawEach(count, [this](const std::vector<nlohmann::json>&) { return Next(); });
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
  See(active);
  CatchUp();
}

}  // namespace hone
