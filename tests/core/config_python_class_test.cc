// NNI's custom-algorithm keys (className + codeDirectory, v1's codeDir + classFileName)
// become a command plugin through hone's NNI class runner, and a plugin tuner's search
// space is taken as written: parameters of types hone does not know pass with a note.
#include <filesystem>

#include <gtest/gtest.h>

#include "assessors/builtin_assessors.h"
#include "core/config_reader.h"
#include "platforms/builtin_platforms.h"
#include "tuners/builtin_tuners.h"
#include "tuners/plugin/plugin_algorithms.h"

namespace hone {
namespace {
namespace fs = std::filesystem;

const char kTrial[] = "trialCommand: python3 trial.py\ntrialConcurrency: 1\n";
const char kSpace[] = "searchSpace:\n  x: {_type: uniform, _value: [0, 1]}\n";
const char kNasSpace[] =
    "searchSpace:\n"
    "  x: {_type: uniform, _value: [0, 1]}\n"
    "  block: {_type: layer_choice, _value: [conv3x3, maxpool]}\n"
    "  cells: {normal: [sep3, sep5]}\n";
const char kClassTuner[] = "tuner:\n  className: demo_tuner.DemoTuner\n  codeDirectory: tuners\n"
                           "  classArgs: {optimize_mode: minimize}\n";

class ConfigPythonClassTest : public ::testing::Test {
 protected:
  ConfigPythonClassTest() {
    RegisterBuiltinTuners(registry_);
    RegisterBuiltinAssessors(registry_);
    RegisterBuiltinPlatforms(registry_);
    plugin::PluginEntry evolve;
    evolve.name = "evolve";
    evolve.command = "python3 evolve.py";
    plugin::RegisterPluginAlgorithms(registry_, std::span(&evolve, 1), "/sdk");
    dir_ = fs::path(::testing::TempDir()) / "config_python_class";
    fs::create_directories(dir_ / "tuners");
  }
  StatusOr<ExperimentConfig> Read(const std::string& text) {
    return ParseExperimentConfig(text + kTrial, "exp.yaml", dir_.string(), registry_);
  }
  Registry registry_;
  fs::path dir_;
};

TEST_F(ConfigPythonClassTest, NniV2ClassNameRunsThroughTheClassRunner) {
  auto cfg = Read(std::string(kSpace) + kClassTuner);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->tuner.name, "plugin");
  EXPECT_EQ(cfg->tuner.class_args["_plugin"],
            nlohmann::json({{"command", "python3 -m nni.plugin_runner demo_tuner:DemoTuner"},
                            {"dir", (dir_ / "tuners").string()}}));
  EXPECT_EQ(cfg->tuner.class_args["optimize_mode"], "minimize");
  EXPECT_EQ(cfg->tuner.mode, OptimizeMode::kMinimize);
  auto stored = ExperimentConfig::FromJson(cfg->ToJson(), registry_);  // resume reads it back
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->tuner.class_args, cfg->tuner.class_args);
}

