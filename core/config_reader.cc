#include "core/config_reader.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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
    {"useAnnotation", "annotations are not supported; write a search space"},
};
const std::vector<std::string> kTopLevel = {
    "experimentName", "searchSpace", "searchSpaceFile", "trialCommand", "trialCodeDirectory",
    "trialConcurrency", "trialGpuNumber", "maxTrialNumber", "maxExperimentDuration",
    "maxTrialDuration", "tuner", "assessor", "advisor", "trainingService", "seed"};
// Keys that may also sit inside trainingService (copied down from the root when missing).
const std::vector<std::string> kTrainingServiceShared = {"trialCommand", "trialCodeDirectory",
                                                         "trialGpuNumber", "nniManagerIp", "debug"};

// A path as messages show it: relative to the working directory when below it.
std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  fs::path rel = fs::relative(path, fs::current_path(ec), ec);
  if (ec || rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

std::string Join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

class Reader {
 public:
  Reader(const Registry& registry, std::string base_dir, Diagnostics& diag)
      : registry_(registry), base_dir_(std::move(base_dir)), diag_(diag) {}

  ExperimentConfig Read(const ConfigNode& root) {
    if (!root.IsMap()) {
      diag_.Error(root.mark(), "", "an experiment config must be a map of keys (experimentName, searchSpace, trialCommand, ...), but got " + root.Describe());
      return std::move(cfg_);
    }
    CheckKeys(root, "", kTopLevel, true);
    const ConfigNode* ts = root.Find("trainingService");

    if (auto* n = root.Find("experimentName")) {
      if (auto s = String(*n, "experimentName")) cfg_.experiment_name = *s;
    }
    if (auto* n = root.Find("useAnnotation"); n && n->AsBool().value_or(false))
      diag_.Error(n->mark(), "useAnnotation", "annotation mode is not supported; declare a searchSpace instead");
    ReadSearchSpace(root);

    // trialCommand / trialCodeDirectory / trialGpuNumber: root, or inside trainingService.
    auto shared = [&](const std::string& key) -> std::pair<const ConfigNode*, std::string> {
      if (auto* n = root.Find(key)) return {n, key};
      if (ts && ts->IsMap())
        if (auto* n = ts->Find(key)) return {n, "trainingService." + key};
      return {nullptr, key};
    };
    if (auto [n, path] = shared("trialCommand"); n) {
      if (auto s = String(*n, path)) {
        if (s->find_first_not_of(" \t\n") == std::string::npos)
          diag_.Error(n->mark(), path, "must be a non-empty command, but got an empty string");
        cfg_.trial_command = *s;
      }
    } else {
      diag_.Error(root.mark(), "trialCommand", "is required (the command that runs one trial, e.g. 'python3 trial.py')");
    }
    cfg_.trial_code_directory = base_dir_;
    if (auto [n, path] = shared("trialCodeDirectory"); n) {
      if (auto s = String(*n, path)) {
        std::string dir = ResolvePath(*s);
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
          diag_.Error(n->mark(), path, "must be an existing directory, but '" + DisplayPath(dir) + "' is not");
        cfg_.trial_code_directory = dir;
      }
    }
    if (auto [n, path] = shared("trialGpuNumber"); n && !n->IsNull()) {
      if (auto v = Int(*n, path, 0)) cfg_.trial_gpu_number = static_cast<int>(*v);
    }

    if (auto* n = root.Find("trialConcurrency")) {
      if (auto v = Int(*n, "trialConcurrency", 1)) cfg_.trial_concurrency = static_cast<int>(*v);
    } else {
      diag_.Error(root.mark(), "trialConcurrency", "is required (how many trials run at once, >= 1)");
    }
    if (auto* n = root.Find("maxTrialNumber"); n && !n->IsNull()) {
      if (auto v = Int(*n, "maxTrialNumber", 1)) cfg_.max_trial_number = *v;
    }
    if (auto* n = root.Find("maxExperimentDuration"); n && !n->IsNull())
      cfg_.max_experiment_duration_s = Duration(*n, "maxExperimentDuration");
    if (auto* n = root.Find("maxTrialDuration"); n && !n->IsNull())
      cfg_.max_trial_duration_s = Duration(*n, "maxTrialDuration");
    if (auto* n = root.Find("seed"); n && !n->IsNull()) {
      if (auto v = Int(*n, "seed", 0)) {
        cfg_.seed = static_cast<uint64_t>(*v);
        cfg_.seed_given = true;
      }
    }

    if (auto* n = root.Find("advisor")) {
      if (root.Find("tuner"))
        diag_.Error(root.KeyMark("advisor"), "advisor", "give either 'tuner' or the deprecated 'advisor', not both");
      else
        diag_.Note(root.KeyMark("advisor"), "advisor", "'advisor' is deprecated; read as 'tuner'");
      ReadTuner(*n, "advisor");
    } else if (auto* n = root.Find("tuner")) {
      ReadTuner(*n, "tuner");
    } else {
      // hone's default tuner: the one that did best across bench/tuners (README, Benchmarks).
      Note(root.mark(), "tuner", "no tuner given; using hone's default, 'anneal'");
      cfg_.tuner.name = "anneal";
    }
    if (auto* n = root.Find("assessor"); n && !n->IsNull()) ReadAssessor(*n);
    ReconcileOptimizeMode(root);

    if (ts) {
      ReadTrainingService(*ts);
    } else {
      Note(root.mark(), "trainingService", "no trainingService given; using 'local'");
    }
    CheckGpuRequest(root);
    return std::move(cfg_);
  }

 private:
  void Note(const SourceMark& mark, const std::string& path, const std::string& message) {
    diag_.Note(mark, path, message);
  }

  // Unknown keys are errors with a did-you-mean; NNI keys hone ignores get a note.
  void CheckKeys(const ConfigNode& map, const std::string& path,
                 const std::vector<std::string>& allowed, bool top_level) {
    for (const auto& [key, value] : map.entries()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      if (top_level) {
        auto it = std::find_if(kIgnoredTopLevel.begin(), kIgnoredTopLevel.end(),
                               [&](const auto& p) { return p.first == key; });
        if (it != kIgnoredTopLevel.end()) {
          Note(map.KeyMark(key), key, "ignored: " + it->second);
          continue;
        }
      }
      std::vector<std::string> candidates = allowed;
      if (top_level)
        for (const auto& p : kIgnoredTopLevel) candidates.push_back(p.first);
      std::string hint = DidYouMean(key, candidates);
      diag_.Error(map.KeyMark(key), Join(path, key),
                  "unknown key" + (hint.empty() ? std::string() : "; did you mean '" + hint + "'?"));
    }
  }

  std::optional<std::string> String(const ConfigNode& n, const std::string& path) {
    if (n.IsScalar()) return n.scalar();
    diag_.Error(n.mark(), path, "expected a string, but got " + n.Describe());
    return std::nullopt;
  }

  std::optional<long long> Int(const ConfigNode& n, const std::string& path, long long min) {
    auto v = n.AsInt();
    if (!v) {
      diag_.Error(n.mark(), path, "expected an integer, but got " + n.Describe());
      return std::nullopt;
    }
    if (*v < min) {
      diag_.Error(n.mark(), path, "must be >= " + std::to_string(min) + ", but got " + std::to_string(*v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> Duration(const ConfigNode& n, const std::string& path) {
    std::optional<double> d;
    if (n.IsScalar()) d = ParseDuration(n.scalar());
    if (!d || !(*d > 0)) {
      diag_.Error(n.mark(), path, "expected a positive duration such as '30s', '10m', '2h' or '1d', but got " + n.Describe());
      return std::nullopt;
    }
    return d;
  }

  std::string ResolvePath(const std::string& p) {
    std::string path = p;
    if (!path.empty() && path[0] == '~') {
      const char* home = std::getenv("HOME");
      path = std::string(home ? home : "") + path.substr(1);
    }
    fs::path fp(path);
    if (fp.is_relative()) fp = fs::path(base_dir_) / fp;
    return fp.lexically_normal().string();
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
      auto name = String(*file, "searchSpaceFile");
      if (!name) return;
      std::string resolved = ResolvePath(*name);
      std::error_code ec;
      if (!fs::is_regular_file(resolved, ec)) {
        diag_.Error(file->mark(), "searchSpaceFile", "file '" + DisplayPath(resolved) + "' does not exist or is not a regular file");
        return;
      }
      std::ifstream in(resolved, std::ios::binary);
      if (!in) {
        diag_.Error(file->mark(), "searchSpaceFile", "cannot read '" + DisplayPath(resolved) + "'");
        return;
      }
      std::stringstream text;
      text << in.rdbuf();
      loaded = ConfigNode::Parse(text.str(), DisplayPath(resolved), diag_);
      if (!loaded) return;
      space_node = &*loaded;
      path = "";
    }
    if (!space_node) {
      diag_.Error(root.mark(), "searchSpace", "is required: give 'searchSpace' (inline) or 'searchSpaceFile'");
      return;
    }
    auto space = SearchSpace::Parse(*space_node, path, diag_);
    if (!space) return;
    if (space->empty() && !space_node->IsMap())
      Note(space_node->mark(), path, "empty search space: every trial gets {}");
    cfg_.search_space = std::move(*space);
    cfg_.search_space_json = cfg_.search_space.ToJson();
  }

  // Required keys missing from `given` (a map, or null when the section is absent):
  // reported at `where`, the section's own mark or its parent's.
  void CheckRequired(const ConfigNode* given, const SourceMark& where, const std::string& path,
                     const std::vector<ArgSpec>& specs, const std::string& owner) {
    for (const auto& spec : specs) {
      if (!spec.required) continue;
      const ConfigNode* v = given && given->IsMap() ? given->Find(spec.key) : nullptr;
      if (v && !v->IsNull()) continue;
      diag_.Error(where, Join(path, spec.key), "is required by " + owner + " (it has no default)");
    }
  }

  void CheckArgs(const ConfigNode& args, const std::string& path, const std::vector<ArgSpec>& specs,
                 nlohmann::json& out) {
    if (args.IsNull()) return;
    if (!args.IsMap()) {
      diag_.Error(args.mark(), path, "expected a map of arguments, but got " + args.Describe());
      return;
    }
    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.key);
    for (const auto& [key, value] : args.entries()) {
      std::string p = Join(path, key);
      auto it = std::find_if(specs.begin(), specs.end(), [&](const ArgSpec& s) { return s.key == key; });
      bool any = std::any_of(specs.begin(), specs.end(), [](const ArgSpec& s) { return s.key == "*"; });
      if (it == specs.end() && any) {  // plugins: every key is theirs to judge
        out[key] = value.ToJson();
        continue;
      }
      if (it == specs.end()) {
        std::string hint = DidYouMean(key, names);
        std::string accepted;
        for (const auto& n : names) accepted += (accepted.empty() ? "" : ", ") + n;
        diag_.Error(args.KeyMark(key), p,
                    "unknown argument" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                        " (accepted: " + (accepted.empty() ? "none" : accepted) + ")");
        continue;
      }
      if (value.IsNull()) continue;
      const ArgSpec& spec = *it;
      switch (spec.kind) {
        case ArgSpec::Kind::kNumber:
        case ArgSpec::Kind::kInt: {
          std::optional<double> v = spec.kind == ArgSpec::Kind::kInt
                                        ? (value.AsInt() ? std::optional<double>(*value.AsInt()) : std::nullopt)
                                        : value.AsDouble();
          if (!v) {
            diag_.Error(value.mark(), p, std::string("expected ") + (spec.kind == ArgSpec::Kind::kInt ? "an integer" : "a number") + ", but got " + value.Describe());
            continue;
          }
          if ((spec.min && *v < *spec.min) || (spec.max && *v > *spec.max)) {
            std::ostringstream os;
            if (spec.min && spec.max) os << "must lie in [" << *spec.min << ", " << *spec.max << "]";
            else if (spec.min) os << "must be >= " << *spec.min;
            else os << "must be <= " << *spec.max;
            os << ", but got " << value.scalar();
            diag_.Error(value.mark(), p, os.str());
            continue;
          }
          break;
        }
        case ArgSpec::Kind::kBool:
          if (!value.AsBool()) {
            diag_.Error(value.mark(), p, "expected true or false, but got " + value.Describe());
            continue;
          }
          break;
        case ArgSpec::Kind::kString:
          if (!value.IsScalar()) {
            diag_.Error(value.mark(), p, "expected a string, but got " + value.Describe());
            continue;
          }
          break;
        case ArgSpec::Kind::kEnum: {
          std::string v = value.IsScalar() ? value.scalar() : "";
          if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
            std::string set;
            for (const auto& c : spec.choices) set += (set.empty() ? "" : ", ") + c;
            std::string hint = value.IsScalar() ? DidYouMean(v, spec.choices) : "";
            diag_.Error(value.mark(), p,
                        "expected one of {" + set + "}, but got " +
                            (value.IsScalar() ? "'" + v + "'" : value.Describe()) +
                            (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            continue;
          }
          break;
        }
        case ArgSpec::Kind::kAny: break;
      }
      out[key] = spec.kind == ArgSpec::Kind::kString || spec.kind == ArgSpec::Kind::kEnum
                     ? nlohmann::json(value.scalar())
                     : value.ToJson();
    }
  }

  template <typename Info>
  const Info* ReadAlgorithm(const ConfigNode& n, const std::string& path, AlgorithmConfig& out,
                            const Info* (Registry::*find)(const std::string&) const,
                            std::vector<std::string> names) {
    if (!n.IsMap()) {
      diag_.Error(n.mark(), path, "expected a map with 'name' and optional 'classArgs', but got " + n.Describe());
      return nullptr;
    }
    CheckKeys(n, path, {"name", "classArgs", "className", "codeDirectory", "plugin", "pluginDir"}, false);
    if (n.Find("className") || n.Find("codeDirectory")) {
      diag_.Error(n.KeyMark(n.Find("className") ? "className" : "codeDirectory"), path,
                  "Python classes are not loaded in-process; give `plugin: <command>` instead");
    }
    const ConfigNode* name = n.Find("name");
    if (const ConfigNode* plugin = n.Find("plugin")) return ReadPlugin(n, *plugin, path, out, find);
    if (!name) {
      diag_.Error(n.mark(), Join(path, "name"), "is required");
      return nullptr;
    }
    auto s = String(*name, Join(path, "name"));
    if (!s) return nullptr;
    const Info* info = (registry_.*find)(*s);
    if (!info) {
      std::string hint = DidYouMean(ToLower(*s), names);
      std::string all;
      for (const auto& x : names) all += (all.empty() ? "" : ", ") + x;
      diag_.Error(name->mark(), Join(path, "name"),
                  "unknown " + path + " '" + *s + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                      " (known: " + all + ")");
      return nullptr;
    }
    out.name = info->name;
    const ConfigNode* args = n.Find("classArgs");
    CheckRequired(args, args ? args->mark() : n.mark(), Join(path, "classArgs"), info->args,
                  path + " '" + info->name + "'");
    if (args) {
      CheckArgs(*args, Join(path, "classArgs"), info->args, out.class_args);
      if (out.class_args.contains("optimize_mode")) {
        out.mode_explicit = true;
        out.mode = out.class_args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
      }
    }
    return info;
  }

  // `plugin: <library.so or command>` (tuners/plugin/plugin_protocol.h): the "plugin"
  // entry of the registry, told where the plugin is through classArgs._plugin.
  template <typename Info>
  const Info* ReadPlugin(const ConfigNode& n, const ConfigNode& plugin, const std::string& path,
                         AlgorithmConfig& out, const Info* (Registry::*find)(const std::string&) const) {
    if (auto* name = n.Find("name"); name && !(name->IsScalar() && name->scalar() == "plugin")) {
      diag_.Error(n.KeyMark("name"), path, "give either 'name' or 'plugin', not both");
      return nullptr;
    }
    auto spec = String(plugin, Join(path, "plugin"));
    if (!spec) return nullptr;
    if (spec->find_first_not_of(" \t") == std::string::npos) {
      diag_.Error(plugin.mark(), Join(path, "plugin"), "must name a shared library or a command");
      return nullptr;
    }
    const Info* info = (registry_.*find)("plugin");
    if (!info) {
      diag_.Error(plugin.mark(), Join(path, "plugin"), "plugins are not available in this build");
      return nullptr;
    }
    std::string dir = base_dir_;
    if (auto* d = n.Find("pluginDir")) {
      auto s = String(*d, Join(path, "pluginDir"));
      if (!s) return nullptr;
      dir = ResolvePath(*s);
    }
    nlohmann::json where;
    bool library = spec->find_first_of(" \t") == std::string::npos &&
                   (spec->ends_with(".so") || spec->find(".so.") != std::string::npos);
    if (library) {
      where["library"] = fs::path(*spec).is_absolute() ? *spec : (fs::path(dir) / *spec).lexically_normal().string();
      std::error_code ec;
      if (!fs::exists(where["library"].get<std::string>(), ec))
        diag_.Error(plugin.mark(), Join(path, "plugin"), "library " + where["library"].get<std::string>() + " does not exist");
    } else {
      where = {{"command", *spec}, {"dir", dir}};
    }
    out.name = info->name;
    if (auto* args = n.Find("classArgs")) {
      CheckArgs(*args, Join(path, "classArgs"), info->args, out.class_args);
      if (out.class_args.contains("optimize_mode")) {
        out.mode_explicit = true;
        out.mode = out.class_args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
      }
    }
    out.class_args["_plugin"] = where;  // the key tuners/plugin reads (kPluginArgKey)
    return info;
  }

  void ReadTuner(const ConfigNode& n, const std::string& path) {
    tuner_info_ = ReadAlgorithm(n, path, cfg_.tuner, &Registry::FindTuner, registry_.TunerNames());
    tuner_mark_ = n.mark();
  }

  void ReadAssessor(const ConfigNode& n) {
    ReadAlgorithm(n, "assessor", cfg_.assessor, &Registry::FindAssessor, registry_.AssessorNames());
    assessor_mark_ = n.mark();
  }

  // One optimize mode per experiment: the tuner's, else the assessor's, else maximize
  // with a note (NNI's TPE defaulted to minimize while the rest maximized).
  void ReconcileOptimizeMode(const ConfigNode& root) {
    AlgorithmConfig& t = cfg_.tuner;
    AlgorithmConfig& a = cfg_.assessor;
    if (t.mode_explicit && a.mode_explicit && t.mode != a.mode) {
      diag_.Error(assessor_mark_, "assessor.classArgs.optimize_mode",
                  "must match tuner.classArgs.optimize_mode ('" + std::string(OptimizeModeName(t.mode)) +
                      "'), but got '" + std::string(OptimizeModeName(a.mode)) + "'");
      return;
    }
    if (!t.mode_explicit && a.mode_explicit) t.mode = a.mode;
    if (t.mode_explicit && !a.mode_explicit) a.mode = t.mode;
    if (!t.mode_explicit && !a.mode_explicit) {
      Note(tuner_mark_.line ? tuner_mark_ : root.mark(), "tuner.classArgs.optimize_mode",
           "not given; assuming 'maximize' (set optimize_mode to silence this)");
    }
  }

  void ReadTrainingService(const ConfigNode& ts) {
    if (ts.IsSequence()) {
      diag_.Error(ts.mark(), "trainingService", "hybrid (a list of platforms) is not supported; give one platform");
      return;
    }
    if (!ts.IsMap()) {
      diag_.Error(ts.mark(), "trainingService", "expected a map with 'platform', but got " + ts.Describe());
      return;
    }
    const ConfigNode* platform = ts.Find("platform");
    if (!platform) {
      diag_.Error(ts.mark(), "trainingService.platform", "is required (e.g. 'local')");
      return;
    }
    auto name = String(*platform, "trainingService.platform");
    if (!name) return;
    const PlatformInfo* info = registry_.FindPlatform(*name);
    if (!info) {
      std::string hint = DidYouMean(ToLower(*name), registry_.PlatformNames());
      std::string all;
      for (const auto& x : registry_.PlatformNames()) all += (all.empty() ? "" : ", ") + x;
      diag_.Error(platform->mark(), "trainingService.platform",
                  "unknown platform '" + *name + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                      " (known: " + all + ")");
      return;
    }
    cfg_.platform = info->name;
    std::vector<std::string> allowed = {"platform"};
    allowed.insert(allowed.end(), kTrainingServiceShared.begin(), kTrainingServiceShared.end());
    std::vector<std::pair<std::string, ConfigNode>> rest;
    std::vector<SourceMark> marks;
    for (const auto& [k, v] : ts.entries()) {
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      rest.emplace_back(k, v);
      marks.push_back(ts.KeyMark(k));
    }
    ConfigNode args = ConfigNode::Map(std::move(rest), std::move(marks), ts.mark());
    CheckRequired(&args, ts.mark(), "trainingService", info->args, "platform '" + info->name + "'");
    CheckArgs(args, "trainingService", info->args, cfg_.platform_args);
    const nlohmann::json& pa = cfg_.platform_args;
    if (pa.contains("maxTrialNumberPerGpu")) cfg_.max_trial_number_per_gpu = pa["maxTrialNumberPerGpu"].get<int>();
    if (pa.contains("useActiveGpu")) cfg_.use_active_gpu = pa["useActiveGpu"].get<bool>();
    if (pa.contains("gpuIndices")) {
      const ConfigNode* gi = ts.Find("gpuIndices");
      auto indices = ParseGpuIndices(pa["gpuIndices"]);
      if (!indices)
        diag_.Error(gi->mark(), "trainingService.gpuIndices",
                    "expected a list of GPU indices, an index, or a string like '0,1', but got " + gi->Describe());
      else
        cfg_.gpu_indices = *indices;
    }
    if (pa.contains("maxTrialNumberPerGpu") && !cfg_.trial_gpu_number)
      diag_.Error(ts.KeyMark("maxTrialNumberPerGpu"), "trainingService.maxTrialNumberPerGpu",
                  "only applies when trialGpuNumber is set, but trialGpuNumber is not given");
  }

  static std::optional<std::vector<int>> ParseGpuIndices(const nlohmann::json& v) {
    std::vector<int> out;
    if (v.is_number_integer() && v.get<long long>() >= 0) return std::vector<int>{v.get<int>()};
    if (v.is_array()) {
      for (const auto& x : v) {
        if (!x.is_number_integer() || x.get<long long>() < 0) return std::nullopt;
        out.push_back(x.get<int>());
      }
      return out;
    }
    if (v.is_string()) {
      std::stringstream ss(v.get<std::string>());
      std::string part;
      while (std::getline(ss, part, ',')) {
        char* end = nullptr;
        long n = std::strtol(part.c_str(), &end, 10);
        if (part.empty() || *end != '\0' || n < 0) return std::nullopt;
        out.push_back(static_cast<int>(n));
      }
      return out;
    }
    return std::nullopt;
  }

  void CheckGpuRequest(const ConfigNode& root) {
    if (cfg_.trial_gpu_number && *cfg_.trial_gpu_number > 0 && !cfg_.gpu_indices.empty() &&
        *cfg_.trial_gpu_number > static_cast<int>(cfg_.gpu_indices.size())) {
      const ConfigNode* n = root.Find("trialGpuNumber");
      diag_.Error(n ? n->mark() : root.mark(), "trialGpuNumber",
                  "asks for " + std::to_string(*cfg_.trial_gpu_number) + " GPUs per trial, but gpuIndices allows only " +
                      std::to_string(cfg_.gpu_indices.size()) + "; no trial could ever start");
    }
  }

  const Registry& registry_;
  std::string base_dir_;
  Diagnostics& diag_;
  ExperimentConfig cfg_;
  const TunerInfo* tuner_info_ = nullptr;
  SourceMark tuner_mark_, assessor_mark_;
};

StatusOr<ExperimentConfig> Finish(ExperimentConfig cfg, const Diagnostics& diag) {
  if (diag.has_errors()) return diag.ToStatus();
  for (const auto& d : diag.all())
    if (d.severity == Severity::kNote) cfg.notes.push_back(d.ToString());
  return cfg;
}

}  // namespace

std::optional<double> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v)) return std::nullopt;
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  if (unit.empty() || unit == "s") return v;
  if (unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  if (unit == "d") return v * 86400;
  return std::nullopt;
}

StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& text, const std::string& file,
                                                 const std::string& base_dir,
                                                 const Registry& registry) {
  Diagnostics diag;
  auto root = ConfigNode::Parse(text, file, diag);
  if (!root) return diag.ToStatus();
  Reader reader(registry, base_dir, diag);
  ExperimentConfig cfg = reader.Read(*root);
  cfg.source_file = file;
  cfg.base_dir = base_dir;
  return Finish(std::move(cfg), diag);
}

