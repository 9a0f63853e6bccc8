// BracketPlan: Hyperband's brackets of successive halving (Li et al. 2018), shared by the
// hyperband and bohb tuners, which differ only in how a bracket's new configurations are
// drawn (at random, or from a model).
//
// Budgets run from min_budget to max_budget in factors of eta; s_max = floor(log_eta(
// max_budget / min_budget)). Bracket b has s = s_max - (b mod (s_max + 1)) (the most
// aggressive first, then repeating), n = ceil((s_max + 1) / (s + 1) * eta^s)
// configurations, and rungs i = 0..s with floor(n / eta^i) configurations at budget
// max_budget * eta^(i - s) (rounded to an integer when integral_budgets). A rung's best
// floor(n / eta^(i+1)) go on to rung i + 1 as new trials once every trial of the rung has
// finished (synchronous within a bracket, as NNI and BOHB).
//   max_budget 9, min_budget 1, eta 3: s_max 2; bracket 0: 9 configs at budget 1, the best
//   3 at budget 3, the best 1 at budget 9; bracket 1: 5 at 3, 1 at 9; bracket 2: 3 at 9.
//
// Next() hands out work in a fixed order: older brackets first, higher rungs first, then
// new configurations for the newest bracket, then (parallel mode) a new bracket when
// everything else waits for results. A trial's configuration carries its budget as
// TRIAL_BUDGET. Finished trials come back through Record(); ones this plan never handed
// out (a resumed run) are claimed by the slots they fill, in config_id order, so a
// resumed plan continues where the interrupted one stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

struct BracketOptions {
  double min_budget = 1;
  double max_budget = 81;
  double eta = 3;
  bool integral_budgets = true;
  bool parallel = true;  // false: NNI's "serial" exec_mode, one bracket at a time
  OptimizeMode mode = OptimizeMode::kMaximize;
};

// Checks min_budget > 0, max_budget >= min_budget, eta > 1.
Status ValidateBracketOptions(const BracketOptions& options, const std::string& tuner);

class BracketPlan {
 public:
  // Draws a new configuration (without TRIAL_BUDGET) for the `index`-th first-rung slot
  // of the whole run, at `budget`; nullopt when the space has nothing new left.
  using Sampler = std::function<std::optional<nlohmann::json>(uint64_t index, double budget)>;
  // Marks a configuration as used (a resumed run's, claimed without drawing).
  using Claimer = std::function<void(const nlohmann::json& config)>;

  BracketPlan(BracketOptions options, Sampler sampler, Claimer claimer);

  // The next piece of work (configuration with TRIAL_BUDGET), or nullopt when everything
  // waits for results. `exhausted` is set when nothing will ever come again.
  std::optional<nlohmann::json> Next(bool* exhausted);
  // Up to `count` pieces of work for a tuner's Suggest: fewer when the rest waits for
  // results; Exhausted (naming `tuner`) when nothing was left and nothing ever will be.
  // *exhausted says whether nothing will ever come again.
  StatusOr<std::vector<nlohmann::json>> Suggest(int count, const std::string& tuner, bool* exhausted);
  // A finished trial (any status) or, with `running`, an active one the plan may not know.
  void Record(const TrialRecord& trial, bool running);
  // Tuner::Update: every completed and active trial.
  void RecordAll(std::span<const TrialRecord> completed, std::span<const TrialRecord> active);

  int s_max() const { return s_max_; }
  double BudgetOf(int s, int rung) const;
  int RungSize(int s, int rung) const;
  // Scores of finished trials by budget (larger is better; failed ones are absent).
  const std::map<double, std::vector<std::pair<nlohmann::json, double>>>& results() const { return results_; }
  bool AllDone() const;

 private:
  enum class State { kPending, kRunning, kDone };
  struct Entry {
    nlohmann::json config;  // without TRIAL_BUDGET
    std::string key;
    State state = State::kPending;
    std::optional<double> score;  // larger is better
    int64_t order = 0;            // hand-out order, for ties
  };
  struct Rung {
    double budget = 0;
    int size = 0;
    bool determined = false;  // rung 0: always; others: once the rung below finished
    std::vector<Entry> entries;
  };
  struct Bracket {
    int s = 0;
    std::vector<Rung> rungs;
  };
  struct Orphan {
    int64_t config_id = 0;
    nlohmann::json config;
    std::string key;
    double budget = 0;
    bool running = false;
    std::optional<double> score;
  };

  void OpenBracket();
  bool BracketComplete(const Bracket& b) const;
  void Promote(Bracket& b);
  std::optional<Orphan> TakeOrphan(double budget, const std::string* key);
  nlohmann::json WithBudget(const nlohmann::json& config, double budget) const;
  std::optional<double> Score(const TrialRecord& trial) const;

  BracketOptions options_;
  Sampler sampler_;
  Claimer claimer_;
  int s_max_ = 0;
  std::vector<Bracket> brackets_;
  uint64_t first_rung_slots_ = 0;
  int64_t handed_ = 0;
  bool sampler_dry_ = false;
  std::vector<Orphan> orphans_;
  std::map<double, std::vector<std::pair<nlohmann::json, double>>> results_;
};

}  // namespace hone
