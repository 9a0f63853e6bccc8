// config_list entries of the quantization config: selection (prune's keys), targets and
// their grids, and what each quantizer can emit.
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

#include "compress/quant/quant_config_check.h"
#include "core/diagnostics.h"

namespace hone::compress::quant_config {

namespace {

enum Target { kInput, kWeight, kOutput };
const char* const kTargetNames[] = {"_input_", "weight", "_output_"};

// One target's settings as written: each value with the node it came from.
struct TargetSetting {
  YAML::Node dtype, scheme, granularity;
};

// Whether a node was written (a default-constructed YAML::Node counts as defined).
bool Has(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

using yaml_fields::StringList;

std::vector<std::string> OpTypes(const YAML::Node& v, const std::string& path, Errors& errors) {
  std::vector<std::string> out;
  for (const std::string& t : StringList(v, path, errors)) {
    std::string lower = t;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "conv2d" || lower == "linear" || lower == "default") {
      out.push_back(lower == "conv2d" ? "Conv2d" : lower == "linear" ? "Linear" : "default");
    } else {
      const std::string near = DidYouMean(t, {"Conv2d", "Linear", "default"});
      errors.Add(v, path, "hone quantizes Conv2d and Linear layers (a batch norm is folded into its convolution, a "
                          "relu fused with it): list Conv2d, Linear or default, but got '" + t + "'" +
                              (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  return out;
}

// The selection keys (those of prune configs); false when `k` is not one.
bool ParseSelector(const std::string& k, const YAML::Node& v, const std::string& path, QuantRule& rule,
                   Errors& errors) {
  PruneRule& s = rule.select;
  if (k == "op_types" || k == "exclude_op_types") {
    (k == "op_types" ? s.op_types : s.exclude_op_types) = OpTypes(v, path, errors);
  } else if (k == "op_names" || k == "exclude_op_names") {
    (k == "op_names" ? s.op_names : s.exclude_op_names) = StringList(v, path, errors);
    if (k == "op_names" && v.IsSequence()) {
      for (const YAML::Node& item : v) {
        if (item.IsScalar()) rule.names.push_back({item.Scalar(), item.Mark().line + 1, item.Mark().column + 1});
      }
    } else if (k == "op_names" && v.IsScalar()) {
      rule.names.push_back({v.Scalar(), v.Mark().line + 1, v.Mark().column + 1});
    }
  } else if (k == "op_names_re" || k == "exclude_op_names_re") {
    std::vector<std::string> res = StringList(v, path, errors);
    for (const std::string& r : res) {
      try {
        std::regex compiled(r);
      } catch (const std::regex_error& e) {
        errors.Add(v, path, "must hold regular expressions, but '" + r + "' is not one (" + e.what() + ")");
      }
    }
    (k == "op_names_re" ? s.op_names_re : s.exclude_op_names_re) = res;
  } else if (k == "op_partial_names") {
    s.op_partial_names = StringList(v, path, errors);
  } else {
    return false;
  }
  return true;
}

// target_names: _input_, weight, _output_ (NNI's _input_0, input, _output_0, output too).
std::vector<Target> Targets(const YAML::Node& v, const std::string& path, Errors& errors) {
  std::vector<Target> out;
  for (const std::string& t : StringList(v, path, errors)) {
    if (t == "_input_" || t == "_input_0" || t == "input") {
      out.push_back(kInput);
    } else if (t == "weight") {
      out.push_back(kWeight);
    } else if (t == "_output_" || t == "_output_0" || t == "output") {
      out.push_back(kOutput);
    } else if (t == "bias") {
      errors.Add(v, path, "biases stay in higher precision (the int8 kernels add them in float or int32): list "
                          "_input_, weight, _output_, but got 'bias'");
    } else {
      const std::string near = DidYouMean(t, {"_input_", "weight", "_output_"});
      errors.Add(v, path, "must list _input_, weight or _output_, but got '" + t + "'" +
                              (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  return out;
}

// quant_dtype, quant_scheme, granularity; false when `k` is not one.
bool ReadSetting(const std::string& k, const YAML::Node& v, TargetSetting& s) {
  if (k == "quant_dtype") {
    s.dtype = v;
  } else if (k == "quant_scheme") {
    s.scheme = v;
  } else if (k == "granularity") {
    s.granularity = v;
  } else {
    return false;
  }
  return true;
}

// target_settings: {weight: {quant_dtype: int4}, _output_: {...}}.
void ParseTargetSettings(const YAML::Node& v, const std::string& path, std::map<Target, TargetSetting>& out,
                         Errors& errors) {
  if (!v.IsMap()) return errors.Add(v, path, "must be a map of target names to settings, but got " + Got(v));
  for (const auto& e : v) {
    const std::string at = path + "." + e.first.Scalar();
    std::vector<Target> t = Targets(e.first, at, errors);
    if (t.empty()) continue;
    if (!e.second.IsMap()) {
      errors.Add(e.second, at, "must be a map (quant_dtype, quant_scheme, granularity), but got " + Got(e.second));
      continue;
    }
    for (const auto& s : e.second) {
      if (!ReadSetting(s.first.Scalar(), s.second, out[t[0]])) {
        errors.Add(s.first, at + "." + s.first.Scalar(), "is not a target setting (quant_dtype, quant_scheme, granularity)");
      }
    }
  }
}

struct EntryContext {
  Quantizer quantizer;
  std::string at;     // "config_list[0]"
  bool several = false;  // the entry-level settings cover several targets
};

// The grid of one target from its settings (target_settings over the entry's).
std::optional<QuantSpec> TargetSpec(Target t, const TargetSetting& own, const TargetSetting& entry,
                                    const EntryContext& c, Errors& errors) {
  const YAML::Node dtype = Has(own.dtype) ? own.dtype : entry.dtype;
  const YAML::Node scheme = Has(own.scheme) ? own.scheme : entry.scheme;
  const YAML::Node gran = Has(own.granularity) ? own.granularity : entry.granularity;
  const std::string path = c.at + (Has(own.dtype) ? ".target_settings." + std::string(kTargetNames[t]) : "");
  int bits = 8;
  bool is_unsigned = false;
  if (Has(dtype)) {
    static const std::regex kDtype("(u?)int([0-9]+)");
    std::smatch m;
    const std::string text = dtype.IsScalar() ? dtype.Scalar() : "";
    if (!std::regex_match(text, m, kDtype) || std::stoi(m[2]) < 2 || std::stoi(m[2]) > 8) {
      errors.Add(dtype, path + ".quant_dtype", "must be int2..int8 or uint2..uint8, but got " + Got(dtype));
      return std::nullopt;
    }
    bits = std::stoi(m[2]);
    is_unsigned = m[1] == "u";
  }
  const std::string s = Has(scheme) && scheme.IsScalar() ? scheme.Scalar() : "";
  const std::string g = Has(gran) && gran.IsScalar() ? gran.Scalar() : "default";
  if (Has(scheme) && s != "affine" && s != "symmetric") {
    errors.Add(scheme, c.at + ".quant_scheme", "must be affine or symmetric, but got " + Got(scheme));
  }
  if (g != "default" && g != "per_channel" && g != "per_tensor") {
    errors.Add(gran, c.at + ".granularity", "must be default, per_channel or per_tensor, but got " + Got(gran));
  }
  if (t == kWeight) {
    if (is_unsigned) {
      errors.Add(dtype, path + ".quant_dtype", "weights lie on signed symmetric grids (the int8 kernels need zero "
                                               "point 0): write int" + std::to_string(bits) + ", but got " + Got(dtype));
    }
    if (s == "affine" && (Has(own.scheme) || !c.several)) {
      errors.Add(scheme, c.at + ".quant_scheme", "weights lie on symmetric grids (the int8 kernels need zero point 0), "
                                                 "but got 'affine' for weight alone");
    }
    return WeightSpec(bits);
  }
  if (s == "symmetric") {
    errors.Add(scheme, c.at + ".quant_scheme", "activations lie on affine grids (the int8 kernels take uint8 with a "
                                               "zero point): write affine, but got 'symmetric' for " + std::string(kTargetNames[t]));
  }
  if (g == "per_channel") {
    errors.Add(gran, c.at + ".granularity", std::string("activations have one grid per tensor (the int8 kernels take no "
                                            "per-channel activations), but got 'per_channel' for ") + kTargetNames[t]);
  }
  const bool int8_kernels = c.quantizer == Quantizer::kPtq || c.quantizer == Quantizer::kDynamic ||
                            c.quantizer == Quantizer::kObq || c.quantizer == Quantizer::kRtn;
  if (bits != 8 && int8_kernels) {
    errors.Add(dtype, path + ".quant_dtype", std::string(QuantizerName(c.quantizer)) +
                          " runs activations through the int8 kernels, so they must be 8-bit (weights may use 2..8 bits; "
                          "qat and lsq train lower-bit activations), but got " + Got(dtype) + " for " + kTargetNames[t]);
  }
  return ActivationSpec(bits);
}

// NNI keys hone has no meaning for, with what to write instead ("" when `k` is none).
std::string NniOnlyKey(const std::string& k) {
  if (k == "quant_bits" || k == "quant_types" || k == "quant_start_step") {
    return "is NNI v2's: write quant_dtype (int8, int4, ...) and target_names (_input_, weight, _output_)";
  }
  if (k.find("sparse") != std::string::npos || k.find("sparsity") != std::string::npos) {
    return "is a pruning key: prune with `hone compress prune`, then quantize its output";
  }
  return "";
}

const std::vector<std::string>& EntryKeys() {
  static const std::vector<std::string> kKeys = {
      "op_types", "exclude_op_types", "op_names", "op_names_re", "op_partial_names", "exclude_op_names",
      "exclude_op_names_re", "target_names", "quant_dtype", "quant_scheme", "granularity", "target_settings",
      "exclude", "fuse_names"};
  return kKeys;
}

// Reads one entry's keys into `rule`, its settings into `entry` and `own`, and returns its
// target_names node (null when absent).
YAML::Node ReadEntry(const YAML::Node& node, const std::string& at, QuantRule& rule, TargetSetting& entry,
                     std::map<Target, TargetSetting>& own, Errors& errors) {
  YAML::Node targets;
  for (const auto& e : node) {
    const std::string k = e.first.Scalar();
    const std::string path = at + "." + k;
    if (ParseSelector(k, e.second, path, rule, errors) || ReadSetting(k, e.second, entry)) continue;
    if (k == "target_names") {
      targets = e.second;
    } else if (k == "target_settings") {
      ParseTargetSettings(e.second, path, own, errors);
    } else if (k == "exclude") {
      try {
        rule.exclude = e.second.as<bool>();
      } catch (const YAML::Exception&) {
        errors.Add(e.second, path, "must be true or false, but got " + Got(e.second));
      }
    } else if (k == "fuse_names") {
      StringList(e.second, path, errors);  // hone folds and fuses conv-bn-relu itself
    } else if (std::string note = NniOnlyKey(k); !note.empty()) {
      errors.Add(e.first, path, note);
    } else {
      const std::string near = DidYouMean(k, EntryKeys());
      errors.Add(e.first, path, "is not a config_list key (op_types, op_names, exclude_op_names, target_names, "
                                "quant_dtype, quant_scheme, granularity, target_settings, exclude, ...)" +
                                    (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  return targets;
}

QuantRule ParseRule(const YAML::Node& node, const std::string& at, Quantizer quantizer, Errors& errors) {
  QuantRule rule;
  TargetSetting entry;
  std::map<Target, TargetSetting> own;
  const YAML::Node names = ReadEntry(node, at, rule, entry, own, errors);
  if (rule.exclude) return rule;
  std::vector<Target> targets = Has(names) ? Targets(names, at + ".target_names", errors)
                                      : std::vector<Target>{kInput, kWeight, kOutput};
  if (!Has(names) && quantizer == Quantizer::kDynamic) targets = {kInput, kWeight};
  for (const auto& [t, s] : own) {
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }
  if (quantizer == Quantizer::kDynamic && Has(names) &&
      std::find(targets.begin(), targets.end(), kOutput) != targets.end()) {
    errors.Add(names, at + ".target_names", "dynamic quantization keeps layer outputs in float "
                                            "(quantized::linear_dynamic): list _input_ and weight, or use ptq");
  }
  const EntryContext c{quantizer, at, targets.size() > 1};
  for (Target t : targets) {
    std::optional<QuantSpec> spec = TargetSpec(t, own[t], entry, c, errors);
    if (t == kWeight) {
      const YAML::Node g = Has(own[t].granularity) ? own[t].granularity : entry.granularity;
      rule.weight_per_tensor = Has(g) && g.IsScalar() && g.Scalar() == "per_tensor";
    }
    (t == kInput ? rule.input : t == kOutput ? rule.output : rule.weight) = spec;
  }
  return rule;
}

// What the quantizer needs from the whole list: activations for ptq, weights for all.
void CheckListFitsQuantizer(const YAML::Node& list, Quantizer q, const std::vector<QuantRule>& rules,
                            Errors& errors) {
  bool weights = false, activations = false;
  int bits = 0;  // of the first activation grid
  for (size_t i = 0; i < rules.size(); ++i) {
    const QuantRule& r = rules[i];
    weights = weights || r.weight.has_value();
    activations = activations || r.input.has_value() || r.output.has_value();
    for (const auto& a : {r.input, r.output}) {
      if (a && bits == 0) bits = a->bits;
      if (a && a->bits != bits) {
        errors.Add(list[i], "config_list[" + std::to_string(i) + "]",
                   "activations share one bit width in hone's quantizers, but this entry gives " +
                       std::to_string(a->bits) + " bits after " + std::to_string(bits));
        bits = a->bits;
      }
    }
  }
  const bool trains = q == Quantizer::kQat || q == Quantizer::kLsq;
  if (!weights) {
    errors.Add(list, "config_list", std::string(QuantizerName(q)) + " quantizes weights, but no entry lists weight in "
                                    "target_names");
  } else if (!activations && (q == Quantizer::kPtq || trains)) {
    errors.Add(list, "config_list", std::string(QuantizerName(q)) + " quantizes activations too, but no entry lists "
                                    "_input_ or _output_ in target_names (rtn and obq quantize weights alone)");
  }
}

}  // namespace

void ParseRules(const YAML::Node& list, Quantizer quantizer, std::vector<QuantRule>& rules, Errors& errors) {
  if (!list.IsSequence()) return errors.Add(list, "config_list", "must be a list of maps, but got " + Got(list));
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "config_list[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      errors.Add(list[i], at, "must be a map, but got " + Got(list[i]));
      continue;
    }
    rules.push_back(ParseRule(list[i], at, quantizer, errors));
  }
  if (errors.empty()) CheckListFitsQuantizer(list, quantizer, rules, errors);
}

}  // namespace hone::compress::quant_config
