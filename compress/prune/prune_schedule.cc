#include "compress/prune/prune_schedule.h"

#include <limits>
#include <map>
#include <optional>
#include <set>

#include "compress/model/script_model_torch.h"
#include "compress/prune/data_pruners.h"
#include "compress/prune/obs_pruner.h"
#include "compress/prune/scored_groups.h"
#include "compress/prune/speedup.h"

namespace hone::compress {
namespace {

// The tensors pruning zeroed, and where: applied after every fine-tuning step so that
// what was removed stays removed.
class Masks {
 public:
  void Add(const at::Tensor& param, at::Tensor mask) { masks_.emplace_back(param, std::move(mask)); }
  // Zeroes rows `removed` of `param` (dimension 0).
  void AddRows(const at::Tensor& param, const std::vector<int64_t>& removed) {
    if (!param.defined() || removed.empty()) return;
    at::Tensor mask = torch::ones_like(param);
    mask.index_fill_(0, torch::tensor(removed, torch::kInt64), 0.0);
    Add(param, mask);
  }
  void Apply() const {
    torch::NoGradGuard no_grad;
    for (const auto& [param, mask] : masks_) param.mul_(mask);
  }

 private:
  std::vector<std::pair<at::Tensor, at::Tensor>> masks_;
};

at::Tensor Attr(torch::jit::Module& root, const std::string& layer, const std::string& name) {
  auto owner = FindSubmodule(root, layer);
  if (!owner || !owner->hasattr(name)) return at::Tensor();
  c10::IValue v = owner->attr(name);
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

std::vector<int64_t> Removed(const LayerPruneResult& l) {
  std::set<int64_t> kept(l.kept_channels.begin(), l.kept_channels.end());
  std::vector<int64_t> out;
  if (kept.empty()) return out;
  for (int64_t c = 0; c < l.channels; ++c) {
    if (!kept.count(c)) out.push_back(c);
  }
  return out;
}

Masks BuildMasks(torch::jit::Module& module, const LayerGraph& graph, const PruneConfig& config,
                 const PruneResult& result, const PruneRun& run) {
  torch::NoGradGuard no_grad;
  Masks masks;
  for (const LayerPruneResult& l : result.layers) {
    at::Tensor w = Attr(module, l.name, "weight");
    if (!PrunerTraitsOf(config.pruner).structured) {
      masks.Add(w, w.ne(0).to(w.dtype()));
      continue;
    }
    masks.AddRows(w, Removed(l));
    masks.AddRows(Attr(module, l.name, "bias"), Removed(l));
  }
  if (config.speedup) {
    for (const ChannelGroup& g : run.groups.groups) {
      const std::vector<int64_t>& kept = run.kept[static_cast<size_t>(g.id)];
      if (kept.empty()) continue;
      std::set<int64_t> k(kept.begin(), kept.end());
      std::vector<int64_t> removed;
      for (int64_t c = 0; c < g.channels; ++c) {
        if (!k.count(c)) removed.push_back(c);
      }
      // Batch norms and depthwise convolutions over the group, at its offset in theirs.
      for (const ChannelConsumer& f : g.followers) {
        const std::string& name = graph.nodes[static_cast<size_t>(f.node)].name;
        std::vector<int64_t> rows;
        for (int64_t c : removed) rows.push_back(c + f.offset);
        masks.AddRows(Attr(module, name, "weight"), rows);
        masks.AddRows(Attr(module, name, "bias"), rows);
      }
    }
  }
  return masks;
}

std::string Shape(const at::Tensor& t) {
  std::string out = "[";
  for (int64_t d : t.sizes()) out += (out.size() > 1 ? ", " : "") + std::to_string(d);
  return out + "]";
}

void StepLine(std::FILE* progress, int t, int steps, const std::string& text) {
  if (progress == nullptr) return;
  std::fprintf(progress, "step %d/%d: %s\n", t, steps, text.c_str());
  std::fflush(progress);
}

// Saves `model` into `folder` and runs `command` on it in `phase`; a fine-tuner saves its
// model as finetuned.pt there.
StatusOr<ModelCommandResult> RunOnSavedModel(const ScriptModel& model, const ModelCommand& command, ModelPhase phase,
                                             int step, const ModelCommandCall& settings, const ScratchFolder& folder) {
  ModelCommandCall call = settings;
  call.phase = phase;
  call.model_path = folder.path() + "/model.pt";
  call.output_model_path = phase == ModelPhase::kFinetune ? folder.path() + "/finetuned.pt" : "";
  call.step = step;
  HONE_RETURN_IF_ERROR(model.Save(call.model_path));
  return RunModelCommand(command, call);
}

// Errors: a data-driven pruner or fine-tuning without training data.
Status CheckPruneData(const PruneConfig& config, const PruneData& data) {
  if (PrunerTraitsOf(config.pruner).needs_data && data.train == nullptr) {
    return InvalidArgument(PrunerDataUse(config.pruner) + ": give a data set (--data)");
  }
  if (config.schedule.finetune_epochs > 0 && data.train == nullptr) {
    return InvalidArgument("schedule.finetune_epochs needs training data (--data)");
  }
  return Status::Ok();
}

// What every step of one RunPruning call shares.
struct StepContext {
  ScriptModel& model;
  const LayerGraph& graph;
  const PruneConfig& config;
  const PruneData& data;
  ModelCommandCall command_settings;  // data's, with its progress
  int steps;
};

// A step's ranking: filter scores (data-driven pruners; weight norms when scheduled),
// or obs's result, which prunes and updates weights in one go.
struct StepScores {
  std::optional<FilterScoreMap> scores;
  std::optional<PruneResult> updated;
};

StatusOr<StepScores> ScoreStep(const StepContext& c, const PruneConfig& step_config, int t) {
  const PrunerTraits& pruner = PrunerTraitsOf(c.config.pruner);
  const PruneData& data = c.data;
  ScoringData scoring{data.train, data.norm, data.threads, data.seed + static_cast<uint64_t>(t), data.progress};
  StepScores out;
  if (pruner.scoring == PrunerScoring::kObsCalibration) {
    if (c.config.speedup) {
      return InvalidArgument("speedup removes whole channels and needs a structured pruner, but got '" +
                             std::string(pruner.name) + "'");
    }
    auto pruned = PruneWeightsObs(c.model, c.graph, step_config, scoring);
    if (!pruned.ok()) return pruned.status();
    out.updated = std::move(*pruned);
  } else if (pruner.needs_data) {
    auto s = DataFilterScores(c.model, c.graph, step_config, scoring);
    if (!s.ok()) return s.status();
    out.scores = std::move(*s);
  } else if (pruner.structured && c.steps > 1) {
    auto s = WeightFilterScores(c.model, c.graph, step_config);
    if (!s.ok()) return s.status();
    out.scores = std::move(*s);
  }
  return out;
}

// Filters an earlier step removed rank lowest again.
void KeepRemoved(FilterScoreMap& scores, const std::map<std::string, std::vector<int64_t>>& removed_before) {
  for (auto& [name, values] : scores) {
    auto it = removed_before.find(name);
    if (it == removed_before.end()) continue;
    for (int64_t c : it->second) values[static_cast<size_t>(c)] = -std::numeric_limits<double>::infinity();
  }
}

// Prunes the model for this step: masked, or by channel groups for speedup.
Status PruneStepModel(const StepContext& c, const PruneConfig& step_config, StepScores& scored, PruneRun& run,
                      PruneStep& step) {
  if (scored.updated) {
    step.result = std::move(*scored.updated);
  } else if (c.config.speedup) {
    auto pruned = scored.scores ? PruneChannelGroupsByScore(c.model, c.graph, run.groups, step_config, *scored.scores)
                                : PruneChannelGroups(c.model, c.graph, run.groups, step_config);
    if (!pruned.ok()) return pruned.status();
    step.result = pruned->report;
    run.kept = pruned->kept;
  } else {
    auto pruned = PruneWeights(c.model, c.graph, step_config, scored.scores ? &*scored.scores : nullptr);
    if (!pruned.ok()) return pruned.status();
    step.result = *pruned;
  }
  return Status::Ok();
}

// In-process fine-tuning for finetune_epochs, then the user's fine-tuner, each with the
// masks re-applied.
Status FinetuneStep(const StepContext& c, const PruneRun& run, PruneStep& step) {
  const PruneSchedule& schedule = c.config.schedule;
  const PruneData& data = c.data;
  const bool finetune_here = !data.finetuner.empty() && !run.finetune_after_speedup;
  if (schedule.finetune_epochs <= 0 && !finetune_here) return Status::Ok();
  Masks masks;
  try {
    masks = BuildMasks(ModuleOf(c.model), c.graph, c.config, step.result, run);
  } catch (const std::exception& e) {
    return InvalidArgument("pruning masks failed: " + TorchErrorMessage(e));
  }
  if (schedule.finetune_epochs > 0) {
    TrainOptions train =
        FinetuneOptions(schedule, data.threads, data.seed + static_cast<uint64_t>(step.step), data.progress);
    train.after_step = [&masks] { masks.Apply(); };
    auto history = Train(c.model, *data.train, nullptr, data.norm, train);
    if (!history.ok()) return history.status();
    step.finetune = std::move(*history);
    masks.Apply();
  }
  if (finetune_here) {
    StepLine(data.progress, step.step, c.steps, "fine-tuning with `" + data.finetuner.command + "`");
    HONE_RETURN_IF_ERROR(FinetuneWithCommand(c.model, data.finetuner, step.step, c.command_settings));
    masks.Apply();
    step.finetuned_by_command = true;
  }
  return Status::Ok();
}

// The test accuracy, or the evaluator's score in a multi-step schedule.
Status EvaluateStep(const StepContext& c, PruneStep& step) {
  if (c.data.test != nullptr) {
    auto eval = Evaluate(c.model, *c.data.test, c.data.norm, 500, c.data.threads);
    if (!eval.ok()) return eval.status();
    step.test_accuracy = eval->accuracy;
  } else if (!c.data.evaluator.empty() && c.steps > 1) {
    auto score = EvaluateWithCommand(c.model, c.data.evaluator, step.step, c.command_settings);
    if (!score.ok()) return score.status();
    step.test_accuracy = *score;
  }
  return Status::Ok();
}

void ReportStep(const StepContext& c, const PruneStep& step) {
  if (c.data.progress == nullptr || c.steps <= 1) return;
  char text[256];
  std::snprintf(text, sizeof text, "%lld of %lld weights in the pruned layers are zero (%.1f%%)",
                static_cast<long long>(step.result.zero_weights), static_cast<long long>(step.result.weights),
                100.0 * static_cast<double>(step.result.zero_weights) /
                    static_cast<double>(std::max<int64_t>(1, step.result.weights)));
  std::string line = text;
  if (step.test_accuracy >= 0) {
    std::snprintf(text, sizeof text, ", %s %.2f%%", c.data.test != nullptr ? "test accuracy" : "evaluator score",
                  100 * step.test_accuracy);
    line += text;
  }
  StepLine(c.data.progress, step.step, c.steps, line);
}

}  // namespace

Status CopyStateByName(ScriptModel& into, const ScriptModel& from) {
  try {
    torch::NoGradGuard no_grad;
    std::map<std::string, at::Tensor> source;
    for (const auto& p : ModuleOf(from).named_parameters(/*recurse=*/true)) source.emplace(p.name, p.value);
    for (const auto& b : ModuleOf(from).named_buffers(/*recurse=*/true)) source.emplace(b.name, b.value);
    std::vector<std::pair<at::Tensor, at::Tensor>> copies;
    std::vector<std::string> problems;
    std::set<std::string> matched;
    auto match = [&](const std::string& name, const at::Tensor& target) {
      auto it = source.find(name);
      if (it == source.end()) {
        problems.push_back(name + " is missing");
      } else if (it->second.sizes() != target.sizes()) {
        problems.push_back(name + " has shape " + Shape(it->second) + " where the pruned model's has " + Shape(target));
      } else {
        copies.emplace_back(target, it->second);
      }
      matched.insert(name);
    };
    for (const auto& p : ModuleOf(into).named_parameters(true)) match(p.name, p.value);
    for (const auto& b : ModuleOf(into).named_buffers(true)) match(b.name, b.value);
    for (const auto& [name, tensor] : source) {
      if (!matched.count(name)) problems.push_back(name + " is not in the pruned model");
    }
    if (!problems.empty()) {
      std::string text;
      for (size_t i = 0; i < problems.size() && i < 5; ++i) text += (i ? "; " : "") + problems[i];
      if (problems.size() > 5) text += "; and " + std::to_string(problems.size() - 5) + " more";
      return InvalidArgument("the fine-tuned model must keep the parameters and buffers (names and shapes) of "
                             "the model it was given, but " + text);
    }
    for (auto& [target, value] : copies) target.copy_(value);
  } catch (const std::exception& e) {
    return InvalidArgument("cannot copy the fine-tuned model's parameters: " + TorchErrorMessage(e));
  }
  return Status::Ok();
}

Status FinetuneWithCommand(ScriptModel& model, const ModelCommand& finetuner, int step,
                           const ModelCommandCall& settings) {
  auto folder = ScratchFolder::Create();
  if (!folder.ok()) return folder.status();
  auto ran = RunOnSavedModel(model, finetuner, ModelPhase::kFinetune, step, settings, *folder);
  if (!ran.ok()) return ran.status();
  auto tuned = ScriptModel::Load(folder->path() + "/finetuned.pt");
  if (!tuned.ok()) return tuned.status().WithContext("the fine-tuner's output model");
  Status copied = CopyStateByName(model, *tuned);
  if (!copied.ok()) return Status(copied.code(), "fine-tuner `" + finetuner.command + "`: " + copied.message());
  return Status::Ok();
}

StatusOr<double> EvaluateWithCommand(const ScriptModel& model, const ModelCommand& evaluator, int step,
                                     const ModelCommandCall& settings) {
  auto folder = ScratchFolder::Create();
  if (!folder.ok()) return folder.status();
  auto ran = RunOnSavedModel(model, evaluator, ModelPhase::kEvaluate, step, settings, *folder);
  if (!ran.ok()) return ran.status();
  return *ran->value;
}

StatusOr<PruneRun> RunPruning(ScriptModel& model, const LayerGraph& graph, const PruneConfig& config,
                              const PruneData& data) {
  HONE_RETURN_IF_ERROR(CheckPruneData(config, data));
  const int steps = config.schedule.kind == "one-shot" ? 1 : std::max(1, config.schedule.steps);
  PruneRun run;
  if (config.speedup) run.groups = AnalyzeChannels(graph);
  run.finetune_after_speedup = !data.finetuner.empty() && config.speedup && steps == 1;
  StepContext context{model, graph, config, data, data.command_settings, steps};
  context.command_settings.progress = data.progress;
  std::map<std::string, std::vector<int64_t>> removed_before;  // structured: per layer
  for (int t = 1; t <= steps; ++t) {
    PruneStep step;
    step.step = t;
    PruneConfig step_config = config;
    for (PruneRule& r : step_config.rules) {
      r.sparse_ratio = ScheduledRatio(config.schedule, r.sparse_ratio, t);
      step.rule_ratios.push_back(r.sparse_ratio);
    }
    auto scored = ScoreStep(context, step_config, t);
    if (!scored.ok()) return scored.status();
    if (scored->scores) KeepRemoved(*scored->scores, removed_before);
    HONE_RETURN_IF_ERROR(PruneStepModel(context, step_config, *scored, run, step));
    for (const LayerPruneResult& l : step.result.layers) {
      if (!l.kept_channels.empty()) removed_before[l.name] = Removed(l);
    }
    HONE_RETURN_IF_ERROR(FinetuneStep(context, run, step));
    HONE_RETURN_IF_ERROR(EvaluateStep(context, step));
    ReportStep(context, step);
    run.steps.push_back(std::move(step));
  }
  run.result = run.steps.back().result;
  return run;
}

TrainOptions FinetuneOptions(const PruneSchedule& schedule, int threads, uint64_t seed, std::FILE* progress) {
  TrainOptions train;
  train.optimizer = schedule.optimizer;
  train.lr = schedule.lr;
  train.epochs = schedule.finetune_epochs;
  train.batch_size = schedule.batch_size;
  train.threads = threads;
  train.seed = seed;
  train.progress = progress;
  return train;
}

}  // namespace hone::compress
