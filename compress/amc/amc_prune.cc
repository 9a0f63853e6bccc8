#include "compress/amc/amc_prune.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "compress/amc/amc_environment.h"
#include "compress/amc/amc_progress.h"
#include "compress/amc/amc_search.h"
#include "compress/amc/latency_table.h"
#include "compress/amc/policy_evaluator.h"
#include "compress/prune/prune_schedule.h"
#include "compress/prune/speedup.h"
#include "compress/train/batchnorm_calibration.h"
#include "compress/train/trainer.h"

namespace hone::compress {

void SplitHeldOut(const ImageSet& train, int64_t n, ImageSet& rest, ImageSet& held_out) {
  const int64_t first = train.count - n;
  const auto size = static_cast<size_t>(train.image_size());
  for (ImageSet* s : {&rest, &held_out}) {
    s->channels = train.channels;
    s->height = train.height;
    s->width = train.width;
    s->num_classes = train.num_classes;
  }
  const auto cut = static_cast<size_t>(first);
  rest.count = first;
  rest.pixels.assign(train.pixels.begin(), train.pixels.begin() + static_cast<std::ptrdiff_t>(cut * size));
  rest.labels.assign(train.labels.begin(), train.labels.begin() + static_cast<std::ptrdiff_t>(cut));
  held_out.count = n;
  held_out.pixels.assign(train.pixels.begin() + static_cast<std::ptrdiff_t>(cut * size), train.pixels.end());
  held_out.labels.assign(train.labels.begin() + static_cast<std::ptrdiff_t>(cut), train.labels.end());
}

namespace {

Status CheckData(const PruneConfig& config, const AmcPruneData& data) {
  if (!config.amc) return InvalidArgument("amc: the configuration's pruner is not amc");
  if (data.train == nullptr || data.train->count <= 0) {
    return InvalidArgument("the amc pruner rewards policies on held-out training images: give --data");
  }
  const int64_t held = config.amc->held_out;
  const bool needs_rest = config.schedule.finetune_epochs > 0 || config.amc->calibrate_bn > 0;
  if (held > data.train->count || (needs_rest && held >= data.train->count)) {
    return InvalidArgument("amc.held_out is " + std::to_string(held) + " but the training data has only " +
                           std::to_string(data.train->count) + " images" +
                           (needs_rest ? " (fine-tuning and calibrate_bn need the images not held out)" : "") +
                           ": lower held_out or raise --train-subset");
  }
  return Status::Ok();
}

void PrintPolicy(std::FILE* out, const AmcEnvironment& env, const AmcEpisode& best) {
  if (out == nullptr) return;
  std::fprintf(out, "%-28s %8s %6s %6s\n", "layer", "channels", "kept", "keep");
  for (size_t t = 0; t < env.layers().size(); ++t) {
    const AmcLayer& l = env.layers()[t];
    std::fprintf(out, "%-28s %8lld %6lld %6.2f\n", l.name.c_str(), static_cast<long long>(l.out_channels),
                 static_cast<long long>(best.widths[static_cast<size_t>(l.group)]), best.keeps[t]);
  }
}

nlohmann::json SummaryJson(const AmcConfig& amc, uint64_t seed, const AmcEnvironment& env,
                           const AmcSearchResult& result, int64_t held_out, double dense_reward) {
  const AmcEpisode& best = result.best;
  nlohmann::json layers = nlohmann::json::array();
  for (size_t t = 0; t < env.layers().size(); ++t) {
    const AmcLayer& l = env.layers()[t];
    layers.push_back({{"name", l.name}, {"group", l.group}, {"channels", l.out_channels},
                      {"kept", best.widths[static_cast<size_t>(l.group)]}, {"keep_ratio", best.keeps[t]}});
  }
  std::vector<double> rewards;
  for (const AmcEpisode& e : result.history) rewards.push_back(e.reward);
  return {{"target", amc.target}, {"flops_ratio", amc.wall.flops_ratio}, {"lower_keep", amc.wall.lower_keep},
          {"round_to", amc.wall.round_to}, {"episodes", amc.episodes}, {"warmup_episodes", amc.warmup_episodes},
          {"noise", amc.noise}, {"noise_decay", amc.noise_decay}, {"min_noise", amc.min_noise},
          {"calibrate_bn", amc.calibrate_bn},
          {"base_pruner", PrunerName(amc.base_pruner)}, {"held_out", held_out}, {"seed", seed},
          {"dense_reward", dense_reward}, {"best_episode", best.episode + 1}, {"best_reward", best.reward},
          {"flops_before", env.DenseFlops()}, {"flops_budget", env.TargetFlops()}, {"flops_after", best.flops},
          {"layers", layers}, {"rewards", rewards}};
}

// The search itself: progress per episode, then the best policy's table.
StatusOr<AmcSearchResult> Search(AmcEnvironment& env, PolicyEvaluator& eval, const AmcConfig& amc, uint64_t seed,
                                 std::FILE* out) {
  AmcProgress progress(out, amc.episodes, env.DenseFlops());
  auto result = RunAmcSearch(
      env, {.warmup_episodes = amc.warmup_episodes,
            .init_sigma = amc.noise,
            .sigma_decay = amc.noise_decay,
            .min_sigma = amc.min_noise,
            .seed = seed}, amc.episodes,
      [&](const std::vector<int64_t>& widths) { return eval.Accuracy(widths); },
      [&](const AmcEpisode& e) { progress.Episode(e); });
  progress.Finish();
  return result;
}

Status Finetune(ScriptModel& model, const ImageSet& rest, const PruneConfig& config, const AmcPruneData& data,
                nlohmann::json& summary) {
  const PruneSchedule& s = config.schedule;
  if (s.finetune_epochs <= 0) return Status::Ok();
  TrainOptions train = FinetuneOptions(s, data.threads, data.seed + 1, data.progress);
  auto history = Train(model, rest, nullptr, data.norm, train);
  if (!history.ok()) return history.status();
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochStats& e : *history) {
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy}});
  }
  summary["finetune"] = {{"images", rest.count}, {"epochs", epochs}};
  return Status::Ok();
}

