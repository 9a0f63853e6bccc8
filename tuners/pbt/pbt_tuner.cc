#include "tuners/pbt/pbt_tuner.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "tuners/hyperband/scheduler_args.h"

namespace hone {
namespace fs = std::filesystem;

StatusOr<std::unique_ptr<Tuner>> PbtTuner::Create(const TunerContext& ctx) {
  const auto& args = ctx.class_args;
  PbtOptions o;
  auto mode = SchedulerModeArg(ctx, "pbt");
  if (!mode.ok()) return mode.status();
  o.mode = *mode;
  if (args.is_object() && args.contains("all_checkpoint_dir") && !args["all_checkpoint_dir"].is_null()) {
    if (!args["all_checkpoint_dir"].is_string() || args["all_checkpoint_dir"].get<std::string>().empty())
      return InvalidArgument("pbt: classArgs.all_checkpoint_dir: expected a directory path, but got " +
                             args["all_checkpoint_dir"].dump());
    o.checkpoint_root = args["all_checkpoint_dir"].get<std::string>();
  } else if (!ctx.experiment_dir.empty()) {
    o.checkpoint_root = (fs::path(ctx.experiment_dir) / "checkpoints").string();
  } else {
    return InvalidArgument("pbt: classArgs.all_checkpoint_dir: required when the experiment has no directory");
  }
  auto population = SchedulerNumberArg(args, "pbt", {"population_size"}, 10.0, 2, 1e6, true);
  if (!population.ok()) return population.status();
  auto factor = SchedulerNumberArg(args, "pbt", {"factor"}, 0.2, 0, 0.99);
  if (!factor.ok()) return factor.status();
  auto resample = SchedulerNumberArg(args, "pbt", {"resample_probability"}, 0.25, 0, 1);
  if (!resample.ok()) return resample.status();
  auto fraction = SchedulerNumberArg(args, "pbt", {"fraction"}, 0.2, 0, 0.5);
  if (!fraction.ok()) return fraction.status();
  o.population_size = static_cast<int>(*population);
  o.factor = *factor;
  o.resample_probability = *resample;
  o.fraction = *fraction;
  return std::unique_ptr<Tuner>(new PbtTuner(*ctx.space, std::move(o), ctx.seed));
}

PbtTuner::PbtTuner(const SearchSpace& space, PbtOptions options, uint64_t seed)
    : space_(space), options_(std::move(options)), seed_(seed) {
  for (int m = 0; m < options_.population_size; ++m) {
    std::mt19937_64 rng = Rng(0, static_cast<uint64_t>(m));
    population_.push_back({space_.Sample(rng), ""});
  }
}

std::mt19937_64 PbtTuner::Rng(uint64_t a, uint64_t b) const {
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32), static_cast<uint32_t>(a),
                    static_cast<uint32_t>(b), 0x9b7u};
  return std::mt19937_64(seq);
}

std::string PbtTuner::SaveDir(int member, int generation) const {
  return (fs::path(options_.checkpoint_root) / std::to_string(member) / std::to_string(generation)).string();
}

std::optional<std::pair<int, int>> PbtTuner::MemberOf(const TrialRecord& trial) const {
  if (!trial.params.is_object() || !trial.params.contains(kSaveCheckpointParam) ||
      !trial.params[kSaveCheckpointParam].is_string())
    return std::nullopt;
  fs::path save(trial.params[kSaveCheckpointParam].get<std::string>());
  if (save.parent_path().parent_path() != fs::path(options_.checkpoint_root)) return std::nullopt;
  try {
    int generation = std::stoi(save.filename().string());
    int member = std::stoi(save.parent_path().filename().string());
    if (member < 0 || member >= options_.population_size || generation < 0) return std::nullopt;
    return std::make_pair(generation, member);
  } catch (...) {  // std::stoi on a directory that is not a number: not one of ours
    return std::nullopt;
  }
}

