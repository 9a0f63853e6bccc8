#include "compress/prune/prune_config.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "compress/config/yaml_fields.h"
#include "core/diagnostics.h"

namespace hone::compress {
namespace {

using yaml_fields::Errors;
using yaml_fields::Got;
using yaml_fields::Integer;
using yaml_fields::Positive;
using yaml_fields::Ratio;
using yaml_fields::StringList;

void ParsePrunerOptions(const YAML::Node& v, PrunerOptions& o, Errors& errors) {
  if (!v.IsMap()) {
    errors.Add(v, "pruner_options", "must be a map, but got " + Got(v));
    return;
  }
  for (const auto& e : v) {
    const std::string k = e.first.Scalar();
    const std::string path = "pruner_options." + k;
    if (k == "batches") {
      o.batches = Integer(e.second, path, errors, 1, o.batches);
    } else if (k == "batch_size") {
      o.batch_size = Integer(e.second, path, errors, 1, o.batch_size);
    } else if (k == "sparsity_epochs") {
      o.sparsity_epochs = static_cast<int>(Integer(e.second, path, errors, 0, o.sparsity_epochs));
    } else if (k == "sparsity_lambda") {
      o.sparsity_lambda = Positive(e.second, path, errors, o.sparsity_lambda, /*allow_zero=*/true);
    } else if (k == "lr") {
      o.lr = Positive(e.second, path, errors, o.lr);
    } else if (k == "damp") {
      o.damp = Positive(e.second, path, errors, o.damp);
    } else if (k == "solver") {
      o.solver = e.second.IsScalar() ? e.second.Scalar() : "";
      if (o.solver != "auto" && o.solver != "blocked") {
        errors.Add(e.second, path, "must be auto or blocked, but got " + Got(e.second));
      }
    } else {
      errors.Add(e.first, path,
                 "is not a pruner_options key (batches, batch_size, sparsity_epochs, sparsity_lambda, lr, damp, solver)");
    }
  }
}

void ParseSchedule(const YAML::Node& v, PruneSchedule& s, Errors& errors) {
  if (!v.IsMap()) {
    errors.Add(v, "schedule", "must be a map, but got " + Got(v));
    return;
  }
  bool has_steps = false;
  for (const auto& e : v) {
    const std::string k = e.first.Scalar();
    const std::string path = "schedule." + k;
    if (k == "kind") {
      s.kind = e.second.IsScalar() ? e.second.Scalar() : "";
      if (s.kind != "one-shot" && s.kind != "iterative" && s.kind != "agp") {
        errors.Add(e.second, path, "must be one of one-shot, iterative, agp, but got " + Got(e.second));
      }
    } else if (k == "steps") {
      s.steps = static_cast<int>(Integer(e.second, path, errors, 1, s.steps));
      has_steps = true;
    } else if (k == "initial_sparsity") {
      s.initial_sparsity = Ratio(e.second, path, errors);
    } else if (k == "finetune_epochs") {
      s.finetune_epochs = static_cast<int>(Integer(e.second, path, errors, 0, s.finetune_epochs));
    } else if (k == "optimizer") {
      s.optimizer = e.second.IsScalar() ? e.second.Scalar() : "";
      if (s.optimizer != "sgd" && s.optimizer != "adam" && s.optimizer != "adamw") {
        errors.Add(e.second, path, "must be one of sgd, adam, adamw, but got " + Got(e.second));
      }
    } else if (k == "lr") {
      s.lr = Positive(e.second, path, errors, s.lr);
    } else if (k == "batch_size") {
      s.batch_size = Integer(e.second, path, errors, 1, s.batch_size);
    } else {
      errors.Add(e.first, path,
                 "is not a schedule key (kind, steps, initial_sparsity, finetune_epochs, optimizer, lr, batch_size)");
    }
  }
  if (s.kind == "one-shot" && has_steps && s.steps != 1) {
    errors.Add(v["steps"], "schedule.steps", "must be 1 for a one-shot schedule, but got " + std::to_string(s.steps));
  }
  if (s.kind != "one-shot" && !has_steps) s.steps = 4;
}

// `key: "command"` or `key: {command: "...", timeout_s: N}`.
void ParseModelCommand(const YAML::Node& v, const std::string& key, ModelCommand& c, Errors& errors) {
  if (v.IsScalar()) {
    c.command = v.Scalar();
    if (c.command.empty()) errors.Add(v, key, "must be a non-empty command, but got ''");
    return;
  }
  if (!v.IsMap()) {
    errors.Add(v, key, "must be a command or a map with command and timeout_s, but got " + Got(v));
    return;
  }
  for (const auto& e : v) {
    const std::string k = e.first.Scalar();
    const std::string path = key + "." + k;
    if (k == "command") {
      c.command = e.second.IsScalar() ? e.second.Scalar() : "";
      if (c.command.empty()) errors.Add(e.second, path, "must be a non-empty command, but got " + Got(e.second));
    } else if (k == "timeout_s") {
      c.timeout_s = Positive(e.second, path, errors, c.timeout_s, /*allow_zero=*/true);
    } else {
      errors.Add(e.first, path, "is not a key of " + key + " (command, timeout_s)");
    }
  }
  if (!v["command"]) errors.Add(v, key + ".command", "is required");
}

// Every config_list key hone reads, for did-you-mean.
const std::vector<std::string>& RuleKeys() {
  static const std::vector<std::string> kKeys = {
      "op_types", "exclude_op_types", "op_names", "op_names_re", "op_partial_names", "exclude_op_names",
      "exclude_op_names_re", "sparse_ratio", "sparsity", "sparsity_per_layer", "total_sparsity", "max_sparse_ratio",
      "max_sparsity_per_layer", "global_group_id", "exclude", "granularity", "target_names"};
  return kKeys;
}

// NNI keys hone has no meaning for, with what to do instead.
std::string NniOnlyRuleKey(const std::string& k) {
  if (k.rfind("quant_", 0) == 0 || k == "fuse_names") return "is a quantization key; hone compress does not quantize (yet)";
  if (k == "sparse_threshold") return "is not available in hone; give sparse_ratio";
  if (k == "dependency_group_id") return "is not needed: hone finds the layers whose channels depend on each other";
  return "";
}

// op_types / exclude_op_types: Conv2d, Linear (any case), default; the canonical names.
std::vector<std::string> OpTypes(const YAML::Node& v, const std::string& path, Errors& errors) {
  std::vector<std::string> out;
  for (std::string t : StringList(v, path, errors)) {
    std::string lower = t;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "conv2d" || lower == "linear" || lower == "default") {
      out.push_back(lower == "conv2d" ? "Conv2d" : lower == "linear" ? "Linear" : "default");
    } else if (lower.rfind("batchnorm", 0) == 0) {
      errors.Add(v, path, "hone selects the layers whose channels are pruned: write Conv2d (slim ranks them by the "
                          "batch norm after each), but got '" + t + "'");
    } else {
      const std::string near = DidYouMean(t, {"Conv2d", "Linear", "default"});
      errors.Add(v, path, "must list Conv2d, Linear or default, but got '" + t + "'" +
                              (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  return out;
}

// Regexes (op_names_re): each must compile.
std::vector<std::string> Regexes(const YAML::Node& v, const std::string& path, Errors& errors) {
  std::vector<std::string> out = StringList(v, path, errors);
  for (const std::string& r : out) {
    try {
      std::regex compiled(r);
    } catch (const std::regex_error& e) {
      errors.Add(v, path, "must hold regular expressions, but '" + r + "' is not one (" + e.what() + ")");
    }
  }
  return out;
}

// granularity and target_names: NNI's keys, accepted where hone prunes that way.
void CheckNniTarget(const std::string& k, const YAML::Node& v, const std::string& path, Errors& errors) {
  if (k == "granularity") {
    const std::string g = v.IsScalar() ? v.Scalar() : "";
    if (g != "default" && g != "out_channel") {
      errors.Add(v, path, "must be default or out_channel (hone's filter pruners remove output channels, level and "
                          "obs single weights), but got " + Got(v));
    }
    return;
  }
  for (const std::string& t : StringList(v, path, errors)) {
    if (t != "weight" && t != "bias") {
      errors.Add(v, path, "hone prunes layer weights (and with them the biases of removed filters): list weight or "
                          "bias, but got '" + t + "'");
    }
  }
}

// The keys that select layers; false when `k` is not one.
bool ParseSelector(const std::string& k, const YAML::Node& v, const std::string& path, PruneRule& rule, Errors& errors) {
  if (k == "op_types") {
    rule.op_types = OpTypes(v, path, errors);
  } else if (k == "exclude_op_types") {
    rule.exclude_op_types = OpTypes(v, path, errors);
  } else if (k == "op_names") {
    rule.op_names = StringList(v, path, errors);
  } else if (k == "op_names_re") {
    rule.op_names_re = Regexes(v, path, errors);
  } else if (k == "op_partial_names") {
    rule.op_partial_names = StringList(v, path, errors);
  } else if (k == "exclude_op_names") {
    rule.exclude_op_names = StringList(v, path, errors);
  } else if (k == "exclude_op_names_re") {
    rule.exclude_op_names_re = Regexes(v, path, errors);
  } else {
    return false;
  }
  return true;
}

// One config_list entry (a map) at `at` ("config_list[2]").
PruneRule ParseRule(const YAML::Node& entry, const std::string& at, Errors& errors) {
  PruneRule rule;
  bool has_ratio = false;
  for (const auto& e : entry) {
    const std::string k = e.first.Scalar();
    const std::string path = at + "." + k;
    if (ParseSelector(k, e.second, path, rule, errors)) continue;
    if (k == "sparse_ratio" || k == "sparsity" || k == "sparsity_per_layer" || k == "total_sparsity") {
      rule.sparse_ratio = Ratio(e.second, path, errors);
      has_ratio = true;
      if (k == "total_sparsity" && rule.global_group_id.empty()) rule.global_group_id = "total_sparsity";
    } else if (k == "max_sparse_ratio" || k == "max_sparsity_per_layer") {
      rule.max_sparse_ratio = Ratio(e.second, path, errors, /*allow_one=*/true);
    } else if (k == "global_group_id") {
      rule.global_group_id = e.second.IsScalar() ? e.second.Scalar() : "";
    } else if (k == "exclude") {
      try {
        rule.exclude = e.second.as<bool>();
      } catch (const YAML::Exception&) {
        errors.Add(e.second, path, "must be true or false, but got " + Got(e.second));
      }
    } else if (k == "granularity" || k == "target_names") {
      CheckNniTarget(k, e.second, path, errors);
    } else if (std::string note = NniOnlyRuleKey(k); !note.empty()) {
      errors.Add(e.first, path, note);
    } else {
      const std::string near = DidYouMean(k, RuleKeys());
      errors.Add(e.first, path,
                 "is not a config_list key (op_types, op_names, exclude_op_names, sparse_ratio, max_sparse_ratio, "
                 "global_group_id, exclude, or NNI's op_names_re, op_partial_names, exclude_op_types, sparsity, ...)" +
                     (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  if (!rule.exclude && !has_ratio) errors.Add(entry, at, "needs sparse_ratio (or exclude: true)");
  return rule;
}

// granularity: out_channel asks for whole filters, which level and obs do not remove.
void CheckGranularityFitsPruner(const YAML::Node& list, PrunerKind pruner, Errors& errors) {
  if (!list.IsSequence() || PrunerTraitsOf(pruner).structured) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node g = list[i].IsMap() ? list[i]["granularity"] : YAML::Node();
    if (g && g.IsScalar() && g.Scalar() == "out_channel") {
      errors.Add(g, "config_list[" + std::to_string(i) + "].granularity",
                 "out_channel removes whole filters, which the " + PrunerName(pruner) +
                     " pruner does not (it removes single weights): use l1, l2, fpgm, taylor, slim, apoz or "
                     "mean_activation, or granularity: default");
    }
  }
}

void ParseConfigList(const YAML::Node& v, std::vector<PruneRule>& rules, Errors& errors) {
  if (!v.IsSequence()) {
    errors.Add(v, "config_list", "must be a list of maps, but got " + Got(v));
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const YAML::Node& entry = v[i];
    const std::string at = "config_list[" + std::to_string(i) + "]";
    if (!entry.IsMap()) {
      errors.Add(entry, at, "must be a map, but got " + Got(entry));
      continue;
    }
    rules.push_back(ParseRule(entry, at, errors));
  }
}

bool IsAmc(const YAML::Node& v) {
  if (!v.IsScalar()) return false;
  std::string name = v.Scalar();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name == "amc" || name == "amcpruner";
}

// pruner: amc reads the amc block; config_list, multi-step schedules and speedup: false
// have no meaning for it.
void ParseAmc(const YAML::Node& root, PruneConfig& config, Errors& errors) {
  const YAML::Node block = root["amc"];
  if (!config.amc) {
    if (block) errors.Add(block, "amc", "is read only with pruner: amc");
    return;
  }
  if (!block) {
    errors.Add(root, "amc", "is required with pruner: amc (total_sparsity, episodes, ...)");
  } else {
    ParseAmcBlock(block, *config.amc, [&](const YAML::Node& at, const std::string& path, const std::string& what) {
      errors.Add(at, path, what);
    });
  }
  config.pruner = config.amc->base_pruner;
  config.speedup = true;
  if (root["config_list"]) {
    errors.Add(root["config_list"], "config_list",
               "pruner amc chooses every layer's ratio itself: give its target in amc.total_sparsity");
  }
  if (root["speedup"] && root["speedup"].IsScalar() && root["speedup"].Scalar() == "false") {
    errors.Add(root["speedup"], "speedup", "pruner amc always writes the sped-up model: remove speedup: false");
  }
  if (config.schedule.kind != "one-shot") {
    errors.Add(root["schedule"]["kind"], "schedule.kind",
               "must be one-shot with pruner amc (it searches once; finetune_epochs fine-tunes the sped-up model)");
  }
}

}  // namespace

double ScheduledRatio(const PruneSchedule& schedule, double target, int step) {
  const int n = std::max(1, schedule.steps);
  if (schedule.kind == "one-shot" || step >= n) return target;
  const double t = static_cast<double>(std::max(0, step)) / static_cast<double>(n);
  if (schedule.kind == "iterative") return target * t;
  const double initial = std::min(schedule.initial_sparsity, target);
  return target + (initial - target) * std::pow(1.0 - t, 3);
}

StatusOr<PruneConfig> ParsePruneConfig(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                           ": error: " + e.msg);
  }
  Errors errors(origin);
  PruneConfig config;
  if (!root.IsMap()) return InvalidArgument(origin + ":1:1: error: the configuration must be a map");
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "pruner" && IsAmc(v)) {
      config.amc.emplace();
    } else if (key == "amc") {
      continue;  // ParseAmc, once the pruner is known
    } else if (key == "pruner") {
      PrunerLookup found = LookupPruner(v.IsScalar() ? v.Scalar() : "");
      if (found.kind) {
        config.pruner = *found.kind;
      } else {
        errors.Add(v, "pruner", v.IsScalar() ? found.error : "must be a pruner's name, but got " + Got(v));
      }
    } else if (key == "speedup") {
      try {
        config.speedup = v.as<bool>();
      } catch (const YAML::Exception&) {
        errors.Add(v, "speedup", "must be true or false, but got " + Got(v));
      }
    } else if (key == "pruner_options") {
      ParsePrunerOptions(v, config.options, errors);
    } else if (key == "schedule") {
      ParseSchedule(v, config.schedule, errors);
    } else if (key == "evaluator" || key == "finetuner") {
      ParseModelCommand(v, key, key == "evaluator" ? config.evaluator : config.finetuner, errors);
    } else if (key == "config_list") {
      ParseConfigList(v, config.rules, errors);
    } else {
      const std::string near = DidYouMean(key, {"pruner", "config_list", "speedup", "pruner_options", "schedule",
                                                "evaluator", "finetuner", "amc"});
      errors.Add(kv.first, key, "is not a key of a pruning configuration (pruner, config_list, speedup, pruner_options, "
                 "schedule, evaluator, finetuner, amc)" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  ParseAmc(root, config, errors);
  if (!root["config_list"] && !config.amc && errors.empty()) errors.Add(root, "config_list", "is required");
  CheckGranularityFitsPruner(root["config_list"], config.pruner, errors);
  if (!errors.empty()) return InvalidArgument(errors.text());
  return config;
}

StatusOr<PruneConfig> LoadPruneConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(path + ": cannot open the pruning configuration");
  std::stringstream text;
  text << in.rdbuf();
  return ParsePruneConfig(text.str(), path);
}

void OverrideModelCommand(ModelCommand& configured, const ModelCommand& flag) {
  if (!flag.command.empty()) configured.command = flag.command;
  if (flag.timeout_s >= 0) configured.timeout_s = flag.timeout_s;
}

namespace {

bool AnyGlob(const std::vector<std::string>& globs, const std::string& name) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) { return fnmatch(g.c_str(), name.c_str(), 0) == 0; });
}

// Python's re.match: the pattern matches at the start of the name.
bool AnyRegex(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return std::regex_search(name, std::regex(p), std::regex_constants::match_continuous);
  });
}

}  // namespace