// target latency: the measured table the budget is in (null for target flops).
StatusOr<std::shared_ptr<const LatencyTable>> LatencyCost(const ScriptModel& model, const LayerGraph& graph,
                                                          const ChannelAnalysis& groups, const AmcConfig& amc,
                                                          std::FILE* out) {
  if (amc.target != "latency") return std::shared_ptr<const LatencyTable>();
  const auto start = std::chrono::steady_clock::now();
  auto table = MeasureLatencyTable(model, graph, groups, amc.wall, amc.latency);
  if (!table.ok()) return table.status();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (out != nullptr) {
    std::fprintf(out, "amc: latency table: %d entries at batch %lld, dense %.3f ms, measured in %.1f s\n",
                 table->Entries(), static_cast<long long>(table->batch()), table->Dense(), s);
  }
  return std::make_shared<const LatencyTable>(std::move(*table));
}

// target latency: the best policy's estimated and the sped-up model's measured ms.
Status LatencyReport(const ScriptModel& fast, const LayerGraph& graph, const AmcConfig& amc, const AmcEnvironment& env,
                     const AmcEpisode& best, std::FILE* out, nlohmann::json& summary) {
  if (env.flops_budget()) return Status::Ok();
  auto measured = MeasureModelMs(fast, graph, amc.latency);
  if (!measured.ok()) return measured.status();
  const double estimated = env.cost_model().Cost(best.widths);
  if (out != nullptr) {
    std::fprintf(out,
                 "amc: latency at batch %lld: %.3f ms dense, budget %.3f ms, estimated %.3f ms, measured %.3f ms "
                 "(%.2fx)\n",
                 static_cast<long long>(amc.latency.batch), env.DenseCost(), env.Budget(), estimated, *measured,
                 env.DenseCost() / *measured);
  }
  summary["latency"] = {{"batch", amc.latency.batch}, {"threads", amc.latency.threads},
                        {"repeats", amc.latency.repeats}, {"latency_ratio", amc.wall.flops_ratio},
                        {"dense_ms", env.DenseCost()}, {"budget_ms", env.Budget()},
                        {"estimated_ms", estimated}, {"measured_ms", *measured},
                        {"measured_speedup", env.DenseCost() / *measured}};
  return Status::Ok();
}

