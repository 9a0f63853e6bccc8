// SearchSpace: NNI's search-space format (ten `_type`s, nested `choice` with `_name`),
// validated strictly: an invalid space is an error with file:line:col, never a warning.
//
//   {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
//    "opt": {"_type": "choice", "_value": [{"_name": "sgd", "momentum": {...}}, {"_name": "adam"}]}}
//
// A configuration is a JSON object name -> value; a nested choice's value is an object
// holding `_name` and the chosen option's own parameters.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_node.h"
#include "core/diagnostics.h"
#include "core/status.h"

namespace hone {

enum class ParamType {
  kChoice, kRandint, kUniform, kQuniform, kLoguniform, kQloguniform,
  kNormal, kQnormal, kLognormal, kQlognormal,
};

std::string_view ParamTypeName(ParamType type);
std::optional<ParamType> ParseParamType(std::string_view name);
bool IsNormalKind(ParamType type);   // normal, qnormal, lognormal, qlognormal
bool IsLogKind(ParamType type);      // loguniform, qloguniform, lognormal, qlognormal
bool IsQuantized(ParamType type);    // the q* kinds

class SearchSpace;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kUniform;
  // uniform kinds: low, high; normal kinds: mu, sigma; q kinds: q (0 otherwise).
  // randint: low (inclusive), high (exclusive).
  double a = 0, b = 0, q = 0;
  // choice: the options; nested[i] is the sub-space of option i when the choice is nested.
  std::vector<nlohmann::json> options;
  std::vector<SearchSpace> nested;
  // A range with low == high (uniform [2, 2]) is read as a choice of that one float;
  // this is the type it was written as (ToJson writes it back so). Unset otherwise.
  std::optional<ParamType> written_as;
  bool IsNestedChoice() const { return !nested.empty(); }
  // Number of values of a discrete parameter (choice, randint, or a bounded q kind);
  // nullopt for continuous or unbounded ones.
  std::optional<double> DiscreteCount() const;
  // Maps a raw draw in the parameter's natural domain to its value: q-rounding
  // (half-to-even) then clip to [low, high] for uniform kinds; normal kinds unclipped.
  nlohmann::json Finish(double raw) const;
};

class SearchSpace {
 public:
  // Validates `node` (a map of parameter name -> spec); errors go to `diag` with the
  // key path prefixed by `path` ("searchSpace").
  static std::optional<SearchSpace> Parse(const ConfigNode& node, const std::string& path,
                                          Diagnostics& diag);
  static StatusOr<SearchSpace> FromJson(const nlohmann::json& json);

  const std::vector<ParamSpec>& params() const { return params_; }
  bool empty() const { return params_.empty(); }
  // Product of DiscreteCount over the space (nested choices summed); nullopt when any
  // parameter is continuous or unbounded.
  std::optional<double> DiscreteSize() const;
  // Whether `config` is a valid configuration of this space; `why` says what is wrong.
  bool Contains(const nlohmann::json& config, std::string* why = nullptr) const;
  // NNI's JSON format.
  nlohmann::json ToJson() const;

  // A uniform draw from the prior (uniform kinds uniformly, log kinds log-uniformly,
  // normal kinds from their normal). Used by random search and as the start of others.
  nlohmann::json Sample(std::mt19937_64& rng) const;

 private:
  std::vector<ParamSpec> params_;
  friend struct ParamSpec;
};

// round-half-to-even(x / q) * q, as NNI (Python's round) does.
double QRound(double x, double q);

}  // namespace hone
