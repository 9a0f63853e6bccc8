// hone-compress: the `hone compress` commands (hone execs this binary with the arguments
// after `compress`, so that hone itself does not load libtorch). Exit codes as hone's:
// 0 success, 2 usage or config error, 1 runtime failure.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compress/cli/compress_commands.h"
#include "compress/cli/tool_main.h"
#include "compress/model/tensor_allocator.h"
#include "core/diagnostics.h"

namespace {

// CLI11 reads a word that names no subcommand as a stray positional and then reports "A
// subcommand is required"; say instead which word it did not know and what it knows.
// Returns the message, or "" when argv[1] is an option or a known command.
std::string UnknownCommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return "";
  const std::string word = argv[1];
  std::vector<std::string> known;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) return "";
    known.push_back(sub->get_name());
  }
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  std::string msg = "unknown compress command '" + word + "' (known: " + list + ")";
  const std::string near = hone::DidYouMean(word, known);
  if (!near.empty()) {
    msg += "; did you mean '" + near + "'?";
  } else if (word == "speedup") {
    msg += "; speedup is part of prune: set speedup: true in the pruning configuration";
  } else if (word == "amc") {
    msg += "; AMC is `pruner: amc` in a prune configuration, or an experiment with amc-space, amc-trial and "
           "tuner: amc";
  }
  return msg;
}

}  // namespace

int main(int argc, char** argv) {
  hone::compress::KeepTensorBuffersInHeap();
  CLI::App app{"hone compress: train, evaluate, profile, prune and quantize TorchScript models"};
  app.name("hone compress");
  app.require_subcommand(1);
  hone::Status result;
  hone::compress::SetupTrainCommand(app, &result);
  hone::compress::SetupEvaluateCommand(app, &result);
  hone::compress::SetupZooCommand(app, &result);
  hone::compress::SetupProfileCommand(app, &result);
  hone::compress::SetupPruneCommand(app, &result);
  hone::compress::SetupQuantizeCommand(app, &result);
  hone::compress::SetupAmcCommands(app, &result);
  if (std::string unknown = UnknownCommand(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "hone compress: error: %s\nRun `hone compress --help` for the commands.\n", unknown.c_str());
    return 2;
  }
  return hone::compress::ParseAndFinish(app, argc, argv, result, "hone compress");
}