TEST_F(ConfigPythonClassTest, NniV1KeysAndAssessorsToo) {
  auto cfg = Read(std::string(kSpace) +
                  "tuner:\n  codeDir: tuners\n  classFileName: demo_tuner.py\n  className: DemoTuner\n"
                  "assessor:\n  className: pkg.judges.Judge\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->tuner.class_args["_plugin"]["command"], "python3 -m nni.plugin_runner demo_tuner:DemoTuner");
  EXPECT_EQ(cfg->assessor.name, "plugin");
  EXPECT_EQ(cfg->assessor.class_args["_plugin"],
            nlohmann::json({{"command", "python3 -m nni.plugin_runner pkg.judges:Judge"}, {"dir", dir_.string()}}));
}

TEST_F(ConfigPythonClassTest, BadClassKeysAreErrorsAtTheirPosition) {
  const std::pair<const char*, const char*> cases[] = {
      {"tuner:\n  className: DemoTuner\n",
       "exp.yaml:4:14: error: tuner.className: must name a module and a class, as 'my_tuner.MyTuner', but got 'DemoTuner'"},
      {"tuner:\n  className: \"demo; rm -rf /.T\"\n", "exp.yaml:4:14: error: tuner.className: must name a module"},
      {"tuner:\n  className: a.B\n  codeDirectory: nowhere\n",
       "exp.yaml:5:18: error: tuner.codeDirectory: directory '"},
      {"tuner:\n  codeDirectory: tuners\n", "exp.yaml:4:3: error: tuner.className: is required with codeDirectory"},
      {"tuner:\n  className: a.B\n  name: tpe\n",
       "exp.yaml:5:3: error: tuner.name: give either a Python class (className, codeDirectory) or 'name', not both"},
      {"tuner:\n  className: a.B\n  codeDirectory: tuners\n  codeDir: tuners\n",
       "exp.yaml:6:3: error: tuner.codeDir: give either 'codeDirectory' or 'codeDir', not both"},
      {"tuner:\n  className: B\n  classFileName: b.txt\n",
       "exp.yaml:5:18: error: tuner.classFileName: must name a Python file as 'my_tuner.py', but got 'b.txt'"},
  };
  for (const auto& [tuner, want] : cases) {
    auto cfg = Read(std::string(kSpace) + tuner);
    ASSERT_FALSE(cfg.ok()) << tuner;
    EXPECT_NE(cfg.status().message().find(want), std::string::npos) << tuner << "\n" << cfg.status().message();
  }
}

TEST_F(ConfigPythonClassTest, PluginTunerGetsItsOwnSpaceFormatAsWritten) {
  for (const std::string& tuner : {std::string(kClassTuner), std::string("tuner:\n  plugin: python3 t.py\n"),
                                  std::string("tuner:\n  name: evolve\n"),
                                  std::string("Tuner:\n  class_name: demo.Demo\n  code_directory: tuners\n")}) {
    auto cfg = Read(kNasSpace + tuner);
    ASSERT_TRUE(cfg.ok()) << tuner << cfg.status().message();
    EXPECT_TRUE(cfg->search_space_as_written);
    EXPECT_EQ(cfg->search_space_json["block"],
              nlohmann::json::parse(R"({"_type":"layer_choice","_value":["conv3x3","maxpool"]})"));
    EXPECT_EQ(cfg->search_space_json["cells"], nlohmann::json::parse(R"({"normal":["sep3","sep5"]})"));
    ASSERT_EQ(cfg->search_space.params().size(), 1u);  // hone reads only x
    EXPECT_EQ(cfg->search_space.params()[0].name, "x");
    bool noted = false;
    for (const auto& n : cfg->notes)
      noted |= n.find("exp.yaml:2:3: note: searchSpace: not a parameter type hone knows, so passed as written to the "
                      "plugin tuner: 'block' (_type 'layer_choice'), 'cells'") != std::string::npos;
    EXPECT_TRUE(noted) << tuner;
    auto stored = ExperimentConfig::FromJson(cfg->ToJson(), registry_);
    ASSERT_TRUE(stored.ok()) << stored.status().message();
    EXPECT_EQ(stored->search_space_json, cfg->search_space_json);
    EXPECT_TRUE(stored->search_space_as_written);
  }
}

TEST_F(ConfigPythonClassTest, BuiltinTunersAndKnownTypesAreStillChecked) {
  auto builtin = Read(std::string(kNasSpace) + "tuner:\n  name: tpe\n");
  ASSERT_FALSE(builtin.ok());
  EXPECT_NE(builtin.status().message().find("searchSpace.block._type: expected one of"), std::string::npos)
      << builtin.status().message();
  auto bad_known = Read("searchSpace:\n  x: {_type: uniform, _value: [1, 0]}\n" + std::string(kClassTuner));
  ASSERT_FALSE(bad_known.ok());
  EXPECT_NE(bad_known.status().message().find("low <= high must hold"), std::string::npos)
      << bad_known.status().message();
}

}  // namespace
}  // namespace hone
