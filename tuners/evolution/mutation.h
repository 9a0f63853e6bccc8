// Mutation: the variation step of the evolution tuners. A child differs from its parent
// in one active parameter (chosen uniformly), plus each other active parameter with
// probability 1/n, so a few change now and then.
//
// How one parameter changes:
//   - plain choice: another option, uniformly;
//   - nested choice: another option, its sub-space drawn afresh from the prior (a
//     parameter inside the kept option of a nested choice is itself a mutation site);
//   - numeric: half the time a fresh draw from the prior; otherwise a Gaussian step in
//     the warped space (log for log kinds): sd 0.1 x the range for uniform kinds
//     (randint treated as the real interval [low, high)), 0.25 x sigma for normal kinds;
//     out-of-range steps are reflected back, then Finish q-rounds and clips.
#pragma once

#include <random>

#include <nlohmann/json.hpp>

#include "core/search_space.h"

namespace hone {

// REQUIRES: `parent` is a configuration of `space` (space.Contains(parent)).
nlohmann::json Mutate(const SearchSpace& space, const nlohmann::json& parent, std::mt19937_64& rng);

// One draw of parameter `p` from its prior (a nested choice gives {_name, sub-params...}).
nlohmann::json SampleParam(const ParamSpec& p, std::mt19937_64& rng);

}  // namespace hone
