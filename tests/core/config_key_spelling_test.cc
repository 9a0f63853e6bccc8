// Config keys match ignoring case and underscores, as in NNI (`trial_command` is
// `trialCommand`) at every level hone reads: the top level, tuner/assessor sections,
// trainingService and the platform's own keys, and hone's own algorithms' classArgs.
// The config comes out canonical (camelCase), two spellings of one key are an error,
// and what hone cannot honour (sharedStorage, annotations) says so.
#include <algorithm>

#include <gtest/gtest.h>

#include "core/arg_spec.h"
#include "core/config_keys.h"
#include "core/config_reader.h"
#include "tests/core/config_test_util.h"

namespace hone {
namespace {

// A config in the spelling of NNI's nnictl tutorial (written for hone's tests).
const char kSnakeCase[] = R"(search_space:
  features:
    _type: choice
    _value: [ 128, 256, 512, 1024 ]
  lr:
    _type: loguniform
    _value: [ 0.0001, 0.1 ]
trial_command: python3 model.py
trial_code_directory: .
trial_concurrency: 2
max_trial_number: 10
max_experiment_duration: 1h
tuner:
  name: TPE
  class_args:
    optimize_mode: maximize
training_service:
  platform: local
  use_active_gpu: false
)";

using ConfigKeySpellingTest = testing::ConfigReaderTest;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
#define EXPECT_LACKS(haystack, needle) EXPECT_EQ((haystack).find(needle), std::string::npos) << (haystack)

std::string Notes(const ExperimentConfig& cfg) {
  std::string out;
  for (const auto& n : cfg.notes) out += n + "\n";
  return out;
}

TEST(ConfigKeysTest, FoldIgnoresCaseAndUnderscores) {
  EXPECT_EQ(FoldKey("trial_command"), "trialcommand");
  EXPECT_EQ(FoldKey("TrialCommand"), FoldKey("trialCommand"));
  EXPECT_EQ(FoldKey("_type"), "type");
  const std::vector<std::string> known = {"trialCommand", "trialConcurrency"};
  ASSERT_NE(MatchKey("TRIAL_CONCURRENCY", known), nullptr);
  EXPECT_EQ(*MatchKey("TRIAL_CONCURRENCY", known), "trialConcurrency");
  EXPECT_EQ(MatchKey("trial-command", known), nullptr);  // a hyphen is another key
  EXPECT_EQ(DidYouMeanKey("trial_comand", known), "trialCommand");
}

TEST_F(ConfigKeySpellingTest, NniTutorialSpellingReadsAsCamelCase) {
  auto cfg = Read(kSnakeCase);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->trial_command, "python3 model.py");
  EXPECT_EQ(cfg->trial_code_directory, "/tmp/");  // trial_code_directory: . against /tmp
  EXPECT_EQ(cfg->trial_concurrency, 2);
  EXPECT_EQ(cfg->max_trial_number, 10);
  EXPECT_EQ(cfg->max_experiment_duration_s, 3600);
  EXPECT_EQ(cfg->search_space.params().size(), 2u);
  EXPECT_EQ(cfg->tuner.name, "tpe");
  EXPECT_TRUE(cfg->tuner.mode_explicit);
  EXPECT_EQ(cfg->platform, "local");
  EXPECT_EQ(cfg->platform_args, nlohmann::json({{"useActiveGpu", false}}));
  // Nothing assumed: optimize_mode and trainingService were given.
  EXPECT_LACKS(Notes(*cfg), "optimize_mode");
  EXPECT_LACKS(Notes(*cfg), "trainingService");
  // The stored config is canonical, and reads back.
  nlohmann::json stored = cfg->ToJson();
  for (const char* key : {"searchSpace", "trialCommand", "trialCodeDirectory", "trialConcurrency", "maxTrialNumber",
                          "maxExperimentDuration", "tuner", "trainingService"})
    EXPECT_TRUE(stored.contains(key)) << key << " missing from " << stored.dump();
  EXPECT_EQ(stored["tuner"]["classArgs"], nlohmann::json({{"optimize_mode", "maximize"}}));
  auto again = ExperimentConfig::FromJson(stored, registry_);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->ToJson(), stored);
}

