// UnitCubeEncoding: maps configurations of a search space to points of [0,1]^d and back,
// in each parameter's warped space, for model-based tuners (gp, cmaes).
//   uniform/quniform: linear; loguniform/qloguniform: linear in log; randint: bucket
//   centres; normal kinds: through the normal CDF (lognormal kinds of log x);
//   choice: one dimension per option (one-hot); nested choice: one-hot, then every
//   option's sub-space flattened, with the dimensions of unchosen options at 0.5.
// Decode continuous-relaxes nothing: it rounds q kinds and randint with ParamSpec::Finish
// and picks the option with the largest one-hot coordinate.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"

namespace hone {

class UnitCubeEncoding {
 public:
  // What one dimension encodes.
  struct Dim {
    bool categorical = false;  // part of a one-hot block
    size_t block = 0;          // categorical: first dimension of its block
    size_t block_size = 1;     // categorical: number of options
    bool nested = false;       // inside a nested choice's option
  };

  // REQUIRES: `space` outlives the encoding.
  explicit UnitCubeEncoding(const SearchSpace& space);

  size_t size() const { return dims_.size(); }
  const std::vector<Dim>& dims() const { return dims_; }
  bool has_categorical() const { return has_categorical_; }

  // The point of `config` (a configuration of the space). Missing or foreign values
  // encode as 0.5.
  std::vector<double> Encode(const nlohmann::json& config) const;
  // The configuration nearest to `x` (coordinates are clamped to [0,1]).
  nlohmann::json Decode(const std::vector<double>& x) const;
  // Which dimensions matter at `x`: those of the options `x` chooses (and their parents).
  std::vector<bool> ActiveDims(const std::vector<double>& x) const;

 private:
  static size_t Build(const SearchSpace& space, bool nested, std::vector<Dim>& dims, bool& has_cat);
  static size_t EncodeInto(const SearchSpace& space, const nlohmann::json* config,
                           std::vector<double>& x, size_t at);
  static size_t DecodeFrom(const SearchSpace& space, const std::vector<double>& x, size_t at,
                           nlohmann::json& out);

  static size_t MarkActive(const SearchSpace& space, const std::vector<double>& x, size_t at,
                           bool active, std::vector<bool>& mask);

  const SearchSpace& space_;
  std::vector<Dim> dims_;
  bool has_categorical_ = false;
};

// Dimensions one numeric (non-choice) parameter or choice takes, nested ones included.
size_t EncodedWidth(const ParamSpec& p);

}  // namespace hone
