// The pruners hone knows, parsed once from the configuration's `pruner:` name into a
// PrunerKind, and the table of what each one is: callers ask PrunerTraitsOf(kind)
// instead of comparing names.
//
//   auto kind = ParsePrunerKind("taylor");       // PrunerKind::kTaylor; nullopt: unknown
//   if (PrunerTraitsOf(*kind).needs_data) ...    // true: it ranks filters from data
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hone::compress {

enum class PrunerKind { kLevel, kObs, kL1, kL2, kFpgm, kTaylor, kSlim, kApoz, kMeanActivation };

// How a pruner scores and removes weights.
enum class PrunerScoring {
  kMagnitude,       // level: single weights of smallest magnitude
  kObsCalibration,  // obs: layer inputs of calibration data, weights updated as they go
  kWeightNorm,      // l1, l2, fpgm: per-filter norms of the weights
  kData,            // taylor, slim, apoz, mean_activation: filters ranked from training data
};

struct PrunerTraits {
  PrunerKind kind;
  std::string_view name;        // as the configuration spells it
  PrunerScoring scoring;
  bool needs_data;              // reads training data (activations, gradients, obs's inputs)
  bool structured;              // removes whole filters (else single weights)
  bool ranks_entry_together;    // slim: one config_list entry is ranked as one group
  std::string_view data_use;    // what it does with data ("ranks filters from"); "" without
};

// The traits of every pruner, in the order error messages list them: level, obs, l1, l2,
// fpgm, taylor, slim, apoz, mean_activation.
const PrunerTraits& PrunerTraitsOf(PrunerKind kind);

// The pruner called `name` (exact, lowercase), or nullopt.
std::optional<PrunerKind> ParsePrunerKind(std::string_view name);

// A `pruner:` value as a user writes it: hone's name or NNI's pruner class name, both
// compared ignoring case ("L1NormPruner" and "l1" are PrunerKind::kL1). When it names no pruner of
// hone's, `kind` is nullopt and `error` says why ("NNI's MovementPruner is not available
// in hone; the closest is taylor ...") or lists the names, with a did-you-mean.
struct PrunerLookup {
  std::optional<PrunerKind> kind;
  std::string error;
};
PrunerLookup LookupPruner(std::string_view name);

// "level, obs, l1, l2, fpgm, taylor, slim, apoz, mean_activation".
std::string PrunerNameList();

// For errors about missing data: "the obs pruner calibrates on data".
// REQUIRES: PrunerTraitsOf(kind).needs_data.
std::string PrunerDataUse(PrunerKind kind);

inline std::string PrunerName(PrunerKind kind) { return std::string(PrunerTraitsOf(kind).name); }

}  // namespace hone::compress
