// `hone compress prune MODEL --config prune.yaml --input 1,1,28,28 --out pruned.pt`:
// zeroes what the configured pruner removes (a masked model) and reports, per layer and
// overall, the sparsity reached, plus test accuracy before and after with --data. The
// data-driven pruners (obs, taylor, slim, apoz, mean_activation) and fine-tuning between
// scheduled steps read --data's training split. With speedup, latency before and after is
// timed after 5 warm-up runs on --latency-threads threads (1 by default) and shown as the
// median with its p10-p90 spread. `pruner: amc` searches per-group widths with AMC
// (amc_prune.h) on held-out training images and writes the sped-up model.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "compress/amc/amc_prune.h"
#include "compress/cli/compress_commands.h"
#include "compress/cli/model_input.h"
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
  LatencyOptions latency{.warmup = 5, .repeats = 20, .threads = 1};  // --latency-*
};

// The configuration (with the flags' commands over it), the model and its graph.
struct PruneInputs {
  PruneConfig config;
  ModelCommandCall commands;  // how evaluator and fine-tuner commands run
  ModelWithGraph net;
};

StatusOr<PruneInputs> LoadPruneInputs(const PruneArgs& a) {
  auto config = LoadPruneConfig(a.config);
  if (!config.ok()) return config.status();
  OverrideModelCommand(config->evaluator, a.evaluator);
  OverrideModelCommand(config->finetuner, a.finetuner);
  std::error_code exe_error;
  const ModelCommandCall commands{
      .python_path = FindPythonSdkDir(std::filesystem::read_symlink("/proc/self/exe", exe_error).string()),
      .progress = stdout};
  auto net = LoadModelWithGraph(a.model, a.input);
  if (!net.ok()) return net.status();
  return PruneInputs{std::move(*config), commands, std::move(*net)};
}

// --data's test split (and training split when something needs it) and normalization.
struct PruneDatasets {
  std::optional<ImageSet> test;
  std::optional<ImageSet> train;
  Normalization norm;
};

StatusOr<PruneDatasets> LoadPruneData(const PruneArgs& a, const PruneConfig& config) {
  const bool data_pruner = PrunerTraitsOf(config.pruner).needs_data;
  const bool needs_train = data_pruner || config.amc || config.schedule.finetune_epochs > 0 || a.calibrate_bn > 0;
  if (needs_train && a.data.empty()) {
    return InvalidArgument(config.amc    ? "the amc pruner rewards policies on held-out training images: give --data"
                           : data_pruner ? PrunerDataUse(config.pruner) + ": give --data"
                           : config.schedule.finetune_epochs > 0 ? "schedule.finetune_epochs needs --data"
                                                                 : "--calibrate-bn needs --data");
  }
  PruneDatasets out;
  if (a.data.empty()) return out;
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto set = LoadDataset(*spec, Split::kTest);
  if (!set.ok()) return set.status();
  TruncateImageSet(*set, a.test_subset);
  out.test = std::move(*set);
  out.norm = DatasetNormalization(spec->name, out.test->channels);
  if (needs_train) {
    auto t = LoadDataset(*spec, Split::kTrain);
    if (!t.ok()) return t.status();
    TruncateImageSet(*t, a.train_subset);
    out.train = std::move(*t);
  }
  return out;
}

// The accuracy before pruning: on the test split, then by the evaluator (which wins).
Status MeasureBefore(const PruneArgs& a, PruneInputs& in, const PruneDatasets& sets, nlohmann::json& report) {
  if (sets.test) {
    auto before = Evaluate(in.net.model, *sets.test, sets.norm, 500, a.threads);
    if (!before.ok()) return before.status();
    report["accuracy_before"] = before->accuracy;
  }
  if (!in.config.evaluator.empty()) {
    auto before = EvaluateWithCommand(in.net.model, in.config.evaluator, 0, in.commands);
    if (!before.ok()) return before.status();
    report["accuracy_before"] = *before;
  }
  return Status::Ok();
}

