#include "tuners/anneal/register_anneal.h"

#include "tuners/anneal/anneal_tuner.h"

namespace hone {

void RegisterAnnealTuner(Registry& registry) {
  using K = ArgSpec::Kind;
  auto arg = [](std::string key, K kind, std::optional<double> min) {
    ArgSpec a;
    a.key = std::move(key);
    a.kind = kind;
    a.min = min;
    return a;
  };
  ArgSpec mode = arg("optimize_mode", K::kEnum, std::nullopt);
  mode.choices = {"maximize", "minimize"};
  TunerInfo info;
  info.name = "anneal";
  info.aliases = {"Anneal"};
  info.summary = "random for n_startup_jobs, then draws ever closer to the best trials";
  info.args = {mode, arg("seed", K::kInt, std::nullopt), arg("n_startup_jobs", K::kInt, 0),
               arg("avg_best_idx", K::kNumber, 1), arg("shrink_coef", K::kNumber, 0)};
  info.uses_optimize_mode = true;
  info.create = &AnnealTuner::Create;
  registry.AddTuner(std::move(info));
}

}  // namespace hone