TEST_F(ConfigKeySpellingTest, AnyCaseAndUnderscoresAtEveryLevel) {
  auto cfg = Read(
      "SearchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "TRIAL_CONCURRENCY: 1\n"
      "Tuner: {Name: anneal, ClassArgs: {optimizeMode: minimize, n_startup_jobs: 3}}\n"
      "assessor: {name: medianstop, class_args: {StartStep: 2}}\n"
      "trainingService:\n  PLATFORM: local\n  trial_command: python3 t.py\n  max_trial_number_per_gpu: 2\n"
      "  gpu_indices: '0'\n"
      "trial_gpu_number: 1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->trial_command, "python3 t.py");
  EXPECT_EQ(cfg->trial_gpu_number, 1);
  EXPECT_EQ(cfg->tuner.name, "anneal");
  EXPECT_EQ(cfg->tuner.mode, OptimizeMode::kMinimize);
  EXPECT_EQ(cfg->tuner.class_args, nlohmann::json({{"optimize_mode", "minimize"}, {"n_startup_jobs", 3}}));
  EXPECT_EQ(cfg->assessor.class_args["start_step"], 2);
  EXPECT_EQ(cfg->assessor.mode, OptimizeMode::kMinimize);
  EXPECT_EQ(cfg->platform_args, nlohmann::json({{"maxTrialNumberPerGpu", 2}, {"gpuIndices", "0"}}));
}

TEST_F(ConfigKeySpellingTest, SearchSpaceNamesAreNeverRespelled) {
  auto cfg = Read(
      "search_space:\n  learning_rate: {_type: uniform, _value: [0, 1]}\n"
      "  LearningRate: {_type: choice, _value: [1, 2]}\n"
      "trial_command: python3 t.py\ntrial_concurrency: 1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->search_space_json.contains("learning_rate"));
  EXPECT_TRUE(cfg->search_space_json.contains("LearningRate"));
}

TEST_F(ConfigKeySpellingTest, TwoSpellingsOfOneKeyAreAnError) {
  std::string errors = Errors(
      "searchSpace: {}\ntrialCommand: python3 a.py\ntrial_command: python3 b.py\ntrialConcurrency: 1\n");
  EXPECT_HAS(errors, "exp.yaml:3:1: error: trial_command: same key as 'trialCommand' at line 2 (keys match "
                     "ignoring case and underscores); give it once");
  errors = Errors("searchSpace: {}\ntrialCommand: x\ntrialConcurrency: 1\n"
                  "trainingService: {platform: local, useActiveGpu: true, use_active_gpu: false}\n");
  EXPECT_HAS(errors, "trainingService.use_active_gpu: same key as 'useActiveGpu'");
  errors = Errors("searchSpace: {}\ntrialCommand: x\ntrialConcurrency: 1\n"
                  "tuner: {name: tpe, classArgs: {optimize_mode: maximize, optimizeMode: minimize}}\n");
  EXPECT_HAS(errors, "tuner.classArgs.optimizeMode: same key as 'optimize_mode'");
}

TEST_F(ConfigKeySpellingTest, UnknownKeysKeepTheirSpellingAndAHint) {
  std::string errors = Errors("searchSpace: {}\ntrial_comand: x\ntrialConcurrency: 1\n");
  EXPECT_HAS(errors, "exp.yaml:2:1: error: trial_comand: unknown key; did you mean 'trialCommand'?");
  errors = Errors("searchSpace: {}\ntrialCommand: x\ntrialConcurrency: 1\n"
                  "trainingService: {platform: local, gpu_indexes: 0}\n");
  EXPECT_HAS(errors, "trainingService.gpu_indexes: unknown argument; did you mean 'gpuIndices'?");
}

TEST(ConfigKeysTest, PluginArgumentsKeepTheirSpelling) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("optimizeMode: minimize\nmy_arg: 1\n", "args.yaml", diag);
  ASSERT_TRUE(node);
  nlohmann::json out = nlohmann::json::object();
  CheckArgs(*node, "tuner.classArgs", {OptimizeModeArg(), MakeArg("*", ArgSpec::Kind::kAny)}, diag, out);
  EXPECT_FALSE(diag.has_errors()) << diag.ToString();
  EXPECT_EQ(out, nlohmann::json({{"optimizeMode", "minimize"}, {"my_arg", 1}}));
}

TEST_F(ConfigKeySpellingTest, SharedStorageIsNamedAsUnsupported) {
  std::string errors = Errors(
      "searchSpace: {}\ntrialCommand: x\ntrialConcurrency: 1\n"
      "shared_storage:\n  storageType: NFS\n  localMountPoint: /mnt/nfs\n");
  EXPECT_HAS(errors, "exp.yaml:4:1: error: sharedStorage: shared storage is not supported by hone");
  EXPECT_LACKS(errors, "unknown key");
}

TEST_F(ConfigKeySpellingTest, AnnotationErrorComesWithoutAnIgnoredNote) {
  std::string errors = Errors("searchSpace: {}\nuseAnnotation: true\ntrialCommand: x\ntrialConcurrency: 1\n");
  EXPECT_HAS(errors, "exp.yaml:2:16: error: useAnnotation: annotation mode is not supported");
  EXPECT_LACKS(errors, "note: useAnnotation");
  auto cfg = Read("searchSpace: {}\nuse_annotation: false\ntrialCommand: x\ntrialConcurrency: 1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_LACKS(Notes(*cfg), "useAnnotation");
}

TEST_F(ConfigKeySpellingTest, OptimizeModeNoteOnlyWhenItIsNotGiven) {
  const std::string head = "searchSpace: {}\ntrialCommand: x\ntrialConcurrency: 1\n";
  // A bad value has its error; no note that the key is missing.
  std::string errors = Errors(head + "tuner: {name: tpe, classArgs: {optimize_mode: maximise}}\n");
  EXPECT_HAS(errors, "tuner.classArgs.optimize_mode: expected one of {maximize, minimize}");
  EXPECT_LACKS(errors, "not given");
  errors = Errors(head + "tuner: {name: tpe, classArgs: {optimize_mod: maximize}}\n");
  EXPECT_HAS(errors, "tuner.classArgs.optimize_mod: unknown argument; did you mean 'optimize_mode'?");
  EXPECT_LACKS(errors, "not given");
  for (const char* given : {"tuner: {name: tpe, classArgs: {optimizeMode: minimize}}\n",
                            "tuner: {name: random, class_args: {optimize_mode: minimize}}\n",
                            "tuner: {name: tpe}\nassessor: {name: medianstop, classArgs: {optimize_mode: minimize}}\n"}) {
    auto cfg = Read(head + given);
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    EXPECT_LACKS(Notes(*cfg), "optimize_mode") << given;
    EXPECT_EQ(cfg->tuner.mode, OptimizeMode::kMinimize) << given;
  }
  auto cfg = Read(head + "tuner: {name: tpe}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_HAS(Notes(*cfg), "tuner.classArgs.optimize_mode: not given; assuming 'maximize'");
}

}  // namespace
}  // namespace hone
