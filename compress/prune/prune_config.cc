#include "compress/prune/prune_config.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

namespace hone::compress {
namespace {

class Errors {
 public:
  explicit Errors(std::string origin) : origin_(std::move(origin)) {}
  void Add(const YAML::Node& at, const std::string& path, const std::string& what) {
    const YAML::Mark m = at.Mark();
    text_ += (text_.empty() ? "" : "\n") + origin_ + ":" + std::to_string(m.line + 1) + ":" +
             std::to_string(m.column + 1) + ": error: " + path + ": " + what;
  }
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string origin_;
  std::string text_;
};

std::string Got(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return n.IsSequence() ? "a list" : n.IsMap() ? "a map" : "null";
}

std::vector<std::string> StringList(const YAML::Node& n, const std::string& path, Errors& errors) {
  std::vector<std::string> out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) {
    errors.Add(n, path, "must be a list of strings, but got " + Got(n));
    return out;
  }
  for (const YAML::Node& item : n) {
    if (item.IsScalar()) {
      out.push_back(item.Scalar());
    } else {
      errors.Add(item, path, "must hold strings, but got " + Got(item));
    }
  }
  return out;
}

double Ratio(const YAML::Node& n, const std::string& path, Errors& errors, bool allow_one = false) {
  try {
    double v = n.as<double>();
    if (v >= 0 && (v < 1 || (allow_one && v == 1))) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, std::string("must be a number in [0, 1") + (allow_one ? "]" : ")") + ", but got " + Got(n));
  return 0;
}

// An integer >= `min`.
int64_t Integer(const YAML::Node& n, const std::string& path, Errors& errors, int64_t min, int64_t fallback) {
  try {
    int64_t v = n.as<int64_t>();
    if (v >= min) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, "must be an integer >= " + std::to_string(min) + ", but got " + Got(n));
  return fallback;
}

// A number > 0 (or >= 0 with allow_zero).
double Positive(const YAML::Node& n, const std::string& path, Errors& errors, double fallback, bool allow_zero = false) {
  try {
    double v = n.as<double>();
    if (std::isfinite(v) && (v > 0 || (allow_zero && v == 0))) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, std::string("must be a number ") + (allow_zero ? ">= 0" : "> 0") + ", but got " + Got(n));
  return fallback;
}

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

// One config_list entry (a map) at `at` ("config_list[2]").
PruneRule ParseRule(const YAML::Node& entry, const std::string& at, Errors& errors) {
  PruneRule rule;
  bool has_ratio = false;
  for (const auto& e : entry) {
    const std::string k = e.first.Scalar();
    const std::string path = at + "." + k;
    if (k == "op_types") {
      rule.op_types = StringList(e.second, path, errors);
      for (const std::string& t : rule.op_types) {
        if (t != "Conv2d" && t != "Linear" && t != "default") {
          errors.Add(e.second, path, "must list Conv2d, Linear or default, but got '" + t + "'");
        }
      }
    } else if (k == "op_names") {
      rule.op_names = StringList(e.second, path, errors);
    } else if (k == "exclude_op_names") {
      rule.exclude_op_names = StringList(e.second, path, errors);
    } else if (k == "sparse_ratio" || k == "sparsity" || k == "sparsity_per_layer" || k == "total_sparsity") {
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
    } else {
      errors.Add(e.first, path,
                 "is not a config_list key (op_types, op_names, exclude_op_names, sparse_ratio, "
                 "max_sparse_ratio, global_group_id, exclude)");
    }
  }
  if (!rule.exclude && !has_ratio) errors.Add(entry, at, "needs sparse_ratio (or exclude: true)");
  return rule;
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
    if (key == "pruner") {
      std::optional<PrunerKind> kind = ParsePrunerKind(v.IsScalar() ? v.Scalar() : "");
      if (kind) {
        config.pruner = *kind;
      } else {
        errors.Add(v, "pruner", "must be one of " + PrunerNameList() + ", but got " + Got(v));
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
      errors.Add(kv.first, key, "is not a key of a pruning configuration (pruner, config_list, speedup, pruner_options, schedule, "
                 "evaluator, finetuner)");
    }
  }
  if (!root["config_list"] && errors.empty()) errors.Add(root, "config_list", "is required");
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

bool RuleMatches(const PruneRule& rule, const std::string& op_type, const std::string& name) {
  bool type_ok = rule.op_types.empty();
  for (const std::string& t : rule.op_types) type_ok = type_ok || t == op_type || t == "default";
  if (!type_ok) return false;
  bool name_ok = rule.op_names.empty();
  for (const std::string& g : rule.op_names) name_ok = name_ok || fnmatch(g.c_str(), name.c_str(), 0) == 0;
  if (!name_ok) return false;
  for (const std::string& g : rule.exclude_op_names) {
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return false;
  }
  return true;
}

const PruneRule* ActiveRule(const PruneConfig& config, const std::string& op_type, const std::string& name) {
  const PruneRule* rule = nullptr;
  for (const PruneRule& r : config.rules) {
    if (RuleMatches(r, op_type, name)) rule = &r;
  }
  return rule == nullptr || rule->exclude || rule->sparse_ratio <= 0 ? nullptr : rule;
}

}  // namespace hone::compress
