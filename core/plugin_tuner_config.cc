#include "core/plugin_tuner_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>
#include <vector>

#include "core/config_keys.h"
#include "core/search_space.h"

namespace hone {
namespace fs = std::filesystem;
namespace {

// The runner that turns an NNI Tuner/Assessor subclass into a plugin (trials/sdk/python/nni).
constexpr const char* kClassRunner = "python3 -m nni.plugin_runner ";

bool IsIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// "a.b.c" with every part a Python identifier (never anything a shell would read).
bool IsDottedName(const std::string& s) {
  size_t start = 0;
  for (size_t dot = s.find('.'); ; dot = s.find('.', start)) {
    if (!IsIdentifier(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::string Describe(const std::string& name, const ConfigNode& spec) {
  const ConfigNode* type = spec.IsMap() ? spec.Find("_type") : nullptr;
  if (type && type->IsScalar()) return "'" + name + "' (_type '" + type->scalar() + "')";
  return "'" + name + "'";
}

// The module and class a section names, NNI v2 (`className: module.Class`) or v1
// (`classFileName: module.py` + `className: Class`); nullopt after an error.
std::optional<std::pair<std::string, std::string>> ModuleAndClass(ConfigContext& ctx, const ConfigNode& n,
                                                                  const std::string& path) {
  const ConfigNode* class_node = n.Find("className");
  if (!class_node) {
    ctx.diag().Error(n.mark(), JoinKeyPath(path, "className"), "is required with codeDirectory (as 'my_module.MyTuner')");
    return std::nullopt;
  }
  auto class_name = ctx.String(*class_node, JoinKeyPath(path, "className"));
  if (!class_name) return std::nullopt;
  std::string module, cls = *class_name;
  if (const ConfigNode* file_node = n.Find("classFileName")) {  // NNI v1
    auto file = ctx.String(*file_node, JoinKeyPath(path, "classFileName"));
    if (!file) return std::nullopt;
    module = file->ends_with(".py") ? file->substr(0, file->size() - 3) : "";
    if (!IsDottedName(module)) {
      ctx.diag().Error(file_node->mark(), JoinKeyPath(path, "classFileName"),
                       "must name a Python file as 'my_tuner.py', but got '" + *file + "'");
      return std::nullopt;
    }
  } else {
    size_t dot = cls.rfind('.');
    module = dot == std::string::npos ? "" : cls.substr(0, dot);
    cls = dot == std::string::npos ? cls : cls.substr(dot + 1);
  }
  if (module.empty() || !IsDottedName(module) || !IsIdentifier(cls)) {
    ctx.diag().Error(class_node->mark(), JoinKeyPath(path, "className"),
                     "must name a module and a class, as 'my_tuner.MyTuner', but got '" + *class_name + "'");
    return std::nullopt;
  }
  return std::make_pair(module, cls);
}

}  // namespace

bool TunerTakesSpaceAsWritten(const ConfigNode& root, const Registry& registry) {
  // Keys as NNI matches them (ignoring case and underscores): the sections are read later.
  auto find = [](const ConfigNode& map, const std::vector<std::string>& folded) -> const ConfigNode* {
    if (!map.IsMap()) return nullptr;
    for (const auto& [key, value] : map.entries())
      if (std::find(folded.begin(), folded.end(), FoldKey(key)) != folded.end()) return &value;
    return nullptr;
  };
  const ConfigNode* n = find(root, {"tuner"});
  if (!n) n = find(root, {"advisor"});
  if (!n || !n->IsMap()) return false;
  std::string name = "plugin";
  if (!find(*n, {"plugin", "classname", "codedirectory", "codedir", "classfilename"})) {
    const ConfigNode* name_node = find(*n, {"name"});
    if (!name_node || !name_node->IsScalar()) return false;
    name = name_node->scalar();
  }
  const TunerInfo* info = registry.FindTuner(name);
  return info && info->space_as_written;
}

ConfigNode KnownParameters(const ConfigNode& space, const std::string& path, Diagnostics& diag) {
  if (space.IsNull()) return space;
  if (!space.IsMap()) {
    diag.Note(space.mark(), path, "not a map of parameters: only the plugin tuner reads it");
    return ConfigNode::Map({}, {}, space.mark());
  }
  std::vector<std::pair<std::string, ConfigNode>> kept;
  std::vector<SourceMark> marks;
  std::vector<std::string> passed;
  for (size_t i = 0; i < space.entries().size(); ++i) {
    const auto& [name, spec] = space.entries()[i];
    const ConfigNode* type = spec.IsMap() ? spec.Find("_type") : nullptr;
    if (type && type->IsScalar() && ParseParamType(type->scalar())) {
      kept.push_back(space.entries()[i]);
      marks.push_back(space.KeyMarkAt(i));
    } else {
      passed.push_back(Describe(name, spec));
    }
  }
  if (!passed.empty()) {
    constexpr size_t kShown = 5;
    std::string names;
    for (size_t i = 0; i < passed.size() && i < kShown; ++i) names += (i ? ", " : "") + passed[i];
    if (passed.size() > kShown) names += " and " + std::to_string(passed.size() - kShown) + " more";
    diag.Note(space.mark(), path, "not a parameter type hone knows, so passed as written to the plugin tuner: " + names);
  }
  return ConfigNode::Map(std::move(kept), std::move(marks), space.mark());
}

bool NamesPythonClass(const ConfigNode& n) {
  return n.IsMap() && (n.Find("className") || n.Find("codeDirectory") || n.Find("codeDir") || n.Find("classFileName"));
}

std::optional<nlohmann::json> PythonClassLocation(ConfigContext& ctx, const ConfigNode& n, const std::string& path) {
  const ConfigNode* dir_node = n.Find("codeDirectory");
  if (const ConfigNode* v1 = n.Find("codeDir")) {
    if (dir_node) {
      ctx.diag().Error(n.KeyMark("codeDir"), JoinKeyPath(path, "codeDir"), "give either 'codeDirectory' or 'codeDir', not both");
      return std::nullopt;
    }
    dir_node = v1;
  }
  auto names = ModuleAndClass(ctx, n, path);
  std::string dir = ctx.base_dir();
  if (dir_node) {
    const std::string key = JoinKeyPath(path, n.Find("codeDir") ? "codeDir" : "codeDirectory");
    auto s = ctx.String(*dir_node, key);
    if (!s) return std::nullopt;
    dir = ctx.ResolvePath(*s);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      ctx.diag().Error(dir_node->mark(), key, "directory '" + DisplayPath(dir) + "' does not exist");
      return std::nullopt;
    }
  }
  if (!names) return std::nullopt;
  return nlohmann::json{{"command", kClassRunner + names->first + ":" + names->second}, {"dir", dir}};
}

}  // namespace hone