std::string BudgetText(const AmcConfig& amc, const AmcEnvironment& env) {
  char buf[128];
  if (env.flops_budget()) {
    std::snprintf(buf, sizeof buf, "FLOPs budget %.3f of %lld", amc.wall.flops_ratio,
                  static_cast<long long>(env.DenseFlops()));
  } else {
    std::snprintf(buf, sizeof buf, "latency budget %.3f of %.3f ms (batch %lld)", amc.wall.flops_ratio,
                  env.DenseCost(), static_cast<long long>(amc.latency.batch));
  }
  return buf;
}

}  // namespace

StatusOr<ScriptModel> RunAmcPruning(const ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                                    const AmcPruneData& data, nlohmann::json& report) {
  HONE_RETURN_IF_ERROR(CheckData(config, data));
  const AmcConfig& amc = *config.amc;
  const uint64_t seed = amc.seed.value_or(data.seed);
  ImageSet rest, held_out;
  SplitHeldOut(*data.train, amc.held_out, rest, held_out);
  const ChannelAnalysis groups = AnalyzeChannels(graph);
  std::FILE* out = data.progress;
  auto cost = LatencyCost(model, graph, groups, amc, out);
  if (!cost.ok()) return cost.status();
  auto env = AmcEnvironment::Create(graph, groups, amc.wall, *cost);
  if (!env.ok()) return env.status();
  auto eval = PolicyEvaluator::Create(model, graph, groups, held_out, data.norm,
                                      {.ranking = amc.base_pruner, .batch_size = amc.batch_size, .threads = data.threads,
                                       .calibrate_bn = amc.calibrate_bn, .calibration = &rest});
  if (!eval.ok()) return eval.status();
  auto dense = eval->Accuracy(env->flops_model().DenseWidths());
  if (!dense.ok()) return dense.status();
  if (out != nullptr) {
    std::fprintf(out,
                 "amc: %zu decisions, %s, %d episodes (%d warm-up), reward: accuracy on %lld "
                 "held-out training images (dense %.4f), base pruner %s\n",
                 env->layers().size(), BudgetText(amc, *env).c_str(), amc.episodes,
                 amc.warmup_episodes, static_cast<long long>(held_out.count), *dense,
                 PrunerName(amc.base_pruner).c_str());
  }
  auto result = Search(*env, *eval, amc, seed, out);
  if (!result.ok()) return result.status();
  const AmcEpisode& best = result->best;
  if (out != nullptr) {
    std::fprintf(out, "amc: best episode %d of %d, reward %.4f (dense %.4f), FLOPs %lld -> %lld (%.3f)\n",
                 best.episode + 1, amc.episodes, best.reward, *dense, static_cast<long long>(env->DenseFlops()),
                 static_cast<long long>(best.flops),
                 static_cast<double>(best.flops) / static_cast<double>(env->DenseFlops()));
  }
  PrintPolicy(out, *env, best);
  nlohmann::json summary = SummaryJson(amc, seed, *env, *result, held_out.count, *dense);
  auto fast = Speedup(model, graph, groups, eval->KeptChannels(best.widths));
  if (!fast.ok()) return fast.status();
  HONE_RETURN_IF_ERROR(LatencyReport(*fast, graph, amc, *env, best, out, summary));
  if (amc.calibrate_bn > 0) {  // as the reward saw it
    auto n = CalibrateBatchNorm(*fast, rest, data.norm, {.batches = amc.calibrate_bn, .threads = data.threads});
    if (!n.ok()) return n.status();
  }
  HONE_RETURN_IF_ERROR(Finetune(*fast, rest, config, data, summary));
  report["amc"] = std::move(summary);
  return fast;
}

}  // namespace hone::compress
