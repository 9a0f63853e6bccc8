// `hone algo register|list|unregister`: the built-in tuners and assessors, and those written
// as plugins (a shared library or any command speaking tuners/plugin/plugin_protocol.h),
// usable by name.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "tuners/plugin/plugin_store.h"

namespace hone {

namespace fs = std::filesystem;
using plugin::PluginEntry;
using plugin::PluginKind;

namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

struct RegisterOptions {
  std::string name, kind = "tuner", library, command, summary;
};

// Checks a registration on its own.
Status CheckOptions(const RegisterOptions& reg) {
  if (reg.library.empty() && reg.command.empty())
    return InvalidArgument("algo register: give --library PATH or --command CMD");
  if (!ValidName(reg.name) || ToLower(reg.name) == "plugin")
    return InvalidArgument("algo register: '" + reg.name +
                           "' is not a usable name (letters, digits, '_', '-', '.'; not 'plugin')");
  return Status::Ok();
}

// Checks a registration against the plugins and built-ins there are.
Status CheckRegistrable(const CliContext& ctx, const RegisterOptions& reg, const std::vector<PluginEntry>& entries) {
  for (const auto& e : entries)
    if (ToLower(e.name) == ToLower(reg.name))
      return Status(StatusCode::kAlreadyExists,
                    "algo register: '" + reg.name + "' is already registered; unregister it first");
  bool tuner = reg.kind == "tuner";
  bool builtin = tuner ? ctx.registry->FindTuner(reg.name) != nullptr : ctx.registry->FindAssessor(reg.name) != nullptr;
  if (builtin) return InvalidArgument("algo register: '" + reg.name + "' is a built-in " + reg.kind + " name");
  return Status::Ok();
}

Status Register(const CliContext& ctx, const RegisterOptions& reg) {
  HONE_RETURN_IF_ERROR(CheckOptions(reg));
  auto entries = plugin::LoadPluginEntries(ctx.hone_home);
  if (!entries.ok()) return entries.status();
  HONE_RETURN_IF_ERROR(CheckRegistrable(ctx, reg, *entries));
  PluginEntry e;
  e.name = reg.name;
  e.kind = reg.kind == "tuner" ? PluginKind::kTuner : PluginKind::kAssessor;
  e.summary = reg.summary;
  std::error_code ec;
  if (!reg.library.empty()) {
    e.library = fs::absolute(reg.library, ec).lexically_normal().string();
    if (!fs::is_regular_file(e.library, ec))
      return InvalidArgument("algo register: library " + e.library + " does not exist");
  } else {
    e.command = reg.command;
    e.dir = fs::current_path(ec).string();
  }
  entries->push_back(e);
  HONE_RETURN_IF_ERROR(plugin::SavePluginEntries(ctx.hone_home, *entries));
  std::printf("registered %s '%s'\n", reg.kind.c_str(), e.name.c_str());
  return Status::Ok();
}

// One row per algorithm: the built-ins the registry holds, then the registered plugins.
void PrintAlgorithm(const std::string& name, const char* kind, const char* source, const std::string& text) {
  std::printf("%-22s %-9s %-9s %s\n", name.c_str(), kind, source, text.c_str());
}

// " (also: TPE)": the other names a config may use, NNI's among them.
std::string AlsoKnownAs(const std::vector<std::string>& aliases) {
  std::string out;
  for (const auto& a : aliases) out += (out.empty() ? " (also: " : ", ") + a;
  return out.empty() ? out : out + ")";
}

Status List(const CliContext& ctx) {
  auto entries = plugin::LoadPluginEntries(ctx.hone_home);
  if (!entries.ok()) return entries.status();
  auto is_plugin = [&](const std::string& name) {
    return std::any_of(entries->begin(), entries->end(),
                       [&](const PluginEntry& e) { return ToLower(e.name) == ToLower(name); });
  };
  PrintAlgorithm("NAME", "KIND", "SOURCE", "DESCRIPTION");
  for (const auto& t : ctx.registry->tuners())
    if (!is_plugin(t.name)) PrintAlgorithm(t.name, "tuner", "built-in", t.summary + AlsoKnownAs(t.aliases));
  for (const auto& a : ctx.registry->assessors())
    if (!is_plugin(a.name)) PrintAlgorithm(a.name, "assessor", "built-in", a.summary + AlsoKnownAs(a.aliases));
  for (const auto& e : *entries) {
    std::string where = e.library.empty() ? "command: " + e.command + "  (in " + e.dir + ")" : "library: " + e.library;
    PrintAlgorithm(e.name, std::string(plugin::PluginKindName(e.kind)).c_str(), "plugin",
                   e.summary.empty() ? where : e.summary);
    if (!e.summary.empty()) PrintAlgorithm("", "", "", where);
  }
  if (entries->empty()) std::printf("\nno plugins registered (hone algo register --help)\n");
  return Status::Ok();
}

Status Unregister(const CliContext& ctx, const std::string& name) {
  auto entries = plugin::LoadPluginEntries(ctx.hone_home);
  if (!entries.ok()) return entries.status();
  auto it = std::find_if(entries->begin(), entries->end(),
                         [&](const PluginEntry& e) { return ToLower(e.name) == ToLower(name); });
  if (it == entries->end()) return NotFound("algo unregister: no plugin named '" + name + "'");
  entries->erase(it);
  HONE_RETURN_IF_ERROR(plugin::SavePluginEntries(ctx.hone_home, *entries));
  std::printf("unregistered '%s'\n", name.c_str());
  return Status::Ok();
}

}  // namespace

void SetupAlgoCommands(CLI::App& app, const CliContext& ctx, Status* result) {
  auto* algo = app.add_subcommand("algo", "List tuners and assessors; register plugins (any language)");
  algo->require_subcommand(1);

  auto reg = std::make_shared<RegisterOptions>();
  auto* add = algo->add_subcommand("register", "Register a plugin so that `tuner: {name: NAME}` finds it");
  add->add_option("--name", reg->name, "Name to use in configs")->required();
  add->add_option("--kind", reg->kind, "tuner or assessor")->check(CLI::IsMember({"tuner", "assessor"}))
      ->capture_default_str();
  auto* lib = add->add_option("--library", reg->library, "Shared library exporting hone_plugin_call");
  auto* cmd = add->add_option("--command", reg->command, "Command speaking the plugin protocol on stdin/stdout "
                                                         "(runs in the current directory)");
  lib->excludes(cmd);
  cmd->excludes(lib);
  add->add_option("--summary", reg->summary, "One line shown by `hone algo list`");
  add->callback([&ctx, reg, result] { *result = Register(ctx, *reg); });

  auto* list = algo->add_subcommand("list", "List the built-in tuners and assessors and the registered plugins");
  list->callback([&ctx, result] { *result = List(ctx); });

  auto name = std::make_shared<std::string>();
  auto* remove = algo->add_subcommand("unregister", "Forget a registered plugin");
  remove->add_option("name", *name, "The registered name")->required();
  remove->callback([&ctx, name, result] { *result = Unregister(ctx, *name); });
}

}  // namespace hone