StatusOr<ExperimentConfig> ReadExperimentConfig(const std::string& path, const Registry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    std::string why = fs::exists(path, ec) ? "cannot be read" : "does not exist";
    return InvalidArgument(path + ": error: config file " + why);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  fs::path abs = fs::absolute(path).lexically_normal();
  return ParseExperimentConfig(ss.str(), path, abs.parent_path().string(), registry);
}

nlohmann::json ExperimentConfig::ToJson() const {
  nlohmann::json j;
  if (!experiment_name.empty()) j["experimentName"] = experiment_name;
  j["searchSpace"] = search_space_json;
  j["trialCommand"] = trial_command;
  j["trialCodeDirectory"] = trial_code_directory;
  j["trialConcurrency"] = trial_concurrency;
  if (trial_gpu_number) j["trialGpuNumber"] = *trial_gpu_number;
  if (max_trial_number) j["maxTrialNumber"] = *max_trial_number;
  if (max_experiment_duration_s) j["maxExperimentDuration"] = std::to_string(*max_experiment_duration_s) + "s";
  if (max_trial_duration_s) j["maxTrialDuration"] = std::to_string(*max_trial_duration_s) + "s";
  // A plugin's location travels as `plugin`/`pluginDir`, as the user wrote it.
  auto algorithm = [](const AlgorithmConfig& a) {
    nlohmann::json args = a.class_args;
    if (!args.is_object() || !args.contains("_plugin")) return nlohmann::json{{"name", a.name}, {"classArgs", args}};
    nlohmann::json where = args["_plugin"];
    args.erase("_plugin");
    nlohmann::json out = {{"name", a.name}, {"classArgs", args}};
    if (where.contains("library")) out["plugin"] = where["library"];
    else out["plugin"] = where.value("command", std::string()), out["pluginDir"] = where.value("dir", std::string());
    return out;
  };
  j["tuner"] = algorithm(tuner);
  j["assessor"] = algorithm(assessor);
  nlohmann::json ts = platform_args;
  ts["platform"] = platform;
  j["trainingService"] = ts;
  j["seed"] = seed;
  return j;
}

StatusOr<ExperimentConfig> ExperimentConfig::FromJson(const nlohmann::json& json, const Registry& registry) {
  Diagnostics diag;
  ConfigNode root = ConfigNode::FromJson(json, "<stored config>");
  std::string base = json.value("trialCodeDirectory", std::string("/"));
  Reader reader(registry, base, diag);
  ExperimentConfig cfg = reader.Read(root);
  cfg.base_dir = base;
  auto out = Finish(std::move(cfg), diag);
  if (out.ok()) out->notes.clear();
  return out;
}

}  // namespace hone
