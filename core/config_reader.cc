#include "core/config_reader.h"

#include <filesystem>

#include "core/algorithm_section.h"
#include "core/config_context.h"
#include "core/plugin_tuner_config.h"
#include "core/training_service_section.h"

namespace hone {
namespace fs = std::filesystem;

namespace {

// NNI keys hone accepts and deliberately ignores (a one-line note each).
const std::vector<std::pair<std::string, std::string>> kIgnoredTopLevel = {
    {"debug", "hone's manager log is always at debug detail"},
    {"logLevel", "hone's manager log is always at debug detail"},
    {"experimentWorkingDirectory", "hone keeps experiments under HONE_HOME"},
    {"tunerGpuIndices", "hone runs tuners in-process"},
    {"nniManagerIp", "hone's platforms pull results over their own channel"},
    {"experimentType", "hone reads 'hpo' experiments here"},
};
// Ranges of the integer keys: wide enough for any real experiment, narrow enough that
// the values fit the ints the engine keeps them in (it caps concurrency at 100000 too).
constexpr long long kMaxTrialConcurrency = 100'000;
constexpr long long kMaxTrialGpuNumber = 1'024;
constexpr long long kMaxTrialNumber = 1'000'000'000;
constexpr long long kMaxSeed = 9'223'372'036'854'775'807;  // 2^63 - 1, as the CLI draws them
const std::vector<std::string> kTopLevel = {
    "experimentName", "searchSpace", "searchSpaceFile", "trialCommand", "trialCodeDirectory",
    "trialConcurrency", "trialGpuNumber", "maxTrialNumber", "maxExperimentDuration",
    "maxTrialDuration", "tuner", "assessor", "advisor", "trainingService", "seed", "failFast",
    "maxTrialRetries",
    // NNI keys hone reads only to say what it does not support (UnsupportedKeys).
    "useAnnotation", "sharedStorage"};

class Reader {
 public:
  Reader(const Registry& registry, std::string base_dir, Diagnostics& diag)
      : ctx_(registry, std::move(base_dir), diag), diag_(diag) {}

  ExperimentConfig Read(const ConfigNode& raw) {
    if (!raw.IsMap()) {
      diag_.Error(raw.mark(), "", "an experiment config must be a map of keys (experimentName, searchSpace, trialCommand, ...), but got " + raw.Describe());
      return std::move(cfg_);
    }
    // NNI's spellings (trial_command, TrialCommand) read as the canonical camelCase keys.
    const ConfigNode root = ctx_.CheckKeys(raw, "", kTopLevel, kIgnoredTopLevel);
    if (const ConfigNode* ts = root.Find("trainingService")) service_ = CanonicalServiceKeys(ctx_, *ts);
    if (auto* n = root.Find("experimentName")) {
      if (auto s = ctx_.String(*n, "experimentName")) cfg_.experiment_name = *s;
    }
    UnsupportedKeys(root);
    ReadSearchSpace(root);
    ReadTrialKeys(root);
    ReadBudgets(root);
    ReadAlgorithms(root);
    if (service_) {
      ReadTrainingServiceSection(ctx_, *service_, root, cfg_);
    } else {
      diag_.Note(root.mark(), "trainingService", "no trainingService given; using 'local'");
    }
    return std::move(cfg_);
  }

 private:
  // trialCommand / trialCodeDirectory / trialGpuNumber: root, or inside trainingService.
  std::pair<const ConfigNode*, std::string> Shared(const ConfigNode& root, const std::string& key) {
    if (auto* n = root.Find(key)) return {n, key};
    if (service_ && service_->IsMap())
      if (auto* n = service_->Find(key)) return {n, "trainingService." + key};
    return {nullptr, key};
  }

  // Valid NNI keys that hone cannot honour: an error that says so, not "unknown key".
  void UnsupportedKeys(const ConfigNode& root) {
    if (auto* n = root.Find("useAnnotation"); n && n->AsBool().value_or(false))
      diag_.Error(n->mark(), "useAnnotation", "annotation mode is not supported; declare a searchSpace instead");
    if (auto* n = root.Find("sharedStorage"); n && !n->IsNull())
      diag_.Error(root.KeyMark("sharedStorage"), "sharedStorage",
                  "shared storage is not supported by hone (it mounts no NFS or Azure Blob storage); mount it on "
                  "every machine yourself, point the trials at the mount point and remove this key");
  }

