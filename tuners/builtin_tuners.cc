#include "tuners/builtin_tuners.h"

#include "tuners/evolution/evolution_tuner.h"
#include "tuners/cmaes/cmaes_tuner.h"
#include "tuners/gp/gp_tuner.h"
#include "tuners/grid_tuner.h"
#include "tuners/hyperband/register_schedulers.h"
#include "tuners/random_tuner.h"
#include "tuners/anneal/register_anneal.h"
#include "tuners/tpe/register_tpe.h"

namespace hone {
void RegisterBuiltinTuners(Registry& registry) {
  TunerInfo random;
  random.name = "random";
  random.aliases = {"Random"};
  random.summary = "uniform draws from the search space, never repeating a configuration";
  random.args = {MakeArg("seed", ArgSpec::Kind::kInt), OptimizeModeArg()};
  random.uses_optimize_mode = false;
  random.create = &RandomTuner::Create;
  registry.AddTuner(std::move(random));

  TunerInfo grid;
  grid.name = "grid";
  grid.aliases = {"GridSearch"};
  grid.summary = "every discrete combination; continuous ranges subdivided ever finer";
  grid.args = {OptimizeModeArg()};
  grid.uses_optimize_mode = false;
  grid.create = &GridTuner::Create;
  registry.AddTuner(std::move(grid));
  RegisterTpeTuner(registry);
  RegisterAnnealTuner(registry);
  RegisterGpTuner(registry);
  RegisterCmaesTuner(registry);
  RegisterEvolutionTuners(registry);
  RegisterSchedulerTuners(registry);
}

}  // namespace hone
