// `hone compress prune MODEL --config prune.yaml --input 1,1,28,28 --out pruned.pt`:
// zeroes what the configured pruner removes (a masked model) and reports, per layer and
// overall, the sparsity reached, plus test accuracy before and after with --data. The
// data-driven pruners (obs, taylor, slim, apoz, mean_activation) and fine-tuning between
// scheduled steps read --data's training split.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "compress/cli/compress_commands.h"
#include "compress/data/dataset_catalog.h"
#include "compress/graph/layer_graph.h"
#include "compress/graph/model_profile.h"
#include "compress/prune/prune_schedule.h"
#include "compress/prune/pruner.h"
#include "compress/prune/speedup.h"
#include "compress/train/batchnorm_calibration.h"
#include "compress/train/trainer.h"

namespace hone::compress {
namespace {

struct PruneArgs {
  std::string model;
  std::string config;
  std::string input = "1,1,28,28";
  std::string out;
  std::string report;
  std::string data;
  int64_t test_subset = 0;
  int64_t train_subset = 0;
  uint64_t seed = 0;
  int threads = 0;
  int64_t calibrate_bn = 0;  // batches; 0: off
  ModelCommand evaluator{.timeout_s = -1};  // --evaluator: over the YAML's evaluator
  ModelCommand finetuner{.timeout_s = -1};  // --finetuner: over the YAML's finetuner
  bool channels_last = false;
};

Status RunPrune(const PruneArgs& a) {
  auto config = LoadPruneConfig(a.config);
  if (!config.ok()) return config.status();
  OverrideModelCommand(config->evaluator, a.evaluator);
  OverrideModelCommand(config->finetuner, a.finetuner);
  std::error_code exe_error;
  const ModelCommandCall commands{
      .python_path = FindPythonSdkDir(std::filesystem::read_symlink("/proc/self/exe", exe_error).string()),
      .progress = stdout};
  auto shape = ParseShape(a.input);
  if (!shape.ok()) return shape.status();
  auto model = ScriptModel::Load(a.model);
  if (!model.ok()) return model.status();
  auto graph = BuildLayerGraph(*model, *shape);
  if (!graph.ok()) return graph.status();

  std::optional<ImageSet> test;
  std::optional<ImageSet> train;
  Normalization norm;
  nlohmann::json report = {{"model", a.model}, {"pruner", config->pruner}};
  const bool needs_train =
      PrunerNeedsData(config->pruner) || config->schedule.finetune_epochs > 0 || a.calibrate_bn > 0;
  if (needs_train && a.data.empty()) {
    return InvalidArgument(PrunerNeedsData(config->pruner)
                               ? "the " + config->pruner + " pruner " + (config->pruner == "obs" ? "calibrates on" : "ranks filters from") + " data: give --data"
                           : config->schedule.finetune_epochs > 0 ? "schedule.finetune_epochs needs --data"
                                                                  : "--calibrate-bn needs --data");
  }
  if (!a.data.empty()) {
    auto spec = ParseDatasetSpec(a.data);
    if (!spec.ok()) return spec.status();
    auto set = LoadDataset(*spec, Split::kTest);
    if (!set.ok()) return set.status();
    TruncateImageSet(*set, a.test_subset);
    test = std::move(*set);
    norm = DatasetNormalization(spec->name, test->channels);
    if (needs_train) {
      auto t = LoadDataset(*spec, Split::kTrain);
      if (!t.ok()) return t.status();
      TruncateImageSet(*t, a.train_subset);
      train = std::move(*t);
    }
    auto before = Evaluate(*model, *test, norm, 500, a.threads);
    if (!before.ok()) return before.status();
    report["accuracy_before"] = before->accuracy;
  }
  if (!config->evaluator.empty()) {
    auto before = EvaluateWithCommand(*model, config->evaluator, 0, commands);
    if (!before.ok()) return before.status();
    report["accuracy_before"] = *before;
  }
  PruneData data{.train = train ? &*train : nullptr, .test = test ? &*test : nullptr, .norm = norm,
                 .threads = a.threads, .seed = a.seed, .progress = stdout};
  data.finetuner = config->finetuner;
  data.evaluator = config->evaluator;
  data.command_settings = commands;
  auto run = RunPruning(*model, *graph, *config, data);
  if (!run.ok()) return run.status();
  const PruneResult* result = &run->result;
  std::optional<ScriptModel> fast;
  if (config->speedup) {
    auto sped = Speedup(*model, *graph, run->groups, run->kept);
    if (!sped.ok()) return sped.status();
    fast = std::move(*sped);
    if (run->finetune_after_speedup) {
      std::printf("fine-tuning the sped-up model with `%s`\n", config->finetuner.command.c_str());
      std::fflush(stdout);
      HONE_RETURN_IF_ERROR(FinetuneWithCommand(*fast, config->finetuner, 1, commands));
    }
  }
  if (run->steps.size() > 1 || config->schedule.finetune_epochs > 0) {
    nlohmann::json steps = nlohmann::json::array();
    for (const PruneStep& s : run->steps) {
      nlohmann::json j = {{"step", s.step}, {"sparse_ratios", s.rule_ratios}, {"weights", s.result.weights},
                          {"zero_weights", s.result.zero_weights}, {"finetune_epochs", s.finetune.size()}};
      if (s.test_accuracy >= 0) j["test_accuracy"] = s.test_accuracy;
      if (s.finetuned_by_command) j["finetuned_by_command"] = true;
      steps.push_back(j);
    }
    report["schedule"] = {{"kind", config->schedule.kind}, {"steps", steps}};
  }

  std::printf("%-28s %-7s %8s %12s %12s %10s\n", "layer", "type", "target", "weights", "zeros", "filters");
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerPruneResult& l : result->layers) {
    std::string filters = l.kept_channels.empty()
                              ? "-"
                              : std::to_string(l.kept_channels.size()) + "/" + std::to_string(l.channels);
    std::printf("%-28s %-7s %8.2f %12lld %12lld %10s\n", l.name.c_str(), l.op_type.c_str(), l.target_ratio,
                static_cast<long long>(l.weights), static_cast<long long>(l.zero_weights), filters.c_str());
    layers.push_back({{"name", l.name}, {"type", l.op_type}, {"target_ratio", l.target_ratio},
                      {"weights", l.weights}, {"zero_weights", l.zero_weights}, {"channels", l.channels},
                      {"kept_channels", l.kept_channels}});
  }
  report["layers"] = layers;
  report["parameters"] = graph->total_params;
  report["zero_weights"] = result->zero_weights;
  std::printf("\n%s: %lld of %lld weights in the pruned layers are zero (%.1f%%); the model has %lld parameters\n",
              config->pruner.c_str(), static_cast<long long>(result->zero_weights),
              static_cast<long long>(result->weights),
              100.0 * static_cast<double>(result->zero_weights) / static_cast<double>(std::max<int64_t>(1, result->weights)),
              static_cast<long long>(graph->total_params));
  if (fast) {
    auto after_graph = BuildLayerGraph(*fast, *shape);
    if (!after_graph.ok()) return after_graph.status();
    LatencyOptions lat{.warmup = 5, .repeats = 10, .threads = a.threads, .channels_last = a.channels_last};
    auto ms_before = MeasureLatencyMs(*model, *shape, lat);
    auto ms_after = MeasureLatencyMs(*fast, *shape, lat);
    if (!ms_before.ok()) return ms_before.status();
    if (!ms_after.ok()) return ms_after.status();
    std::printf("speedup: parameters %lld -> %lld, FLOPs %lld -> %lld (%.1f%% removed), latency %.3f -> %.3f ms "
                "(%.2fx, input %s%s)\n",
                static_cast<long long>(graph->total_params), static_cast<long long>(after_graph->total_params),
                static_cast<long long>(graph->total_flops), static_cast<long long>(after_graph->total_flops),
                100.0 * (1.0 - static_cast<double>(after_graph->total_flops) / static_cast<double>(graph->total_flops)),
                *ms_before, *ms_after, *ms_before / *ms_after, a.input.c_str(),
                a.channels_last ? ", channels last" : "");
    report["speedup"] = {{"params_before", graph->total_params}, {"params_after", after_graph->total_params},
                         {"flops_before", graph->total_flops}, {"flops_after", after_graph->total_flops},
                         {"latency_ms_before", *ms_before}, {"latency_ms_after", *ms_after},
                         {"latency_layout", a.channels_last ? "channels_last" : "contiguous"}};
    model = std::move(*fast);
  }
  if (a.calibrate_bn > 0) {
    auto n = CalibrateBatchNorm(*model, *train, norm,
                                {.batches = a.calibrate_bn, .seed = a.seed, .threads = a.threads});
    if (!n.ok()) return n.status();
    std::printf("batch-norm statistics of %d modules re-estimated on %lld training batches\n", *n,
                static_cast<long long>(a.calibrate_bn));
    report["batchnorm_calibration"] = {{"modules", *n}, {"batches", a.calibrate_bn}};
  }
  if (!config->evaluator.empty()) {
    auto after = EvaluateWithCommand(*model, config->evaluator, static_cast<int>(run->steps.size()), commands);
    if (!after.ok()) return after.status();
    report["accuracy_after"] = *after;
    std::printf("evaluator score %.2f%% before, %.2f%% after (%s)\n", 100 * report["accuracy_before"].get<double>(),
                100 * *after, config->finetuner.empty() ? "no fine-tuner" : "fine-tuned by the fine-tuner");
  } else if (test) {
    auto after = Evaluate(*model, *test, norm, 500, a.threads);
    if (!after.ok()) return after.status();
    report["accuracy_after"] = after->accuracy;
    std::printf("test accuracy %.2f%% before, %.2f%% after (%lld images, %s)\n",
                100 * report["accuracy_before"].get<double>(), 100 * after->accuracy,
                static_cast<long long>(test->count),
                config->schedule.finetune_epochs > 0 ? "fine-tuned between steps" : "no fine-tuning");
  }
  HONE_RETURN_IF_ERROR(model->Save(a.out));
  std::printf("saved %s\n", a.out.c_str());
  if (!a.report.empty()) {
    std::ofstream out(a.report);
    out << report.dump(2) << "\n";
    if (!out) return IoError(a.report + ": cannot write the report");
  }
  return Status::Ok();
}

}  // namespace

void SetupPruneCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand("prune", "Prune a TorchScript model as a config list says (masked, or smaller with speedup: true)");
  cmd->add_option("model", a->model, "TorchScript model (.pt)")->required();
  cmd->add_option("--config", a->config, "Pruning configuration (YAML: pruner, config_list)")->required();
  cmd->add_option("--input", a->input, "Input shape N,C,H,W")->capture_default_str();
  cmd->add_option("--out", a->out, "Where to save the pruned model (.pt)")->required();
  cmd->add_option("--report", a->report, "Also write the report as JSON here");
  cmd->add_option("--data", a->data, "Evaluate on this data set's test split; data-driven pruners and fine-tuning use its training split");
  cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->add_option("--train-subset", a->train_subset,
                  "Score (obs, taylor, slim, apoz, mean_activation) and fine-tune on the first N training images (0: all)");
  cmd->add_option("--seed", a->seed, "Seed of scoring batches and fine-tuning")->capture_default_str();
  cmd->add_option("--threads", a->threads, "libtorch threads (0: one per core)");
  cmd->add_option("--evaluator", a->evaluator.command,
                  "A command that scores HONE_MODEL_PATH by hone's trial protocol: accuracy before and after "
                  "(overrides the config's evaluator)");
  cmd->add_option("--evaluator-timeout", a->evaluator.timeout_s, "Seconds the evaluator may run (0: no limit)");
  cmd->add_option("--finetuner", a->finetuner.command,
                  "A command that fine-tunes HONE_MODEL_PATH into HONE_OUTPUT_MODEL_PATH after every scheduled "
                  "step (one-shot: once at the end); overrides the config's finetuner");
  cmd->add_option("--finetuner-timeout", a->finetuner.timeout_s, "Seconds the fine-tuner may run (0: no limit)");
  cmd->add_option("--calibrate-bn", a->calibrate_bn,
                  "Re-estimate batch-norm statistics of the pruned model on N training batches (needs --data)")
      ->check(CLI::Validator(
          [](std::string& v) { return v.rfind('-', 0) == 0 ? "must be 0 (off) or more batches, but got " + v : ""; },
          "N >= 0"));
  cmd->add_flag("--channels-last", a->channels_last, "Time latency with input and 4-d weights laid out NHWC");
  cmd->callback([a, result] { *result = RunPrune(*a); });
}

}  // namespace hone::compress