  void ReadTrialKeys(const ConfigNode& root) {
    if (auto [n, path] = Shared(root, "trialCommand"); n) {
      if (auto s = ctx_.String(*n, path)) {
        if (s->find_first_not_of(" \t\n") == std::string::npos)
          diag_.Error(n->mark(), path, "must be a non-empty command, but got an empty string");
        cfg_.trial_command = *s;
      }
    } else {
      diag_.Error(root.mark(), "trialCommand", "is required (the command that runs one trial, e.g. 'python3 trial.py')");
    }
    cfg_.trial_code_directory = ctx_.base_dir();
    if (auto [n, path] = Shared(root, "trialCodeDirectory"); n) {
      if (auto s = ctx_.String(*n, path)) {
        std::string dir = ctx_.ResolvePath(*s);
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
          diag_.Error(n->mark(), path, "must be an existing directory, but '" + DisplayPath(dir) + "' is not");
        cfg_.trial_code_directory = dir;
      }
    }
    if (auto [n, path] = Shared(root, "trialGpuNumber"); n && !n->IsNull()) {
      if (auto v = ctx_.Int(*n, path, 0, kMaxTrialGpuNumber)) cfg_.trial_gpu_number = static_cast<int>(*v);
    }
  }

  void ReadBudgets(const ConfigNode& root) {
    if (auto* n = root.Find("trialConcurrency")) {
      if (auto v = ctx_.Int(*n, "trialConcurrency", 1, kMaxTrialConcurrency)) cfg_.trial_concurrency = static_cast<int>(*v);
    } else {
      diag_.Error(root.mark(), "trialConcurrency", "is required (how many trials run at once, >= 1)");
    }
    if (auto* n = root.Find("maxTrialNumber"); n && !n->IsNull()) {
      if (auto v = ctx_.Int(*n, "maxTrialNumber", 1, kMaxTrialNumber)) cfg_.max_trial_number = *v;
    }
    if (auto* n = root.Find("maxExperimentDuration"); n && !n->IsNull())
      cfg_.max_experiment_duration_s = ctx_.Duration(*n, "maxExperimentDuration");
    if (auto* n = root.Find("maxTrialDuration"); n && !n->IsNull())
      cfg_.max_trial_duration_s = ctx_.Duration(*n, "maxTrialDuration");
    if (auto* n = root.Find("failFast"); n && !n->IsNull()) ReadFailFast(*n);
    if (auto* n = root.Find("maxTrialRetries"); n && !n->IsNull()) {
      if (auto v = ctx_.Int(*n, "maxTrialRetries", 0, kMaxTrialNumber)) cfg_.max_trial_retries = static_cast<int>(*v);
    }
    if (auto* n = root.Find("seed"); n && !n->IsNull()) {
      if (auto v = ctx_.Int(*n, "seed", 0, kMaxSeed)) {
        cfg_.seed = static_cast<uint64_t>(*v);
        cfg_.seed_given = true;
      }
    }
  }

  // failFast: true stops at the first failed trial, false or 0 never, N when the first N
  // trials to finish all failed the same way.
  void ReadFailFast(const ConfigNode& n) {
    if (auto b = n.AsBool()) {
      cfg_.fail_fast = *b ? 1 : 0;
      return;
    }
    if (auto v = ctx_.Int(n, "failFast", 0, kMaxTrialNumber)) cfg_.fail_fast = static_cast<int>(*v);
  }

  void ReadAlgorithms(const ConfigNode& root) {
    SourceMark tuner_mark, assessor_mark;
    if (auto* n = root.Find("advisor")) {
      if (root.Find("tuner"))
        diag_.Error(root.KeyMark("advisor"), "advisor", "give either 'tuner' or the deprecated 'advisor', not both");
      else
        diag_.Note(root.KeyMark("advisor"), "advisor", "'advisor' is deprecated; read as 'tuner'");
      ReadTunerSection(ctx_, *n, "advisor", cfg_.tuner);
      tuner_mark = n->mark();
    } else if (auto* n = root.Find("tuner")) {
      ReadTunerSection(ctx_, *n, "tuner", cfg_.tuner);
      tuner_mark = n->mark();
    } else {
      // hone's default tuner: the one that did best across bench/tuners (docs/benchmarks.md).
      diag_.Note(root.mark(), "tuner", "no tuner given; using hone's default, 'anneal'");
      cfg_.tuner.name = "anneal";
    }
    if (auto* n = root.Find("assessor"); n && !n->IsNull()) {
      ReadAssessorSection(ctx_, *n, cfg_.assessor);
      assessor_mark = n->mark();
    }
    ReconcileOptimizeMode(ctx_, cfg_.tuner, cfg_.assessor, assessor_mark,
                          tuner_mark.line ? tuner_mark : root.mark());
  }