nlohmann::json PbtTuner::Explore(const nlohmann::json& config, std::mt19937_64& rng) const {
  nlohmann::json fresh = space_.Sample(rng);
  nlohmann::json out = config;
  std::uniform_real_distribution<double> u(0, 1);
  for (const auto& p : space_.params()) {
    if (!out.contains(p.name)) continue;
    if (u(rng) < options_.resample_probability) {
      out[p.name] = fresh[p.name];
      continue;
    }
    const auto& v = out[p.name];
    if (p.type == ParamType::kChoice || !v.is_number()) continue;
    double scaled = v.get<double>() * (u(rng) < 0.5 ? 1 - options_.factor : 1 + options_.factor);
    nlohmann::json candidate;
    if (p.type == ParamType::kRandint) {
      candidate = static_cast<int64_t>(std::clamp(std::round(scaled), p.a, p.b - 1));
    } else {
      candidate = p.Finish(scaled);
    }
    nlohmann::json trial = out;
    trial[p.name] = candidate;
    if (space_.Contains(trial)) out = std::move(trial);
  }
  return out;
}

void PbtTuner::Advance() {
  int n = options_.population_size;
  std::vector<int> order(n);
  for (int m = 0; m < n; ++m) order[m] = m;
  auto score = [&](int m) { return finished_[{generation_, m}]; };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    auto sa = score(a), sb = score(b);
    if (sa.has_value() != sb.has_value()) return sa.has_value();
    return sa && *sa > *sb;
  });
  int cut = std::max(1, static_cast<int>(std::floor(options_.fraction * n)));
  if (options_.fraction <= 0) cut = 0;
  std::vector<Member> next(n);
  for (int rank = 0; rank < n; ++rank) {
    int m = order[rank];
    if (rank < n - cut) {
      next[m] = {population_[m].config, SaveDir(m, generation_)};
      continue;
    }
    std::mt19937_64 rng = Rng(static_cast<uint64_t>(generation_) + 1, static_cast<uint64_t>(m));
    int top = order[std::uniform_int_distribution<int>(0, cut - 1)(rng)];
    next[m] = {Explore(population_[top].config, rng), SaveDir(top, generation_)};
  }
  population_ = std::move(next);
  ++generation_;
}

StatusOr<std::vector<nlohmann::json>> PbtTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  while (static_cast<int>(out.size()) < count) {
    int member = -1;
    for (int m = 0; m < options_.population_size && member < 0; ++m)
      if (!handed_.count({generation_, m})) member = m;
    if (member < 0) {
      bool all_done = true;
      for (int m = 0; m < options_.population_size; ++m) all_done &= finished_.count({generation_, m}) > 0;
      if (!all_done) break;  // the generation is still training
      Advance();
      continue;
    }
    handed_.insert({generation_, member});
    nlohmann::json params = population_[member].config;
    std::string save = SaveDir(member, generation_);
    std::error_code ec;
    fs::create_directories(save, ec);  // the trial reports the failure if this did not work
    params[kLoadCheckpointParam] = population_[member].load_dir;
    params[kSaveCheckpointParam] = save;
    out.push_back(std::move(params));
  }
  return out;
}

void PbtTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  for (const auto& r : active)
    if (auto gm = MemberOf(r)) handed_.insert(*gm);
  for (const auto& r : completed) {
    auto gm = MemberOf(r);
    if (!gm) continue;
    handed_.insert(*gm);
    std::optional<double> score;
    if (r.HasRankableFinal()) score = options_.mode == OptimizeMode::kMaximize ? *r.final_value : -*r.final_value;
    finished_[*gm] = score;
  }
  // A resumed tuner catches up with the generations its history finished.
  while (true) {
    bool all_done = true;
    for (int m = 0; m < options_.population_size; ++m) all_done &= finished_.count({generation_, m}) > 0;
    bool next_started = false;
    for (int m = 0; m < options_.population_size; ++m) next_started |= handed_.count({generation_ + 1, m}) > 0;
    if (!all_done || !next_started) break;
    Advance();
  }
}

}  // namespace hone
