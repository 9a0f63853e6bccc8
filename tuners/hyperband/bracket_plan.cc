#include "tuners/hyperband/bracket_plan.h"

#include <algorithm>
#include <cmath>

#include "tuners/config_key.h"
#include "core/tuner.h"

namespace hone {
namespace {

bool SameBudget(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a)); }

}  // namespace

Status ValidateBracketOptions(const BracketOptions& o, const std::string& tuner) {
  if (!(o.min_budget > 0))
    return InvalidArgument(tuner + ": classArgs: the minimum budget must be > 0, but got " + std::to_string(o.min_budget));
  if (!(o.max_budget >= o.min_budget))
    return InvalidArgument(tuner + ": classArgs: the maximum budget must be >= the minimum budget (" +
                           std::to_string(o.min_budget) + "), but got " + std::to_string(o.max_budget));
  if (!(o.eta > 1)) return InvalidArgument(tuner + ": classArgs.eta: must be > 1, but got " + std::to_string(o.eta));
  return Status::Ok();
}

BracketPlan::BracketPlan(BracketOptions options, Sampler sampler, Claimer claimer)
    : options_(options), sampler_(std::move(sampler)), claimer_(std::move(claimer)) {
  s_max_ = static_cast<int>(std::floor(std::log(options_.max_budget / options_.min_budget) / std::log(options_.eta) + 1e-9));
  s_max_ = std::max(s_max_, 0);
}

double BracketPlan::BudgetOf(int s, int rung) const {
  double b = options_.max_budget * std::pow(options_.eta, rung - s);
  if (options_.integral_budgets) b = std::max(1.0, std::round(b));
  return b;
}

int BracketPlan::RungSize(int s, int rung) const {
  double n = std::ceil((s_max_ + 1.0) / (s + 1.0) * std::pow(options_.eta, s) - 1e-9);
  return std::max(1, static_cast<int>(std::floor(n / std::pow(options_.eta, rung) + 1e-9)));
}

void BracketPlan::OpenBracket() {
  Bracket b;
  b.s = s_max_ - static_cast<int>(brackets_.size() % static_cast<size_t>(s_max_ + 1));
  for (int i = 0; i <= b.s; ++i) {
    Rung r;
    r.budget = BudgetOf(b.s, i);
    r.size = RungSize(b.s, i);
    r.determined = i == 0;
    b.rungs.push_back(std::move(r));
  }
  brackets_.push_back(std::move(b));
}

nlohmann::json BracketPlan::WithBudget(const nlohmann::json& config, double budget) const {
  nlohmann::json out = config;
  if (options_.integral_budgets) {
    out[kTrialBudgetParam] = static_cast<int64_t>(budget);
  } else {
    out[kTrialBudgetParam] = budget;
  }
  return out;
}

std::optional<double> BracketPlan::Score(const TrialRecord& trial) const {
  if (!trial.HasRankableFinal()) return std::nullopt;
  return options_.mode == OptimizeMode::kMaximize ? *trial.final_value : -*trial.final_value;
}

std::optional<BracketPlan::Orphan> BracketPlan::TakeOrphan(double budget, const std::string* key) {
  for (auto it = orphans_.begin(); it != orphans_.end(); ++it) {
    if (!SameBudget(it->budget, budget) || (key && it->key != *key)) continue;
    Orphan o = std::move(*it);
    orphans_.erase(it);
    return o;
  }
  return std::nullopt;
}

void BracketPlan::Promote(Bracket& b) {
  for (size_t i = 1; i < b.rungs.size(); ++i) {
    Rung& below = b.rungs[i - 1];
    Rung& rung = b.rungs[i];
    if (rung.determined || !below.determined) continue;
    bool full = static_cast<int>(below.entries.size()) >= below.size || (i == 1 && sampler_dry_ && orphans_.empty());
    if (!full || below.entries.empty()) return;
    for (const auto& e : below.entries)
      if (e.state != State::kDone) return;
    std::vector<const Entry*> ranked;
    for (const auto& e : below.entries) ranked.push_back(&e);
    std::stable_sort(ranked.begin(), ranked.end(), [](const Entry* a, const Entry* c) {
      if (a->score.has_value() != c->score.has_value()) return a->score.has_value();
      if (a->score && *a->score != *c->score) return *a->score > *c->score;
      return a->order < c->order;
    });
    size_t keep = std::min<size_t>(static_cast<size_t>(rung.size), ranked.size());
    for (size_t k = 0; k < keep; ++k) {
      Entry e;
      e.config = ranked[k]->config;
      e.key = ranked[k]->key;
      rung.entries.push_back(std::move(e));
    }
    rung.determined = true;
  }
}

