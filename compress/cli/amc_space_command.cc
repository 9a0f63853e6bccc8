// `hone compress amc-space MODEL --out space.json [--flops-ratio 0.5 --lower-keep 0.2
// --round-to 8 --input 1,1,28,28]`: the search space of an AMC experiment on MODEL, one
// uniform keep ratio per decision (compress/cli/amc_setup.h), and a table of the
// decisions on stdout. Without --out the space goes to stdout.
#include <cstdio>
#include <fstream>

#include "compress/cli/amc_setup.h"
#include "compress/cli/compress_commands.h"

namespace hone::compress {
namespace {

struct SpaceArgs {
  AmcSetupArgs setup;
  std::string out;
};

Status RunAmcSpace(const SpaceArgs& a) {
  auto setup = LoadAmcSetup(a.setup);
  if (!setup.ok()) return setup.status();
  const nlohmann::json space = AmcSearchSpace(setup->env);
  if (a.out.empty()) {
    std::printf("%s\n", space.dump(2).c_str());
    return Status();
  }
  std::ofstream f(a.out);
  f << space.dump(2) << "\n";
  if (!f.good()) return IoError("cannot write " + a.out);
  const AmcEnvironment& env = setup->env;
  std::printf("%zu decisions, FLOPs budget %lld of %lld (%.0f%%), keep ratios in [%g, 1] rounded to %lld channels\n",
              env.layers().size(), static_cast<long long>(env.TargetFlops()), static_cast<long long>(env.DenseFlops()),
              100.0 * static_cast<double>(env.TargetFlops()) / static_cast<double>(env.DenseFlops()),
              a.setup.lower_keep, static_cast<long long>(a.setup.round_to));
  std::printf("%-32s %9s %s\n", "decision", "channels", "widths");
  for (size_t t = 0; t < env.layers().size(); ++t) {
    const auto& widths = env.wall().Widths(static_cast<int>(t));
    std::printf("%-32s %9lld %lld..%lld (%zu choices)\n", env.layers()[t].name.c_str(),
                static_cast<long long>(env.layers()[t].out_channels), static_cast<long long>(widths.front()),
                static_cast<long long>(widths.back()), widths.size());
  }
  std::printf("wrote %s\n", a.out.c_str());
  return Status();
}

}  // namespace

void SetupAmcCommands(CLI::App& app, Status* result) {
  auto a = std::make_shared<SpaceArgs>();
  auto* cmd = app.add_subcommand("amc-space", "The per-layer keep-ratio search space of an AMC experiment (tuner: amc)");
  AddAmcSetupOptions(*cmd, a->setup);
  cmd->add_option("--out", a->out, "Write the search space (JSON) here");
  cmd->callback([a, result] { *result = RunAmcSpace(*a); });
  SetupAmcTrialCommand(app, result);
  SetupAmcTunerCommand(app, result);
}

}  // namespace hone::compress
