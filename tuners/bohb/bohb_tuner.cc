#include "tuners/bohb/bohb_tuner.h"

#include "tuners/draw_tuner.h"
#include "tuners/hyperband/hyperband_tuner.h"
#include "tuners/hyperband/scheduler_args.h"
#include "tuners/tpe/tpe_tuner.h"

namespace hone {

StatusOr<std::unique_ptr<Tuner>> BohbTuner::Create(const TunerContext& ctx) {
  auto brackets = ParseBracketOptions(ctx, "bohb");
  if (!brackets.ok()) return brackets.status();
  const auto& args = ctx.class_args;
  BohbModelOptions m;
  auto points = SchedulerNumberArg(args, "bohb", {"min_points_in_model"}, 0.0, 0, 1e6, true);
  if (!points.ok()) return points.status();
  auto top = SchedulerNumberArg(args, "bohb", {"top_n_percent"}, 15.0, 1, 99);
  if (!top.ok()) return top.status();
  auto samples = SchedulerNumberArg(args, "bohb", {"num_samples"}, 64.0, 1, 1e6, true);
  if (!samples.ok()) return samples.status();
  auto random = SchedulerNumberArg(args, "bohb", {"random_fraction"}, 1.0 / 3, 0, 1);
  if (!random.ok()) return random.status();
  for (const char* ignored : {"bandwidth_factor", "min_bandwidth"}) {
    auto v = SchedulerNumberArg(args, "bohb", {ignored}, 1.0, 0, 1e12);
    if (!v.ok()) return v.status();
  }
  m.min_points_in_model = static_cast<int>(*points);
  m.top_n_percent = *top;
  m.num_samples = static_cast<int>(*samples);
  m.random_fraction = *random;
  return std::unique_ptr<Tuner>(new BohbTuner(*ctx.space, *brackets, m, ctx.seed));
}

BohbTuner::BohbTuner(const SearchSpace& space, const BracketOptions& brackets, const BohbModelOptions& model,
                     uint64_t seed)
    : space_(space), model_(model), seed_(seed), seen_(space),
      plan_(brackets, [this](uint64_t slot, double) { return Draw(slot); },
            [this](const nlohmann::json& config) { seen_.Insert(config); }) {
  if (model_.min_points_in_model <= 0) model_.min_points_in_model = static_cast<int>(space_.params().size()) + 1;
}

std::optional<nlohmann::json> BohbTuner::Draw(uint64_t slot) {
  std::mt19937_64 rng = SeededRng(seed_, slot, 0xb0bu);
  bool random = std::uniform_real_distribution<double>(0, 1)(rng) < model_.random_fraction;
  if (!random) {
    if (auto config = ModelDraw(slot)) {
      ++model_draws_;
      return config;
    }
  }
  return seen_.DrawUnseen(space_, rng);
}

std::optional<nlohmann::json> BohbTuner::ModelDraw(uint64_t slot) {
  // The largest budget with enough results, as BOHB.
  const auto& results = plan_.results();
  const std::vector<std::pair<nlohmann::json, double>>* points = nullptr;
  for (auto it = results.rbegin(); it != results.rend(); ++it) {
    if (static_cast<int>(it->second.size()) >= model_.min_points_in_model) {
      points = &it->second;
      break;
    }
  }
  if (!points) return std::nullopt;
  TunerContext ctx;
  ctx.space = &space_;
  ctx.seed = seed_ ^ (0x9e3779b97f4a7c15ull * (slot + 1));
  ctx.mode = OptimizeMode::kMaximize;  // scores are oriented: larger is better
  // BOHB's model is one multivariate kernel density estimate (proper densities), so the
  // joint, normalized form of hone's TPE rather than tpe's per-parameter defaults.
  ctx.class_args = {{"optimize_mode", "maximize"},
                    {"multivariate", true},
                    {"normalized_kernels", true},
                    {"n_startup_jobs", 0},
                    {"gamma", model_.top_n_percent / 100.0},
                    {"n_ei_candidates", model_.num_samples}};
  auto tpe = TpeTuner::Create(ctx);
  if (!tpe.ok()) return std::nullopt;
  std::vector<TrialRecord> history;
  for (size_t i = 0; i < points->size(); ++i) {
    TrialRecord r;
    r.seq = r.config_id = static_cast<int64_t>(i);
    r.id = std::to_string(i);
    r.status = TrialStatus::kSucceeded;
    r.params = (*points)[i].first;
    r.final_value = (*points)[i].second;
    r.final_metrics = {{"default", (*points)[i].second}};
    history.push_back(std::move(r));
  }
  (*tpe)->Update(history, {});
  auto suggested = (*tpe)->Suggest(1);
  if (!suggested.ok() || suggested->empty()) return std::nullopt;
  nlohmann::json config = std::move((*suggested)[0]);
  if (!seen_.Insert(config)) return std::nullopt;  // used at another budget: draw at random
  return config;
}

StatusOr<std::vector<nlohmann::json>> BohbTuner::Suggest(int count) {
  return plan_.Suggest(count, "bohb", &exhausted_);
}

void BohbTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  plan_.RecordAll(completed, active);
}

}  // namespace hone