bool BracketPlan::BracketComplete(const Bracket& b) const {
  for (const auto& r : b.rungs) {
    if (!r.determined) return false;
    for (const auto& e : r.entries)
      if (e.state != State::kDone) return false;
  }
  const Rung& first = b.rungs.front();
  return static_cast<int>(first.entries.size()) >= first.size || sampler_dry_;
}

bool BracketPlan::AllDone() const {
  for (const auto& b : brackets_)
    if (!BracketComplete(b)) return false;
  return true;
}

StatusOr<std::vector<nlohmann::json>> BracketPlan::Suggest(int count, const std::string& tuner, bool* exhausted) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < count; ++i) {
    auto next = Next(exhausted);
    if (!next) break;
    out.push_back(std::move(*next));
  }
  if (out.empty() && *exhausted) return Exhausted(tuner + ": every configuration of the space has been run");
  return out;
}

void BracketPlan::RecordAll(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  for (const auto& r : completed) Record(r, false);
  for (const auto& r : active) Record(r, true);
}

std::optional<nlohmann::json> BracketPlan::Next(bool* exhausted) {
  *exhausted = false;
  for (int guard = 0; guard < 1000000; ++guard) {
    bool progressed = false;
    for (auto& b : brackets_) {
      Promote(b);
      for (size_t i = b.rungs.size(); i-- > 1;) {
        Rung& rung = b.rungs[i];
        if (!rung.determined) continue;
        for (auto& e : rung.entries) {
          if (e.state != State::kPending) continue;
          e.order = handed_++;
          if (auto o = TakeOrphan(rung.budget, &e.key)) {
            e.state = o->running ? State::kRunning : State::kDone;
            e.score = o->score;
            progressed = true;
            continue;
          }
          e.state = State::kRunning;
          return WithBudget(e.config, rung.budget);
        }
      }
      Rung& first = b.rungs.front();
      while (static_cast<int>(first.entries.size()) < first.size) {
        Entry e;
        e.order = handed_++;
        if (auto o = TakeOrphan(first.budget, nullptr)) {
          e.config = std::move(o->config);
          e.key = std::move(o->key);
          e.state = o->running ? State::kRunning : State::kDone;
          e.score = o->score;
          claimer_(e.config);
          ++first_rung_slots_;
          first.entries.push_back(std::move(e));
          progressed = true;
          continue;
        }
        if (sampler_dry_) break;
        auto config = sampler_(first_rung_slots_, first.budget);
        if (!config) {
          sampler_dry_ = true;
          progressed = true;
          break;
        }
        ++first_rung_slots_;
        e.config = std::move(*config);
        e.key = ConfigKey(e.config);
        e.state = State::kRunning;
        first.entries.push_back(e);
        return WithBudget(e.config, first.budget);
      }
      if (progressed) break;  // claims may have completed a rung: look again from the start
    }
    if (progressed) continue;
    if (sampler_dry_) {
      *exhausted = AllDone() && orphans_.empty();
      return std::nullopt;
    }
    if (!brackets_.empty() && !options_.parallel && !BracketComplete(brackets_.back())) return std::nullopt;
    // Everything open waits for results (or, resuming, the run's remaining trials belong
    // to a later bracket): open the next one.
    OpenBracket();
  }
  return std::nullopt;
}

void BracketPlan::Record(const TrialRecord& trial, bool running) {
  if (!trial.params.is_object() || !trial.params.contains(kTrialBudgetParam) ||
      !trial.params[kTrialBudgetParam].is_number())
    return;
  double budget = trial.params[kTrialBudgetParam].get<double>();
  nlohmann::json config = trial.params;
  config.erase(kTrialBudgetParam);
  std::string key = ConfigKey(config);
  std::optional<double> score = running ? std::nullopt : Score(trial);
  if (score) results_[budget].emplace_back(config, *score);
  for (auto& b : brackets_) {
    for (auto& r : b.rungs) {
      if (!SameBudget(r.budget, budget)) continue;
      for (auto& e : r.entries) {
        if (e.key != key || e.state != State::kRunning) continue;
        if (!running) {
          e.state = State::kDone;
          e.score = score;
        }
        return;
      }
    }
  }
  for (auto& known : orphans_) {
    if (known.key != key || !SameBudget(known.budget, budget) || !known.running) continue;
    if (!running) {  // a rerun that finished before a slot claimed it
      known.running = false;
      known.score = score;
    }
    return;
  }
  Orphan o;
  o.config_id = trial.config_id;
  o.config = std::move(config);
  o.key = std::move(key);
  o.budget = budget;
  o.running = running;
  o.score = score;
  auto at = std::upper_bound(orphans_.begin(), orphans_.end(), o.config_id,
                             [](int64_t id, const Orphan& x) { return id < x.config_id; });
  orphans_.insert(at, std::move(o));
}

}  // namespace hone