StatusOr<PruneRun> Prune(const PruneArgs& a, PruneInputs& in, const PruneDatasets& sets) {
  PruneData data{.train = sets.train ? &*sets.train : nullptr, .test = sets.test ? &*sets.test : nullptr,
                 .norm = sets.norm, .threads = a.threads, .seed = a.seed, .progress = stdout};
  data.finetuner = in.config.finetuner;
  data.evaluator = in.config.evaluator;
  data.command_settings = in.commands;
  return RunPruning(in.net.model, in.net.graph, in.config, data);
}

// The sped-up model (fine-tuned by the fine-tuner when the run left that to us).
StatusOr<ScriptModel> SpeedUp(const PruneInputs& in, const PruneRun& run) {
  auto fast = Speedup(in.net.model, in.net.graph, run.groups, run.kept);
  if (!fast.ok()) return fast.status();
  if (run.finetune_after_speedup) {
    std::printf("fine-tuning the sped-up model with `%s`\n", in.config.finetuner.command.c_str());
    std::fflush(stdout);
    HONE_RETURN_IF_ERROR(FinetuneWithCommand(*fast, in.config.finetuner, 1, in.commands));
  }
  return fast;
}

// Parameters, FLOPs and latency before and after speedup.
Status MeasureSpeedup(const PruneArgs& a, const PruneInputs& in, const ScriptModel& fast, nlohmann::json& report) {
  auto after_graph = BuildLayerGraph(fast, in.net.shape);
  if (!after_graph.ok()) return after_graph.status();
  LatencyOptions lat = a.latency;
  lat.channels_last = a.channels_last;
  auto before = MeasureLatency(in.net.model, in.net.shape, lat);
  if (!before.ok()) return before.status();
  auto after = MeasureLatency(fast, in.net.shape, lat);
  if (!after.ok()) return after.status();
  SetTorchThreads(a.threads);  // back to what the rest of the run uses
  const LayerGraph& g = in.net.graph;
  std::printf("speedup: parameters %lld -> %lld, FLOPs %lld -> %lld (%.1f%% removed)\n",
              static_cast<long long>(g.total_params), static_cast<long long>(after_graph->total_params),
              static_cast<long long>(g.total_flops), static_cast<long long>(after_graph->total_flops),
              100.0 * (1.0 - static_cast<double>(after_graph->total_flops) / static_cast<double>(g.total_flops)));
  std::printf("latency: %s -> %s, %.2fx (median after %d warm-up runs, input %s%s)\n", LatencyText(*before).c_str(),
              LatencyText(*after).c_str(), before->median / after->median, lat.warmup, a.input.c_str(),
              a.channels_last ? ", channels last" : "");
  auto stats = [](const LatencyStats& s) {
    return nlohmann::json{{"median", s.median}, {"p10", s.p10}, {"p90", s.p90}, {"mean", s.mean},
                          {"stdev", s.stdev}, {"runs", s.runs}};
  };
  report["speedup"] = {{"params_before", g.total_params}, {"params_after", after_graph->total_params},
                       {"flops_before", g.total_flops}, {"flops_after", after_graph->total_flops},
                       {"latency_ms_before", before->median}, {"latency_ms_after", after->median},
                       {"latency_before", stats(*before)}, {"latency_after", stats(*after)},
                       {"latency_threads", before->threads}, {"latency_warmup", lat.warmup},
                       {"latency_layout", a.channels_last ? "channels_last" : "contiguous"}};
  return Status::Ok();
}

void ReportSchedule(const PruneConfig& config, const PruneRun& run, nlohmann::json& report) {
  if (run.steps.size() <= 1 && config.schedule.finetune_epochs <= 0) return;
  nlohmann::json steps = nlohmann::json::array();
  for (const PruneStep& s : run.steps) {
    nlohmann::json j = {{"step", s.step}, {"sparse_ratios", s.rule_ratios}, {"weights", s.result.weights},
                        {"zero_weights", s.result.zero_weights}, {"finetune_epochs", s.finetune.size()}};
    if (s.test_accuracy >= 0) j["test_accuracy"] = s.test_accuracy;
    if (s.finetuned_by_command) j["finetuned_by_command"] = true;
    steps.push_back(j);
  }
  report["schedule"] = {{"kind", config.schedule.kind}, {"steps", steps}};
}

