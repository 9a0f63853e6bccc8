#include "tuners/plugin/compress_tuners.h"

#include <filesystem>

#include "tuners/plugin/plugin_algorithms.h"

namespace hone::plugin {
namespace {

// A path for /bin/sh -c, single-quoted.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void RegisterCompressTuners(Registry& registry, const std::string& hone_dir) {
  TunerInfo info;
  info.name = "amc";
  info.summary = "AMC: a DDPG agent proposing per-layer keep ratios of a model (hone compress amc-space/amc-trial)";
  ArgSpec any;
  any.key = "*";  // classArgs are checked by hone-compress when the tuner starts
  info.args = {any};
  info.space_as_written = true;
  const std::string exe = (std::filesystem::path(hone_dir) / "hone-compress").string();
  info.create = [exe](const TunerContext& ctx) -> StatusOr<std::unique_ptr<Tuner>> {
    std::error_code ec;
    if (!std::filesystem::exists(exe, ec))
      return InvalidArgument("tuner amc needs hone-compress, which was not built (hone was built without libtorch): " +
                             exe + " does not exist");
    PluginSpec spec;
    spec.display = "amc";
    spec.command = ShellQuote(exe) + " amc-tuner";
    spec.timeout = std::chrono::milliseconds(600000);  // loading a model, replaying a long history
    return std::unique_ptr<Tuner>(new PluginTuner("amc", std::move(spec), ctx));
  };
  registry.AddTuner(std::move(info));
}

}  // namespace hone::plugin
