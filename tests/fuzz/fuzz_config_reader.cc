// Fuzzes the experiment config reader (core/config_reader.h) with the registry that
// cli/main.cc builds: YAML text in, an ExperimentConfig or file:line:col errors out.
// Beyond "no crash": an accepted config's stored form (what `hone create` writes) must
// dump as JSON and read back (what `hone resume` does), or the experiment could never
// resume.
#include <cstddef>
#include <cstdint>
#include <string>

#include "assessors/builtin_assessors.h"
#include "core/config_reader.h"
#include "core/registry.h"
#include "platforms/builtin_platforms.h"
#include "tests/fuzz/fuzz_util.h"
#include "tuners/builtin_tuners.h"

namespace {

const hone::Registry& BuiltinRegistry() {
  static hone::Registry* registry = [] {
    auto* r = new hone::Registry();
    hone::RegisterBuiltinTuners(*r);
    hone::RegisterBuiltinAssessors(*r);
    hone::RegisterBuiltinPlatforms(*r);
    return r;
  }();
  return *registry;
}

// The directory relative paths resolve against: holds the files the seed configs name
// (searchSpaceFile: search_space.json, trialCodeDirectory: . or code).
const std::string& BaseDir() {
  static const std::string dir = [] {
    std::string d = hone::fuzz::ScratchDir() + "/exp";
    hone::fuzz::WriteFile(d + "/search_space.json",
                          R"({"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
                              "batch": {"_type": "choice", "_value": [16, 32, 64]}})");
    hone::fuzz::WriteFile(d + "/code/trial.py", "print('@hone {\"type\":\"final\",\"value\":1}')\n");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  BuiltinRegistry();
  BaseDir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const hone::Registry& registry = BuiltinRegistry();
  auto config = hone::ParseExperimentConfig(text, BaseDir() + "/exp.yaml", BaseDir(), registry);
  if (!config.ok()) {
    if (config.status().message().empty()) hone::fuzz::Fail("a rejected config has no error message", text);
    return 0;
  }
  std::string stored;
  try {
    stored = config->ToJson().dump();
  } catch (const std::exception& e) {
    hone::fuzz::Fail(std::string("the stored form of an accepted config does not dump: ") + e.what(), text);
  }
  auto reread = hone::ExperimentConfig::FromJson(nlohmann::json::parse(stored), registry);
  if (!reread.ok())
    hone::fuzz::Fail("an accepted config's stored form does not read back: " + reread.status().message(), stored);
  return 0;
}
