// ReplayCurves: recorded learning curves, the data the replay platform serves (a tabular
// benchmark, like NAS-Bench or HPOBench). One JSON object per line:
//
//   {"hone_curves": 1, "metric": "accuracy", "synthetic": false, "source": "..."}   optional header
//   {"params": {"lr": 0.01, "width": 64}, "values": [0.71, 0.80, 0.83], "seconds": [9.8, 9.5, 9.6]}
//   {"params": {"lr": 0.1, "width": 32}, "values": [0.55, 0.62, 0.66], "seconds": 4.1}
//
// `values` are the metric after each epoch; `seconds` the time each epoch took (one
// number: every epoch took that long). Blank lines are skipped.
//
// Matching a trial's parameters to a record (Nearest): a record with exactly these
// parameters wins; otherwise the nearest record, by Euclidean distance over the trial's
// parameters, where a number contributes its difference divided by the spread of that
// parameter in the file (in log space when every recorded value of it is positive), and
// anything else (a string, a nested choice's object) contributes 0 when equal and 1 when
// not, as does a parameter the record lacks. Ties go to the earlier line. Scheduler keys
// (TRIAL_BUDGET, load_checkpoint_dir, save_checkpoint_dir) take no part.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone {

struct CurveRecord {
  nlohmann::json params;
  std::vector<double> values;
  std::vector<double> seconds;  // same length as values
};

class ReplayCurves {
 public:
  // kIo when the file cannot be read, kInvalidArgument ("file:line: what") when a line
  // is not a curve or there is none.
  static StatusOr<ReplayCurves> Load(const std::string& path);
  static StatusOr<ReplayCurves> Parse(const std::string& text, const std::string& name);

  const std::vector<CurveRecord>& records() const { return records_; }
  const nlohmann::json& header() const { return header_; }
  // Index of the record that serves `params` (see above). Records flagged in `taken`
  // (same length as records) are passed over by the nearest search unless every one is
  // taken; an exact match is served regardless. REQUIRES: records non-empty.
  size_t Nearest(const nlohmann::json& params, const std::vector<bool>* taken = nullptr) const;
  // `params` without the scheduler keys: what identifies a configuration.
  static nlohmann::json ConfigurationOf(const nlohmann::json& params);

 private:
  struct Spread {
    bool log = true;
    double lo = 0, hi = 0;
  };
  double Coordinate(const std::string& key, double v) const;

  nlohmann::json header_ = nlohmann::json::object();
  std::vector<CurveRecord> records_;
  std::map<std::string, Spread> spreads_;           // numeric parameters
};

}  // namespace hone
