// The pruner table: names parse to kinds and back, and each kind's traits.
#include "compress/prune/pruner_kind.h"

#include <gtest/gtest.h>

namespace hone::compress {
namespace {

struct Row {
  const char* name;
  PrunerKind kind;
  PrunerScoring scoring;
  bool needs_data;
  bool structured;
};

constexpr Row kRows[] = {
    {"level", PrunerKind::kLevel, PrunerScoring::kMagnitude, false, false},
    {"obs", PrunerKind::kObs, PrunerScoring::kObsCalibration, true, false},
    {"l1", PrunerKind::kL1, PrunerScoring::kWeightNorm, false, true},
    {"l2", PrunerKind::kL2, PrunerScoring::kWeightNorm, false, true},
    {"fpgm", PrunerKind::kFpgm, PrunerScoring::kWeightNorm, false, true},
    {"taylor", PrunerKind::kTaylor, PrunerScoring::kData, true, true},
    {"slim", PrunerKind::kSlim, PrunerScoring::kData, true, true},
    {"apoz", PrunerKind::kApoz, PrunerScoring::kData, true, true},
    {"mean_activation", PrunerKind::kMeanActivation, PrunerScoring::kData, true, true},
};

TEST(PrunerKindTest, EveryNameParsesToItsKindWithItsTraits) {
  for (const Row& row : kRows) {
    std::optional<PrunerKind> kind = ParsePrunerKind(row.name);
    ASSERT_TRUE(kind.has_value()) << row.name;
    EXPECT_EQ(*kind, row.kind) << row.name;
    const PrunerTraits& t = PrunerTraitsOf(row.kind);
    EXPECT_EQ(t.kind, row.kind) << row.name;
    EXPECT_EQ(t.name, row.name);
    EXPECT_EQ(t.scoring, row.scoring) << row.name;
    EXPECT_EQ(t.needs_data, row.needs_data) << row.name;
    EXPECT_EQ(t.structured, row.structured) << row.name;
    EXPECT_EQ(t.ranks_entry_together, row.kind == PrunerKind::kSlim) << row.name;
  }
}

TEST(PrunerKindTest, UnknownNamesDoNotParse) {
  for (const char* name : {"", "L1", "magic", "mean-activation", " level"}) {
    EXPECT_FALSE(ParsePrunerKind(name).has_value()) << "'" << name << "'";
  }
}

TEST(PrunerKindTest, ListsNamesInTheOrderErrorsUse) {
  EXPECT_EQ(PrunerNameList(), "level, obs, l1, l2, fpgm, taylor, slim, apoz, mean_activation");
}

TEST(PrunerKindTest, SaysWhatDataPrunersDoWithData) {
  EXPECT_EQ(PrunerDataUse(PrunerKind::kObs), "the obs pruner calibrates on data");
  EXPECT_EQ(PrunerDataUse(PrunerKind::kTaylor), "the taylor pruner ranks filters from data");
}

}  // namespace
}  // namespace hone::compress
