// `hone compress ...`: runs the hone-compress executable beside this binary with the
// remaining arguments (exec, so its output and exit status are the command's own). The
// compression commands need libtorch; keeping them in a separate executable keeps hone's
// own start-up free of it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/commands.h"

namespace hone {

void SetupCompressCommand(CLI::App& app, const CliContext& ctx, Status* result) {
  auto* cmd = app.add_subcommand("compress", "Train, evaluate, profile and prune TorchScript models (needs libtorch)");
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd, &ctx, result] {
    std::filesystem::path exe = std::filesystem::path(ctx.exe_path).parent_path() / "hone-compress";
    std::error_code ec;
    if (!std::filesystem::exists(exe, ec)) {
      *result = InvalidArgument("hone was built without libtorch: " + exe.string() +
                                " does not exist (install libtorch-dev and rebuild)");
      return;
    }
    std::vector<std::string> args = cmd->remaining();
    std::vector<char*> argv;
    std::string name = exe.string();
    argv.push_back(name.data());
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(name.c_str(), argv.data());
    *result = IoError("cannot run " + name + ": " + std::strerror(errno));
  });
}

}  // namespace hone
