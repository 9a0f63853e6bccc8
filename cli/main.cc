// hone: the composition root. Builds the registry and context, wires the subcommands,
// and turns their outcome into an exit code (0 ok, 2 usage/config error, 1 failure).
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "assessors/builtin_assessors.h"
#include "cli/cli_context.h"
#include "cli/commands.h"
#include "platforms/builtin_platforms.h"
#include "storage/experiment_registry.h"
#include "tuners/builtin_tuners.h"
#include "tuners/plugin/compress_tuners.h"
#include "tuners/plugin/plugin_store.h"

namespace fs = std::filesystem;

namespace {

std::string SelfPath(const char* argv0) {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) return p.string();
  return fs::absolute(argv0).string();
}

// The Python SDK sits beside the binary: <dir>/share/hone/python (build tree) or
// <prefix>/share/hone/python (installed).
std::string FindSdkDir(const std::string& exe) {
  fs::path dir = fs::path(exe).parent_path();
  for (const fs::path& candidate : {dir / "share/hone/python", dir.parent_path() / "share/hone/python"}) {
    std::error_code ec;
    if (fs::is_directory(candidate / "hone", ec)) return candidate.string();
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  hone::Registry registry;
  hone::RegisterBuiltinTuners(registry);
  hone::RegisterBuiltinAssessors(registry);
  hone::RegisterBuiltinPlatforms(registry);

  hone::CliContext ctx;
  ctx.registry = &registry;
  ctx.hone_home = hone::DefaultHoneHome();
  ctx.exe_path = SelfPath(argv[0]);
  ctx.sdk_python_dir = FindSdkDir(ctx.exe_path);
  // Tuners hone-compress carries out (amc): by name, run as a command beside hone.
  hone::plugin::RegisterCompressTuners(registry, fs::path(ctx.exe_path).parent_path().string());
  // Plugins registered with `hone algo register` work by name, like the built-ins.
  auto plugins = hone::plugin::LoadPluginEntries(ctx.hone_home);
  if (!plugins.ok()) std::fprintf(stderr, "hone: warning: %s\n", plugins.status().message().c_str());
  hone::plugin::RegisterPluginAlgorithms(registry, plugins.ok() ? *plugins : std::vector<hone::plugin::PluginEntry>{},
                                         ctx.sdk_python_dir);

  CLI::App app{"hone: hyperparameter tuning and model compression experiments"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hone 0.1.0");
  hone::Status result;
  hone::SetupRunCommands(app, ctx, &result);
  hone::SetupStopCommand(app, ctx, &result);
  hone::SetupExperimentCommands(app, ctx, &result);
  hone::SetupTrialCommands(app, ctx, &result);
  hone::SetupAlgoCommands(app, ctx, &result);
  hone::SetupWebuiCommands(app, ctx, &result);
  hone::SetupCompressCommand(app, ctx, &result);
  hone::SetupNasCommand(app, ctx, &result);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!result.ok()) {
    std::string msg = result.message();
    // Config diagnostics already carry "file:line:col: error:"; others get a prefix.
    if (msg.find(": error: ") == std::string::npos) msg = "hone: error: " + msg;
    std::fprintf(stderr, "%s\n", msg.c_str());
  }
  return hone::ExitCodeFor(result);
}
