// hone-compress: the `hone compress` commands (hone execs this binary with the arguments
// after `compress`, so that hone itself does not load libtorch). Exit codes as hone's:
// 0 success, 2 usage or config error, 1 runtime failure.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "compress/cli/compress_commands.h"
#include "compress/model/tensor_allocator.h"

int main(int argc, char** argv) {
  hone::compress::KeepTensorBuffersInHeap();
  CLI::App app{"hone compress: train, evaluate, profile and prune TorchScript models"};
  app.name("hone compress");
  app.require_subcommand(1);
  hone::Status result;
  hone::compress::SetupTrainCommand(app, &result);
  hone::compress::SetupEvaluateCommand(app, &result);
  hone::compress::SetupZooCommand(app, &result);
  hone::compress::SetupProfileCommand(app, &result);
  hone::compress::SetupPruneCommand(app, &result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!result.ok()) std::fprintf(stderr, "hone compress: error: %s\n", result.message().c_str());
  if (result.ok()) return 0;
  return result.code() == hone::StatusCode::kInvalidArgument ? 2 : 1;
}