bool RuleMatches(const PruneRule& rule, const std::string& op_type, const std::string& name) {
  bool type_ok = rule.op_types.empty();
  for (const std::string& t : rule.op_types) type_ok = type_ok || t == op_type || t == "default";
  for (const std::string& t : rule.exclude_op_types) type_ok = type_ok && t != op_type && t != "default";
  if (!type_ok) return false;
  const bool any_name = rule.op_names.empty() && rule.op_names_re.empty() && rule.op_partial_names.empty();
  const bool name_ok = any_name || AnyGlob(rule.op_names, name) || AnyRegex(rule.op_names_re, name) ||
                       std::any_of(rule.op_partial_names.begin(), rule.op_partial_names.end(),
                                   [&](const std::string& part) { return name.find(part) != std::string::npos; });
  if (!name_ok) return false;
  return !AnyGlob(rule.exclude_op_names, name) && !AnyRegex(rule.exclude_op_names_re, name);
}

const PruneRule* ActiveRule(const PruneConfig& config, const std::string& op_type, const std::string& name) {
  const PruneRule* rule = nullptr;
  for (const PruneRule& r : config.rules) {
    if (RuleMatches(r, op_type, name)) rule = &r;
  }
  return rule == nullptr || rule->exclude || rule->sparse_ratio <= 0 ? nullptr : rule;
}

}  // namespace hone::compress
