// hone-nas: the `hone nas` commands (hone execs this binary with the arguments after
// `nas`, so that hone itself does not load libtorch). Exit codes as hone's: 0 success,
// 2 usage or config error, 1 runtime failure.
#include <CLI/CLI.hpp>

#include "compress/cli/tool_main.h"
#include "compress/model/tensor_allocator.h"
#include "nas/cli/nas_commands.h"

int main(int argc, char** argv) {
  hone::compress::KeepTensorBuffersInHeap();
  CLI::App app{"hone nas: model spaces, architectures and their training"};
  app.name("hone nas");
  app.require_subcommand(1);
  hone::Status result;
  hone::nas::SetupSpacesCommand(app, &result);
  hone::nas::SetupSearchSpaceCommand(app, &result);
  hone::nas::SetupDescribeCommand(app, &result);
  hone::nas::SetupTrainCommand(app, &result);
  hone::nas::SetupSearchCommand(app, &result);
  // A missing space or architecture file is a usage error too.
  return hone::compress::ParseAndFinish(app, argc, argv, result, "hone nas", {hone::StatusCode::kNotFound});
}