// The per-layer table and the sparsity line.
void ReportLayers(const PruneConfig& config, const LayerGraph& graph, const PruneResult& result,
                  nlohmann::json& report) {
  std::printf("%-28s %-7s %8s %12s %12s %10s\n", "layer", "type", "target", "weights", "zeros", "filters");
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerPruneResult& l : result.layers) {
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
  if (!result.kept_whole.empty()) {
    std::printf("these selected layers keep all their channels:%s\n", result.kept_whole.c_str());
    nlohmann::json lines = nlohmann::json::array();  // "<layer>: <reason>" each
    for (size_t at = 0; at != std::string::npos;) {
      const size_t next = result.kept_whole.find("\n  ", at + 3);
      lines.push_back(result.kept_whole.substr(at + 3, next == std::string::npos ? next : next - at - 3));
      at = next;
    }
    report["kept_whole"] = lines;
  }
  report["parameters"] = graph.total_params;
  report["zero_weights"] = result.zero_weights;
  std::printf("\n%s: %lld of %lld weights in the pruned layers are zero (%.1f%%); the model has %lld parameters\n",
              PrunerName(config.pruner).c_str(), static_cast<long long>(result.zero_weights),
              static_cast<long long>(result.weights),
              100.0 * static_cast<double>(result.zero_weights) / static_cast<double>(std::max<int64_t>(1, result.weights)),
              static_cast<long long>(graph.total_params));
}

Status CalibrateBatchNorms(const PruneArgs& a, ScriptModel& model, const PruneDatasets& sets, nlohmann::json& report) {
  if (a.calibrate_bn <= 0) return Status::Ok();
  auto n = CalibrateBatchNorm(model, *sets.train, sets.norm,
                              {.batches = a.calibrate_bn, .seed = a.seed, .threads = a.threads});
  if (!n.ok()) return n.status();
  std::printf("batch-norm statistics of %d modules re-estimated on %lld training batches\n", *n,
              static_cast<long long>(a.calibrate_bn));
  report["batchnorm_calibration"] = {{"modules", *n}, {"batches", a.calibrate_bn}};
  return Status::Ok();
}

// The accuracy after pruning: by the evaluator when there is one, else on the test split.
Status MeasureAfter(const PruneArgs& a, PruneInputs& in, const PruneDatasets& sets, int steps,
                    nlohmann::json& report) {
  const PruneConfig& config = in.config;
  if (!config.evaluator.empty()) {
    auto after = EvaluateWithCommand(in.net.model, config.evaluator, steps, in.commands);
    if (!after.ok()) return after.status();
    report["accuracy_after"] = *after;
    std::printf("evaluator score %.2f%% before, %.2f%% after (%s)\n", 100 * report["accuracy_before"].get<double>(),
                100 * *after, config.finetuner.empty() ? "no fine-tuner" : "fine-tuned by the fine-tuner");
  } else if (sets.test) {
    auto after = Evaluate(in.net.model, *sets.test, sets.norm, 500, a.threads);
    if (!after.ok()) return after.status();
    report["accuracy_after"] = after->accuracy;
    std::printf("test accuracy %.2f%% before, %.2f%% after (%lld images, %s)\n",
                100 * report["accuracy_before"].get<double>(), 100 * after->accuracy,
                static_cast<long long>(sets.test->count),
                config.schedule.finetune_epochs <= 0 ? "no fine-tuning"
                : config.amc                         ? "fine-tuned after speedup"
                                                     : "fine-tuned between steps");
  }
  return Status::Ok();
}