  // The space itself, or the file it is in (YAML or JSON), as NNI allows.
  std::optional<ConfigNode> LoadSpaceFile(const ConfigNode& file) {
    auto name = ctx_.String(file, "searchSpaceFile");
    if (!name) return std::nullopt;
    std::string resolved = ctx_.ResolvePath(*name);
    std::error_code ec;
    if (!fs::is_regular_file(resolved, ec)) {
      diag_.Error(file.mark(), "searchSpaceFile", "file '" + DisplayPath(resolved) + "' does not exist or is not a regular file");
      return std::nullopt;
    }
    // A read error (EIO from /proc/self/mem) is an error, never an empty space.
    StatusOr<std::string> text = ReadConfigFile(resolved);
    if (!text.ok()) {
      diag_.Error(file.mark(), "searchSpaceFile", text.status().message());
      return std::nullopt;
    }
    return ConfigNode::Parse(*text, DisplayPath(resolved), diag_);
  }

  void ReadSearchSpace(const ConfigNode& root) {
    const ConfigNode* inline_space = root.Find("searchSpace");
    const ConfigNode* file = root.Find("searchSpaceFile");
    if (inline_space && file) {
      diag_.Error(root.KeyMark("searchSpaceFile"), "searchSpaceFile", "give either 'searchSpace' or 'searchSpaceFile', not both");
      return;
    }
    std::optional<ConfigNode> loaded;
    const ConfigNode* space_node = inline_space;
    std::string path = "searchSpace";
    if (file) {
      loaded = LoadSpaceFile(*file);
      if (!loaded) return;
      space_node = &*loaded;
      path = "";
    }
    if (!space_node) {
      diag_.Error(root.mark(), "searchSpace", "is required: give 'searchSpace' (inline) or 'searchSpaceFile'");
      return;
    }
    if (TunerTakesSpaceAsWritten(root, ctx_.registry())) {  // a plugin may use its own format
      auto space = SearchSpace::Parse(KnownParameters(*space_node, path, diag_), path, diag_);
      if (!space) return;
      cfg_.search_space = std::move(*space);
      cfg_.search_space_json = space_node->IsNull() ? nlohmann::json::object() : space_node->ToJson();
      cfg_.search_space_as_written = true;
      return;
    }
    auto space = SearchSpace::Parse(*space_node, path, diag_);
    if (!space) return;
    if (space->empty() && !space_node->IsMap())
      diag_.Note(space_node->mark(), path, "empty search space: every trial gets {}");
    cfg_.search_space = std::move(*space);
    cfg_.search_space_json = cfg_.search_space.ToJson();
  }

  ConfigContext ctx_;
  Diagnostics& diag_;
  ExperimentConfig cfg_;
  std::optional<ConfigNode> service_;  // trainingService, keys spelled canonically
};

// Reads `root` with `diag`, which may already hold the parser's errors (duplicate keys).
StatusOr<ExperimentConfig> ReadWith(const ConfigNode& root, const std::string& base_dir, const Registry& registry,
                                    Diagnostics& diag) {
  Reader reader(registry, base_dir, diag);
  ExperimentConfig cfg = reader.Read(root);
  cfg.base_dir = base_dir;
  if (diag.has_errors()) return diag.ToStatus();
  for (const auto& d : diag.all())
    if (d.severity == Severity::kNote) cfg.notes.push_back(d.ToString());
  return cfg;
}

}  // namespace

StatusOr<ExperimentConfig> ReadExperimentConfigNode(const ConfigNode& root, const std::string& base_dir,
                                                    const Registry& registry) {
  Diagnostics diag;
  return ReadWith(root, base_dir, registry, diag);
}

StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& text, const std::string& file,
                                                 const std::string& base_dir,
                                                 const Registry& registry) {
  Diagnostics diag;
  auto root = ConfigNode::Parse(text, file, diag);
  if (!root) return diag.ToStatus();
  auto cfg = ReadWith(*root, base_dir, registry, diag);
  if (cfg.ok()) cfg->source_file = file;
  return cfg;
}

StatusOr<ExperimentConfig> ReadExperimentConfig(const std::string& path, const Registry& registry) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return InvalidArgument(path + ": error: config file does not exist");
  StatusOr<std::string> text = ReadConfigFile(path);
  if (!text.ok()) return InvalidArgument(path + ": error: " + text.status().message());
  fs::path abs = fs::absolute(path).lexically_normal();
  return ParseExperimentConfig(*text, path, abs.parent_path().string(), registry);
}

}  // namespace hone
