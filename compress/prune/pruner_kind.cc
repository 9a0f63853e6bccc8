#include "compress/prune/pruner_kind.h"

#include <array>

namespace hone::compress {
namespace {

using S = PrunerScoring;

// Indexed by PrunerKind.
constexpr std::array<PrunerTraits, 9> kPruners = {{
    // kind, name, scoring, needs_data, structured, ranks_entry_together, data_use
    {PrunerKind::kLevel, "level", S::kMagnitude, false, false, false, ""},
    {PrunerKind::kObs, "obs", S::kObsCalibration, true, false, false, "calibrates on"},
    {PrunerKind::kL1, "l1", S::kWeightNorm, false, true, false, ""},
    {PrunerKind::kL2, "l2", S::kWeightNorm, false, true, false, ""},
    {PrunerKind::kFpgm, "fpgm", S::kWeightNorm, false, true, false, ""},
    {PrunerKind::kTaylor, "taylor", S::kData, true, true, false, "ranks filters from"},
    {PrunerKind::kSlim, "slim", S::kData, true, true, true, "ranks filters from"},
    {PrunerKind::kApoz, "apoz", S::kData, true, true, false, "ranks filters from"},
    {PrunerKind::kMeanActivation, "mean_activation", S::kData, true, true, false, "ranks filters from"},
}};

constexpr bool IndexedByKind() {
  for (size_t i = 0; i < kPruners.size(); ++i) {
    if (static_cast<size_t>(kPruners[i].kind) != i) return false;
  }
  return true;
}
static_assert(IndexedByKind(), "kPruners must be indexed by PrunerKind");

}  // namespace

const PrunerTraits& PrunerTraitsOf(PrunerKind kind) { return kPruners[static_cast<size_t>(kind)]; }

std::optional<PrunerKind> ParsePrunerKind(std::string_view name) {
  for (const PrunerTraits& p : kPruners) {
    if (p.name == name) return p.kind;
  }
  return std::nullopt;
}

std::string PrunerDataUse(PrunerKind kind) {
  const PrunerTraits& p = PrunerTraitsOf(kind);
  return "the " + std::string(p.name) + " pruner " + std::string(p.data_use) + " data";
}

std::string PrunerNameList() {
  std::string out;
  for (const PrunerTraits& p : kPruners) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

}  // namespace hone::compress
