#include "compress/amc/amc_config.h"

#include <cmath>
#include <vector>

#include "compress/config/yaml_fields.h"
#include "core/diagnostics.h"

namespace hone::compress {
namespace {

using yaml_fields::Got;

// A number in the interval (lo, hi) with the ends included as asked; nullopt (and an
// error) otherwise.
std::optional<double> Number(const YAML::Node& n, const std::string& path, const AmcErrorSink& error, double lo,
                             bool lo_in, double hi, bool hi_in) {
  try {
    const double v = n.as<double>();
    if (std::isfinite(v) && (v > lo || (lo_in && v == lo)) && (v < hi || (hi_in && v == hi))) return v;
  } catch (const YAML::Exception&) {
  }
  error(n, path,
        "must be a number in " + std::string(lo_in ? "[" : "(") + (lo == 0 ? "0" : std::to_string(lo)) + ", " +
            (hi == 1 ? "1" : std::to_string(hi)) + (hi_in ? "]" : ")") + ", but got " + Got(n));
  return std::nullopt;
}

std::optional<int64_t> Integer(const YAML::Node& n, const std::string& path, const AmcErrorSink& error, int64_t min) {
  try {
    const int64_t v = n.as<int64_t>();
    if (v >= min) return v;
  } catch (const YAML::Exception&) {
  }
  error(n, path, "must be an integer >= " + std::to_string(min) + ", but got " + Got(n));
  return std::nullopt;
}

void ParseBasePruner(const YAML::Node& v, AmcConfig& c, const AmcErrorSink& error) {
  const std::string name = v.IsScalar() ? v.Scalar() : "";
  const std::optional<PrunerKind> kind = ParsePrunerKind(name);
  if (kind == PrunerKind::kL1 || kind == PrunerKind::kL2 || kind == PrunerKind::kFpgm) {
    c.base_pruner = *kind;
  } else if (kind) {
    error(v, "amc.base_pruner",
          "must be l1, l2 or fpgm (the " + name +
              " pruner ranks channels from data per layer, which an AMC episode does not compute), but got " + Got(v));
  } else {
    const std::string near = DidYouMean(name, {"l1", "l2", "fpgm"});
    error(v, "amc.base_pruner",
          "must be l1, l2 or fpgm, but got " + Got(v) + (near.empty() ? "" : "; did you mean '" + near + "'?"));
  }
}

void ParseTarget(const YAML::Node& v, AmcConfig& c, const AmcErrorSink& error) {
  const std::string t = v.IsScalar() ? v.Scalar() : "";
  if (t == "flops" || t == "latency") {
    c.target = t;
  } else {
    const std::string near = DidYouMean(t, {"flops", "latency"});
    error(v, "amc.target",
          "must be flops or latency, but got " + Got(v) + (near.empty() ? "" : "; did you mean '" + near + "'?"));
  }
}

// One key of the block; false when `k` is not one.
bool ParseKey(const std::string& k, const YAML::Node& v, AmcConfig& c, const AmcErrorSink& error) {
  const std::string path = "amc." + k;
  if (k == "total_sparsity") {
    if (auto s = Number(v, path, error, 0, false, 1, false)) c.wall.flops_ratio = 1 - *s;
  } else if (k == "flops_ratio") {
    if (auto r = Number(v, path, error, 0, false, 1, true)) c.wall.flops_ratio = *r;
  } else if (k == "latency_ratio") {
    if (auto r = Number(v, path, error, 0, false, 1, true)) c.wall.flops_ratio = *r;
  } else if (k == "latency_batch") {
    if (auto n = Integer(v, path, error, 1)) c.latency.batch = *n;
  } else if (k == "latency_repeats") {
    if (auto n = Integer(v, path, error, 1)) c.latency.repeats = static_cast<int>(*n);
  } else if (k == "latency_threads") {
    if (auto n = Integer(v, path, error, 0)) c.latency.threads = static_cast<int>(*n);
  } else if (k == "max_sparsity_per_layer") {
    if (auto s = Number(v, path, error, 0, true, 1, false)) c.wall.lower_keep = 1 - *s;
  } else if (k == "round_to") {
    if (auto n = Integer(v, path, error, 1)) c.wall.round_to = *n;
  } else if (k == "episodes") {
    if (auto n = Integer(v, path, error, 1)) c.episodes = static_cast<int>(*n);
  } else if (k == "warmup_episodes") {
    if (auto n = Integer(v, path, error, 0)) c.warmup_episodes = static_cast<int>(*n);
  } else if (k == "noise") {
    if (auto x = Number(v, path, error, 0, true, 1, true)) c.noise = *x;
  } else if (k == "noise_decay") {
    if (auto x = Number(v, path, error, 0, false, 1, true)) c.noise_decay = *x;
  } else if (k == "min_noise") {
    if (auto x = Number(v, path, error, 0, true, 1, true)) c.min_noise = *x;
  } else if (k == "held_out") {
    if (auto n = Integer(v, path, error, 1)) c.held_out = *n;
  } else if (k == "batch_size") {
    if (auto n = Integer(v, path, error, 1)) c.batch_size = *n;
  } else if (k == "calibrate_bn") {
    if (auto n = Integer(v, path, error, 0)) c.calibrate_bn = *n;
  } else if (k == "seed") {
    if (auto n = Integer(v, path, error, 0)) c.seed = static_cast<uint64_t>(*n);
  } else if (k == "base_pruner") {
    ParseBasePruner(v, c, error);
  } else if (k == "target") {
    ParseTarget(v, c, error);
  } else {
    return false;
  }
  return true;
}

// The budget: total_sparsity or flops_ratio with target flops, latency_ratio with
// target latency (and the latency_* keys only then).
void CheckBudgetKeys(const YAML::Node& block, const AmcConfig& c, const AmcErrorSink& error) {
  const bool sparsity = static_cast<bool>(block["total_sparsity"]);
  const bool ratio = static_cast<bool>(block["flops_ratio"]);
  if (c.target == "latency") {
    for (const char* k : {"total_sparsity", "flops_ratio"}) {
      if (block[k]) error(block[k], std::string("amc.") + k, "is a FLOPs budget: with target latency give latency_ratio");
    }
    if (!block["latency_ratio"]) {
      error(block, "amc.latency_ratio", "is required with target latency (the fraction of the dense latency kept)");
    }
    return;
  }
  for (const char* k : {"latency_ratio", "latency_batch", "latency_repeats", "latency_threads"}) {
    if (block[k]) error(block[k], std::string("amc.") + k, "is read only with target: latency");
  }
  if (sparsity && ratio) {
    error(block["flops_ratio"], "amc.flops_ratio", "give total_sparsity or flops_ratio, not both");
  } else if (!sparsity && !ratio) {
    error(block, "amc.total_sparsity", "is required (the fraction of FLOPs to remove; or flops_ratio, the fraction kept)");
  }
}

}  // namespace

const std::vector<std::string>& AmcKeys() {
  static const std::vector<std::string> kKeys = {
      "total_sparsity", "flops_ratio", "target", "latency_ratio", "latency_batch", "latency_repeats",
      "latency_threads", "max_sparsity_per_layer", "round_to", "episodes", "warmup_episodes", "noise", "noise_decay",
      "min_noise", "base_pruner", "held_out", "batch_size", "calibrate_bn", "seed"};
  return kKeys;
}

void ParseAmcBlock(const YAML::Node& block, AmcConfig& c, const AmcErrorSink& error) {
  if (!block.IsMap()) {
    error(block, "amc", "must be a map (total_sparsity, episodes, ...), but got " + Got(block));
    return;
  }
  for (const auto& e : block) {
    const std::string k = e.first.Scalar();
    if (ParseKey(k, e.second, c, error)) continue;
    const std::string near = DidYouMean(k, AmcKeys());
    error(e.first, "amc." + k,
          "is not a key of amc (total_sparsity, flops_ratio, target, latency_ratio, latency_batch, latency_repeats, "
          "latency_threads, max_sparsity_per_layer, round_to, episodes, warmup_episodes, noise, noise_decay, min_noise, "
          "base_pruner, held_out, batch_size, calibrate_bn, seed)" +
              (near.empty() ? "" : "; did you mean '" + near + "'?"));
  }
  CheckBudgetKeys(block, c, error);
}

}  // namespace hone::compress
