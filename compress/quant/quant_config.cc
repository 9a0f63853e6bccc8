#include "compress/quant/quant_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "compress/quant/quant_config_check.h"
#include "core/diagnostics.h"

namespace hone::compress {
namespace {

using quant_config::Errors;
using quant_config::Got;

using yaml_fields::Bool;
using yaml_fields::Integer;
using yaml_fields::Lower;
using yaml_fields::Positive;

// Reads `v` as a map, calling `on(key, value, path)` for each entry.
template <typename F>
void ForMap(const YAML::Node& v, const std::string& key, Errors& errors, F on) {
  if (!v.IsMap()) {
    errors.Add(v, key, "must be a map, but got " + Got(v));
    return;
  }
  for (const auto& e : v) on(e.first.Scalar(), e.first, e.second, key + "." + e.first.Scalar());
}

void UnknownKey(const YAML::Node& at, const std::string& path, const std::string& k, const std::string& where,
                const std::vector<std::string>& keys, Errors& errors) {
  std::string list;
  for (const std::string& key : keys) list += (list.empty() ? "" : ", ") + key;
  const std::string near = DidYouMean(k, keys);
  errors.Add(at, path, "is not a key of " + where + " (" + list + ")" +
                           (near.empty() ? "" : "; did you mean '" + near + "'?"));
}

void ParseCalibration(const YAML::Node& v, QuantConfig& c, Errors& errors) {
  ForMap(v, "calibration", errors, [&](const std::string& k, const YAML::Node& key, const YAML::Node& val,
                                       const std::string& path) {
    if (k == "batches") {
      c.calibration_batches = Integer(val, path, errors, 1, c.calibration_batches);
    } else if (k == "batch_size") {
      c.calibration_batch_size = Integer(val, path, errors, 1, c.calibration_batch_size);
    } else if (k == "percentile") {
      c.observer.percentile = Positive(val, path, errors, c.observer.percentile);
      if (c.observer.percentile > 100) errors.Add(val, path, "must be in (0, 100], but got " + Got(val));
    } else {
      UnknownKey(key, path, k, "calibration", {"batches", "batch_size", "percentile"}, errors);
    }
  });
}

void ParseTraining(const YAML::Node& v, QuantTraining& t, Errors& errors) {
  ForMap(v, "training", errors, [&](const std::string& k, const YAML::Node& key, const YAML::Node& val,
                                    const std::string& path) {
    if (k == "epochs") {
      t.epochs = static_cast<int>(Integer(val, path, errors, 1, t.epochs));
    } else if (k == "lr") {
      t.lr = Positive(val, path, errors, t.lr);
    } else if (k == "batch_size") {
      t.batch_size = Integer(val, path, errors, 1, t.batch_size);
    } else if (k == "optimizer") {
      t.optimizer = val.IsScalar() ? Lower(val.Scalar()) : "";
      if (t.optimizer != "sgd" && t.optimizer != "adam" && t.optimizer != "adamw") {
        errors.Add(val, path, "must be one of sgd, adam, adamw, but got " + Got(val));
      }
    } else {
      UnknownKey(key, path, k, "training", {"epochs", "lr", "optimizer", "batch_size"}, errors);
    }
  });
}

void ParseObq(const YAML::Node& v, ObqSettings& o, Errors& errors) {
  ForMap(v, "obq", errors, [&](const std::string& k, const YAML::Node& key, const YAML::Node& val,
                               const std::string& path) {
    if (k == "damp") {
      o.damp = Positive(val, path, errors, o.damp);
    } else if (k == "block") {
      o.block = Integer(val, path, errors, 1, o.block);
    } else if (k == "act_order") {
      o.act_order = Bool(val, path, errors);
    } else {
      UnknownKey(key, path, k, "obq", {"damp", "block", "act_order"}, errors);
    }
  });
}

// The top-level scalars: quantizer, engine, observer.
bool ParseScalarKey(const std::string& key, const YAML::Node& v, QuantConfig& c, Errors& errors) {
  const std::string text = v.IsScalar() ? v.Scalar() : "";
  if (key == "quantizer") {
    auto q = ParseQuantizer(text);
    if (q.ok()) c.quantizer = *q;
    const std::string near = DidYouMean(Lower(text), {"ptq", "dynamic", "qat", "lsq", "obq", "rtn"});
    if (!q.ok()) {
      errors.Add(v, key, q.status().message() + ", but got " + Got(v) +
                             (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  } else if (key == "engine") {
    auto e = ParseQuantEngine(text);
    if (e.ok()) c.engine = *e;
    if (!e.ok()) errors.Add(v, key, "must be onednn or qnnpack (Debian's libtorch has no fbgemm), but got " + Got(v));
  } else if (key == "observer") {
    auto o = ParseObserverKind(text);
    if (o.ok()) c.observer.kind = *o;
    if (!o.ok()) errors.Add(v, key, "must be one of minmax, moving_average, percentile, entropy, but got " + Got(v));
  } else {
    return false;
  }
  return true;
}

}  // namespace

const char* QuantizerName(Quantizer q) {
  switch (q) {
    case Quantizer::kPtq: return "ptq";
    case Quantizer::kDynamic: return "dynamic";
    case Quantizer::kQat: return "qat";
    case Quantizer::kLsq: return "lsq";
    case Quantizer::kObq: return "obq";
    case Quantizer::kRtn: return "rtn";
  }
  return "?";
}

StatusOr<Quantizer> ParseQuantizer(const std::string& name) {
  static const std::map<std::string, Quantizer> kNames = {
      {"ptq", Quantizer::kPtq},         {"ptqquantizer", Quantizer::kPtq}, {"dynamic", Quantizer::kDynamic},
      {"qat", Quantizer::kQat},         {"qatquantizer", Quantizer::kQat}, {"lsq", Quantizer::kLsq},
      {"lsqquantizer", Quantizer::kLsq}, {"obq", Quantizer::kObq},        {"gptq", Quantizer::kObq},
      {"rtn", Quantizer::kRtn}};
  auto it = kNames.find(Lower(name));
  if (it != kNames.end()) return it->second;
  return InvalidArgument("must be one of ptq, dynamic, qat, lsq, obq, rtn (or NNI's PtqQuantizer, QATQuantizer, "
                         "LsqQuantizer)");
}

bool QuantizerTrains(Quantizer q) { return q == Quantizer::kQat || q == Quantizer::kLsq; }

StatusOr<QuantConfig> ParseQuantConfig(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                           ": error: " + e.msg);
  }
  if (!root.IsMap()) return InvalidArgument(origin + ":1:1: error: the configuration must be a map");
  Errors errors(origin, /*once_per_key=*/true);
  QuantConfig config;
  config.origin = origin;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (ParseScalarKey(key, v, config, errors)) continue;
    if (key == "calibration") {
      ParseCalibration(v, config, errors);
    } else if (key == "training") {
      ParseTraining(v, config.training, errors);
    } else if (key == "obq") {
      ParseObq(v, config.obq, errors);
    } else if (key == "config_list") {
      continue;  // after the loop, once the quantizer is known
    } else {
      UnknownKey(kv.first, key, key, "a quantization configuration",
                 {"quantizer", "engine", "observer", "calibration", "training", "obq", "config_list"}, errors);
    }
  }
  if (root["config_list"]) {
    quant_config::ParseRules(root["config_list"], config.quantizer, config.rules, errors);
  } else {
    errors.Add(root, "config_list", "is required");
  }
  if (!errors.empty()) return InvalidArgument(errors.text());
  return config;
}

StatusOr<QuantConfig> LoadQuantConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(path + ": cannot open the quantization configuration");
  std::stringstream text;
  text << in.rdbuf();
  return ParseQuantConfig(text.str(), path);
}

}  // namespace hone::compress
