// TpeHistory: finished (and, while suggesting, lied-about running) trials parsed once
// into per-parameter arrays, grouped by sub-space so that each parameter is modelled
// only over the trials where it was active (hyperopt's tree): group 0 is the top-level
// space, each option of a nested choice has its own group.
//
//   {"opt": choice [{_name: sgd, lr: ...}, {_name: adam}], "x": uniform}
//   -> group 0 {opt, x} (every trial), group 1 {lr} (trials that chose sgd), group 2 {}.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "tuners/tpe/parzen_estimator.h"

namespace hone {

// How good a trial was; lexicographically smaller is better. tier 0: a finite final
// value; tier 1: no usable final value but a finite intermediate one (early stopped,
// timed out); tier 2: nothing to rank (crashed), ranked below everything else.
struct TpeScore {
  int tier = 2;
  double loss = 0;    // the value, negated when maximizing
  int64_t order = 0;  // arrival; breaks ties (older first)
};
bool operator<(const TpeScore& a, const TpeScore& b);

class TpeHistory {
 public:
  struct Dim {
    const ParamSpec* spec = nullptr;
    bool categorical = false;      // choice
    double categories = 0;         // categorical: number of values
    bool binned = false;           // randint and q kinds: scored by the mass of a value's bin
    ParzenPrior prior;             // numeric: in warped space
    std::vector<int> children;     // nested choice: the group of each option
    std::vector<double> values;    // per member: warped value or category index
    std::vector<uint32_t> by_value;  // numeric: member positions, ascending value
  };
  struct Group {
    std::vector<Dim> dims;          // the sub-space's parameters, in space order
    std::vector<uint32_t> members;  // observations where the group was active, oldest first
  };

  // REQUIRES: `space` outlives this object.
  explicit TpeHistory(const SearchSpace& space);

  // Records a configuration of the space (REQUIRES: space.Contains(config)).
  void Add(const nlohmann::json& config, const TpeScore& score);
  // Removes the most recent Add (constant-liar observations are taken back this way).
  void PopLast();

  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<TpeScore>& scores() const { return scores_; }
  size_t size() const { return scores_.size(); }

  // A parameter value in the dimension's modelling space, and back (Unwarp rounds binned
  // dimensions to their grid).
  static double Warp(const Dim& dim, const nlohmann::json& value);
  static nlohmann::json Unwarp(const Dim& dim, double x);
  // The bin, in warped space, of the grid value at warped `x` of a binned dimension: the
  // values that round to it (an integer +- 1/2; a q-multiple +- q/2).
  static ParzenBin BinOf(const Dim& dim, double x);

 private:
  int Build(const SearchSpace& space);
  void AddTo(int group, const nlohmann::json& config, uint32_t obs);
  void PopFrom(int group, uint32_t obs);

  std::vector<Group> groups_;
  std::vector<TpeScore> scores_;
};

}  // namespace hone
