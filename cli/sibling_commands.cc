// `hone compress ...` and `hone nas ...`: run the hone-compress or hone-nas executable
// beside this binary with the remaining arguments (exec, so its output and exit status
// are the command's own). These commands need libtorch; keeping them in separate
// executables keeps hone's own start-up free of it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/commands.h"

namespace hone {
namespace {

void SetupSiblingCommand(CLI::App& app, const CliContext& ctx, Status* result, const std::string& name,
                         const std::string& executable, const std::string& description) {
  auto* cmd = app.add_subcommand(name, description);
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd, &ctx, result, executable] {
    std::filesystem::path exe = std::filesystem::path(ctx.exe_path).parent_path() / executable;
    std::error_code ec;
    if (!std::filesystem::exists(exe, ec)) {
      *result = InvalidArgument("hone was built without libtorch: " + exe.string() +
                                " does not exist (install libtorch-dev and rebuild)");
      return;
    }
    std::vector<std::string> args = cmd->remaining();
    std::vector<char*> argv;
    std::string path = exe.string();
    argv.push_back(path.data());
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    *result = IoError("cannot run " + path + ": " + std::strerror(errno));
  });
}

}  // namespace

void SetupCompressCommand(CLI::App& app, const CliContext& ctx, Status* result) {
  SetupSiblingCommand(app, ctx, result, "compress", "hone-compress",
                      "Train, evaluate, profile and prune TorchScript models (needs libtorch)");
}

void SetupNasCommand(CLI::App& app, const CliContext& ctx, Status* result) {
  SetupSiblingCommand(app, ctx, result, "nas", "hone-nas",
                      "Model spaces, architectures and their training for architecture search (needs libtorch)");
}

}  // namespace hone