Status SaveOutputs(const PruneArgs& a, const ScriptModel& model, const nlohmann::json& report) {
  HONE_RETURN_IF_ERROR(model.Save(a.out));
  std::printf("saved %s\n", a.out.c_str());
  if (!a.report.empty()) {
    std::ofstream out(a.report);
    out << report.dump(2) << "\n";
    if (!out) return IoError(a.report + ": cannot write the report");
  }
  return Status::Ok();
}

// pruner: amc: the search picks the widths and the model is always sped up (amc_prune.h).
Status RunAmcPrune(const PruneArgs& a, PruneInputs& in, const PruneDatasets& sets, nlohmann::json& report) {
  report["pruner"] = "amc";
  AmcPruneData data{.train = &*sets.train, .norm = sets.norm, .threads = a.threads, .seed = a.seed, .progress = stdout};
  auto fast = RunAmcPruning(in.net.model, in.net.graph, in.config, data, report);
  if (!fast.ok()) return fast.status();
  if (!in.config.finetuner.empty()) {
    std::printf("fine-tuning the sped-up model with `%s`\n", in.config.finetuner.command.c_str());
    std::fflush(stdout);
    HONE_RETURN_IF_ERROR(FinetuneWithCommand(*fast, in.config.finetuner, 1, in.commands));
  }
  HONE_RETURN_IF_ERROR(MeasureSpeedup(a, in, *fast, report));
  in.net.model = std::move(*fast);
  HONE_RETURN_IF_ERROR(CalibrateBatchNorms(a, in.net.model, sets, report));
  HONE_RETURN_IF_ERROR(MeasureAfter(a, in, sets, 1, report));
  return SaveOutputs(a, in.net.model, report);
}

Status RunPrune(const PruneArgs& a) {
  auto in = LoadPruneInputs(a);
  if (!in.ok()) return in.status();
  auto sets = LoadPruneData(a, in->config);
  if (!sets.ok()) return sets.status();
  nlohmann::json report = {{"model", a.model}, {"pruner", PrunerName(in->config.pruner)}};
  HONE_RETURN_IF_ERROR(MeasureBefore(a, *in, *sets, report));
  if (in->config.amc) return RunAmcPrune(a, *in, *sets, report);
  auto run = Prune(a, *in, *sets);
  if (!run.ok()) return run.status();
  std::optional<ScriptModel> fast;
  if (in->config.speedup) {
    auto sped = SpeedUp(*in, *run);
    if (!sped.ok()) return sped.status();
    fast = std::move(*sped);
  }
  ReportSchedule(in->config, *run, report);
  ReportLayers(in->config, in->net.graph, run->result, report);
  if (fast) {
    HONE_RETURN_IF_ERROR(MeasureSpeedup(a, *in, *fast, report));
    in->net.model = std::move(*fast);
  }
  HONE_RETURN_IF_ERROR(CalibrateBatchNorms(a, in->net.model, *sets, report));
  HONE_RETURN_IF_ERROR(MeasureAfter(a, *in, *sets, static_cast<int>(run->steps.size()), report));
  return SaveOutputs(a, in->net.model, report);
}

}  // namespace

void SetupPruneCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand("prune", "Prune a TorchScript model as a config list says (masked, or smaller with speedup: true)");
  AddModelOptions(*cmd, a->model, a->input);
  cmd->add_option("--config", a->config, "Pruning configuration (YAML: pruner, config_list)")->required();
  cmd->add_option("--out", a->out, "Where to save the pruned model (.pt)")->required();
  cmd->add_option("--report", a->report, "Also write the report as JSON here");
  cmd->add_option("--data", a->data, "Evaluate on this data set's test split; data-driven pruners and fine-tuning use its training split");
  cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->add_option("--train-subset", a->train_subset,
                  "Score (obs, taylor, slim, apoz, mean_activation), reward amc and fine-tune on the first N training images (0: all)");
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
  cmd->add_option("--latency-threads", a->latency.threads, "libtorch threads while timing latency (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--latency-repeats", a->latency.repeats, "Timed runs per model (after 5 warm-up runs)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([a, result] { *result = RunPrune(*a); });
}

}  // namespace hone::compress
