#include "nas/space/arch_file.h"

#include <filesystem>
#include <sstream>

#include "core/config_context.h"
#include "core/config_node.h"
#include "core/registry.h"
#include "nas/space/builtin_spaces.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

// The space a `space:` value names: a built-in, a file relative to `base_dir`, or inline.
std::optional<ModelSpace> SpaceOf(const ConfigNode& n, const std::string& base_dir, Diagnostics& diag,
                                  std::string* ref) {
  if (n.IsMap()) return ReadModelSpace(n, "space", diag);
  if (!n.IsScalar()) {
    diag.Error(n.mark(), "space", "expected a built-in space's name, a path or a space, but got " + n.Describe());
    return std::nullopt;
  }
  *ref = n.scalar();
  std::string where = *ref;
  if (!BuiltinSpaceText(where) && std::filesystem::path(where).is_relative()) {
    where = (std::filesystem::path(base_dir) / where).lexically_normal().string();
  }
  auto space = LoadModelSpace(BuiltinSpaceText(*ref) ? *ref : where);
  if (!space.ok()) {
    diag.Error(n.mark(), "space", space.status().message());
    return std::nullopt;
  }
  return *space;
}

// The decisions, each checked at its own position.
void CheckDecisions(const ModelSpace& space, const ConfigNode& n, Diagnostics& diag) {
  nlohmann::json config = n.ToJson();
  for (size_t i = 0; i < n.entries().size(); ++i) {
    const auto& [key, value] = n.entries()[i];
    // The key alone on a template of the space's decisions; a decision with one
    // candidate is not in the template but may still be written (as that candidate).
    nlohmann::json one = ConfigOf(space, Architecture{});
    one[key] = value.ToJson();
    auto arch = ArchitectureOf(space, one);
    if (!arch.ok()) {
      std::string why = arch.status().message();
      if (why.find("'" + key + "' is not a decision of space") != std::string::npos) {
        diag.Error(n.KeyMarkAt(i), "architecture." + key, "not a decision of space '" + space.name + "'");
        continue;
      }
      const std::string prefix = "architecture: " + key + " = ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      diag.Error(value.mark(), "architecture." + key, why);
    }
  }
  if (!diag.has_errors()) {
    auto arch = ArchitectureOf(space, config);
    if (!arch.ok()) diag.Error(n.mark(), "architecture", arch.status().message());
  }
}

}  // namespace

StatusOr<ArchitectureFile> ParseArchitectureFile(const std::string& text, const std::string& file) {
  Diagnostics diag;
  std::optional<ConfigNode> root = ConfigNode::Parse(text, file, diag);
  if (!root) return diag.ToStatus();
  Registry registry;
  ConfigContext ctx(registry, ".", diag);
  if (!root->IsMap()) {
    diag.Error(root->mark(), "", "expected a map with 'space' and 'architecture', but got " + root->Describe());
    return diag.ToStatus();
  }
  ConfigNode n = ctx.CheckKeys(*root, "", {"space", "architecture"});
  ArchitectureFile out;
  const ConfigNode* space_node = n.Find("space");
  const ConfigNode* arch_node = n.Find("architecture");
  if (!space_node) diag.Error(root->mark(), "", "missing key 'space'");
  if (!arch_node) diag.Error(root->mark(), "", "missing key 'architecture'");
  std::string base = std::filesystem::path(file).parent_path().string();
  std::optional<ModelSpace> space;
  if (space_node) space = SpaceOf(*space_node, base.empty() ? "." : base, diag, &out.space_ref);
  if (arch_node && !arch_node->IsMap()) {
    diag.Error(arch_node->mark(), "architecture", "expected a map of decisions, but got " + arch_node->Describe());
  } else if (arch_node && space) {
    CheckDecisions(*space, *arch_node, diag);
  }
  if (diag.has_errors() || !space) return diag.ToStatus();
  out.space = *space;
  out.config = arch_node->ToJson();
  auto arch = ArchitectureOf(out.space, out.config);
  if (!arch.ok()) return arch.status();
  out.arch = *arch;
  return out;
}

StatusOr<ArchitectureFile> ReadArchitectureFile(const std::string& path) {
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseArchitectureFile(*text, path);
}

std::string ArchitectureFileText(const std::string& space_ref, const ModelSpace& space, const nlohmann::json& config) {
  std::ostringstream out;
  auto arch = ArchitectureOf(space, config);
  if (arch.ok()) {
    std::istringstream lines(DescribeArchitecture(space, *arch));
    for (std::string line; std::getline(lines, line);) out << "# " << line << "\n";
  }
  out << "space: " << space_ref << "\narchitecture:\n";
  for (auto it = config.begin(); it != config.end(); ++it) out << "  " << it.key() << ": " << it.value().dump() << "\n";
  return out.str();
}

}  // namespace hone::nas
