// hone-nas: the `hone nas` commands (hone execs this binary with the arguments after
// `nas`, so that hone itself does not load libtorch). Exit codes as hone's: 0 success,
// 2 usage or config error, 1 runtime failure.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!result.ok()) {
    const std::string& msg = result.message();
    std::fprintf(stderr, "%s%s\n", msg.find(": error: ") == std::string::npos ? "hone nas: error: " : "", msg.c_str());
  }
  if (result.ok()) return 0;
  return result.code() == hone::StatusCode::kInvalidArgument || result.code() == hone::StatusCode::kNotFound ? 2 : 1;
}
