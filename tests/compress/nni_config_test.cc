// NNI users' pruning configurations: NNI's pruner class names map to hone's pruners (or
// say what to use instead), NNI's config_list keys select layers as NNI does, and keys
// hone has no meaning for are errors with their position and a did-you-mean.
#include <gtest/gtest.h>

#include "compress/prune/prune_config.h"
#include "compress/prune/pruner_kind.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Config;
using testing::ConfigError;

TEST(NniPrunerNameTest, NniClassNamesAndHoneNamesInAnyCaseMapToHonesPruners) {
  const std::pair<const char*, PrunerKind> cases[] = {
      {"LevelPruner", PrunerKind::kLevel},
      {"L1NormPruner", PrunerKind::kL1},
      {"l2normpruner", PrunerKind::kL2},
      {"FPGMPruner", PrunerKind::kFpgm},
      {"SlimPruner", PrunerKind::kSlim},
      {"TaylorFOWeightPruner", PrunerKind::kTaylor},
      {"TaylorPruner", PrunerKind::kTaylor},
      {"taylorfo", PrunerKind::kTaylor},
      {"ActivationAPoZRankPruner", PrunerKind::kApoz},
      {"ActivationMeanRankPruner", PrunerKind::kMeanActivation},
      {"L1", PrunerKind::kL1},
      {"Mean_Activation", PrunerKind::kMeanActivation},
  };
  for (const auto& [name, kind] : cases) {
    PrunerLookup found = LookupPruner(name);
    ASSERT_TRUE(found.kind.has_value()) << name << ": " << found.error;
    EXPECT_EQ(*found.kind, kind) << name;
  }
  EXPECT_EQ(Config("pruner: L1NormPruner\nconfig_list: [{sparsity: 0.5}]").pruner, PrunerKind::kL1);
}

TEST(NniPrunerNameTest, NniPrunersHoneLacksSayWhatIsClosest) {
  EXPECT_EQ(LookupPruner("MovementPruner").error,
            "NNI's MovementPruner is not available in hone; the closest is taylor (ranks filters by weight x gradient)");
  EXPECT_NE(LookupPruner("AGPPruner").error.find("schedule: {kind: agp"), std::string::npos);
  EXPECT_NE(LookupPruner("linearpruner").error.find("schedule: {kind: iterative"), std::string::npos);
  EXPECT_NE(LookupPruner("QAT_Quantizer").error.find("is a quantizer"), std::string::npos);
  EXPECT_FALSE(LookupPruner("AMCPruner").kind.has_value());
}

TEST(NniPrunerNameTest, TyposGetADidYouMean) {
  EXPECT_NE(LookupPruner("FPGMPrunner").error.find("did you mean 'FPGMPruner'?"), std::string::npos);
  EXPECT_NE(LookupPruner("fgpm").error.find("did you mean 'fpgm'?"), std::string::npos);
  EXPECT_NE(LookupPruner("l1norm").error.find("did you mean 'l1'?"), std::string::npos);
  EXPECT_EQ(LookupPruner("zzzzzz").error.find("did you mean"), std::string::npos);
}

TEST(NniConfigListTest, SelectsLayersByNnisNameAndTypeKeys) {
  PruneConfig c = Config(R"(
pruner: L1NormPruner
config_list:
  - op_names_re: ['layer[12]\.b0\.']
    exclude_op_names_re: ['.*conv2$']
    sparsity_per_layer: 0.5
  - op_partial_names: [shortcut]
    exclude_op_types: [Linear]
    sparsity: 0.3
    granularity: out_channel
    target_names: [weight, bias]
  - op_types: [conv2d]
    exclude_op_names: [conv1]
    total_sparsity: 0.4
    max_sparsity_per_layer: 0.8
)");
  ASSERT_EQ(c.rules.size(), 3u);
  const PruneRule& re = c.rules[0];
  EXPECT_TRUE(RuleMatches(re, "Conv2d", "layer1.b0.conv1"));
  EXPECT_TRUE(RuleMatches(re, "Linear", "layer2.b0.fc"));
  EXPECT_FALSE(RuleMatches(re, "Conv2d", "layer1.b0.conv2"));   // excluded by regex
  EXPECT_FALSE(RuleMatches(re, "Conv2d", "layer3.b0.conv1"));
  EXPECT_FALSE(RuleMatches(re, "Conv2d", "x.layer1.b0.conv1"));  // matched from the start, as re.match
  const PruneRule& partial = c.rules[1];
  EXPECT_TRUE(RuleMatches(partial, "Conv2d", "layer2.b0.shortcut_conv"));
  EXPECT_FALSE(RuleMatches(partial, "Linear", "shortcut_fc"));
  EXPECT_FALSE(RuleMatches(partial, "Conv2d", "layer2.b0.conv1"));
  EXPECT_DOUBLE_EQ(partial.sparse_ratio, 0.3);
  const PruneRule& typed = c.rules[2];
  EXPECT_EQ(typed.op_types, std::vector<std::string>{"Conv2d"});
  EXPECT_TRUE(RuleMatches(typed, "Conv2d", "layer1.b0.conv1"));
  EXPECT_FALSE(RuleMatches(typed, "Conv2d", "conv1"));
  EXPECT_EQ(typed.global_group_id, "total_sparsity");
  EXPECT_DOUBLE_EQ(typed.max_sparse_ratio, 0.8);
}

TEST(NniConfigListTest, KeysHoneCannotHonourAreErrorsWithPositionsAndDidYouMean) {
  const std::string m = ConfigError(R"(pruner: level
config_list:
  - op_type: [Conv2d]
    sparsity: 0.5
    op_names_re: ['(']
    quant_bits: 8
    target_names: [_output_]
  - op_types: [BatchNorm2d, Conv3d]
    granularity: out_channel
    sparsity: 0.2
speedp: true
)", "p.yaml");
  EXPECT_NE(m.find("p.yaml:3:5: error: config_list[0].op_type: is not a config_list key"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'op_types'?"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:5:18: error: config_list[0].op_names_re: must hold regular expressions, but '(' is not one"),
            std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:6:5: error: config_list[0].quant_bits: is a quantization key"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:7:19: error: config_list[0].target_names: hone prunes layer weights"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:8:15: error: config_list[1].op_types: hone selects the layers whose channels are pruned: "
                   "write Conv2d"), std::string::npos) << m;
  EXPECT_NE(m.find("but got 'Conv3d'; did you mean 'Conv2d'?"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:9:18: error: config_list[1].granularity: out_channel removes whole filters, which the "
                   "level pruner does not"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml:11:1: error: speedp: is not a key of a pruning configuration"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'speedup'?"), std::string::npos) << m;
  const std::string g = ConfigError("pruner: l1\nconfig_list: [{sparsity: 0.5, granularity: in_channel}]\n", "g.yaml");
  EXPECT_NE(g.find("g.yaml:2:44: error: config_list[0].granularity: must be default or out_channel"), std::string::npos)
      << g;
  const std::string p = ConfigError("pruner: MovementPruner\nconfig_list: [{sparsity: 0.5}]\n", "m.yaml");
  EXPECT_NE(p.find("m.yaml:1:9: error: pruner: NNI's MovementPruner is not available in hone; the closest is taylor"),
            std::string::npos) << p;
}

}  // namespace
}  // namespace hone::compress
