#include "compress/prune/pruner_kind.h"

#include <array>
#include <cctype>
#include <vector>

#include "core/diagnostics.h"

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

// NNI's pruner classes (and its v2 algorithm strings) with hone's equivalent, or, where
// hone has none, what to use instead ("is ..." completes "NNI's <name> ").
struct NniPruner {
  std::string_view nni;
  std::string_view hone;  // "" when hone has no such pruner
  std::string_view hint;
};

constexpr std::array<NniPruner, 27> kNniPruners = {{
    {"LevelPruner", "level", ""},
    {"L1NormPruner", "l1", ""},
    {"L2NormPruner", "l2", ""},
    {"FPGMPruner", "fpgm", ""},
    {"SlimPruner", "slim", ""},
    {"TaylorFOWeightPruner", "taylor", ""},
    {"TaylorPruner", "taylor", ""},
    {"taylorfo", "taylor", ""},
    {"ActivationAPoZRankPruner", "apoz", ""},
    {"ActivationMeanRankPruner", "mean_activation", ""},
    {"AGPPruner", "", "is a schedule in hone: name the pruner it wraps (pruner: l1) and add schedule: {kind: agp, steps: N}"},
    {"LinearPruner", "",
     "is a schedule in hone: name the pruner it wraps (pruner: l1) and add schedule: {kind: iterative, steps: N}"},
    {"MovementPruner", "", "is not available in hone; the closest is taylor (ranks filters by weight x gradient)"},
    {"ADMMPruner", "",
     "is not available in hone; the closest is level (or l1) with schedule: {kind: iterative, finetune_epochs: 1}"},
    {"LotteryTicketPruner", "",
     "is not available in hone; the closest is level with schedule: {kind: iterative, finetune_epochs: 1}"},
    {"AutoCompressPruner", "",
     "is not available in hone; the closest is l1 with per-layer sparse_ratio entries (search them with `hone run`)"},
    {"AMCPruner", "", "is `pruner: amc` in hone, with its settings in an `amc:` block"},
    {"SimulatedAnnealingPruner", "",
     "is not available in hone; the closest is l1 with per-layer sparse_ratio entries (search them with `hone run`)"},
    {"NetAdaptPruner", "",
     "is not available in hone; the closest is l1 with per-layer sparse_ratio entries (search them with `hone run`)"},
    {"QAT_Quantizer", "", "is a quantizer: use `hone compress quantize` with `quantizer: qat`"},
    {"QATQuantizer", "", "is a quantizer: give it to `hone compress quantize --config` as `quantizer:`"},
    {"LsqQuantizer", "", "is a quantizer: give it to `hone compress quantize --config` as `quantizer:`"},
    {"PtqQuantizer", "", "is a quantizer: give it to `hone compress quantize --config` as `quantizer:`"},
    {"DoReFaQuantizer", "", "is a quantizer hone does not have; `hone compress quantize` with `quantizer: lsq` learns low-bit steps"},
    {"BNNQuantizer", "", "is a quantizer hone does not have (binary weights); `hone compress quantize` goes down to 3-bit weights"},
    {"ObserverQuantizer", "", "is a quantizer: use `hone compress quantize` with `quantizer: ptq`"},
    {"NaiveQuantizer", "", "is a quantizer: use `hone compress quantize` with `quantizer: rtn`"},
}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const PrunerTraits& PrunerTraitsOf(PrunerKind kind) { return kPruners[static_cast<size_t>(kind)]; }

std::optional<PrunerKind> ParsePrunerKind(std::string_view name) {
  for (const PrunerTraits& p : kPruners) {
    if (p.name == name) return p.kind;
  }
  return std::nullopt;
}

PrunerLookup LookupPruner(std::string_view name) {
  const std::string lower = Lower(name);
  if (auto kind = ParsePrunerKind(lower)) return {kind, ""};
  for (const NniPruner& p : kNniPruners) {
    if (Lower(p.nni) != lower) continue;
    if (!p.hone.empty()) return {ParsePrunerKind(p.hone), ""};
    return {std::nullopt, "NNI's " + std::string(p.nni) + " " + std::string(p.hint)};
  }
  std::vector<std::string> names;
  for (const PrunerTraits& p : kPruners) names.emplace_back(p.name);
  for (const NniPruner& p : kNniPruners) names.emplace_back(p.nni);
  std::vector<std::string> lowered;
  for (const std::string& n : names) lowered.push_back(Lower(n));
  std::string near = DidYouMean(lower, lowered);
  for (const PrunerTraits& p : kPruners) {  // "l1norm", "fpgm_pruner": a name with more after it
    if (near.empty() && lower.size() > p.name.size() && lower.compare(0, p.name.size(), p.name) == 0) near = p.name;
  }
  std::string error = "must be one of " + PrunerNameList() +
                      ", amc (or NNI's class name: L1NormPruner, FPGMPruner, ...), but got '" + std::string(name) + "'";
  for (size_t i = 0; i < lowered.size() && !near.empty(); ++i) {
    if (lowered[i] == near) return {std::nullopt, error + "; did you mean '" + names[i] + "'?"};
  }
  return {std::nullopt, error};
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
