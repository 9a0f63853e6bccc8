// hone trial SDK for C++: read this trial's parameters and report metrics to the manager.
// Header-only, C++17, depends only on nlohmann/json. Reports travel as one stdout line
// each (`@hone {...}`, see "The trial wire protocol" in the design notes).
//
//   #include <hone/trial.h>
//   int main() {
//     nlohmann::json params = hone::trial::GetParams();  // {"lr": 0.01, "layers": 3}
//     double lr = params.value("lr", 0.1);
//     for (int epoch = 0; epoch < 10; ++epoch)
//       hone::trial::ReportIntermediate(Train(lr));      // steps 0, 1, 2, ...
//     hone::trial::ReportFinal({{"default", Evaluate()}, {"loss", loss}});
//   }
//
// Thread safety: every function may be called from any thread; each report is written
// and flushed as one whole line before the call returns, so a trial killed right after
// a report has still delivered it.
// Errors: an invalid metric or step throws std::invalid_argument; unreadable or
// malformed parameters under hone throw std::runtime_error. Outside hone (no HONE_*
// variables) GetParams() returns {} with a warning on stderr and reports are printed.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace hone {
namespace trial {

namespace internal {

inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

inline std::string DumpLeaf(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void AppendJson(const nlohmann::json& value, std::string* out) {
  switch (value.type()) {
    case nlohmann::json::value_t::number_float: {
      // nlohmann writes non-finite numbers as null; the wire format keeps them.
      double d = value.get<double>();
      if (std::isnan(d)) {
        *out += "NaN";
      } else if (std::isinf(d)) {
        *out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        *out += DumpLeaf(value);
      }
      return;
    }
    case nlohmann::json::value_t::object: {
      *out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) *out += ',';
        first = false;
        *out += DumpLeaf(nlohmann::json(it.key()));
        *out += ':';
        AppendJson(it.value(), out);
      }
      *out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      *out += '[';
      bool first = true;
      for (const auto& element : value) {
        if (!first) *out += ',';
        first = false;
        AppendJson(element, out);
      }
      *out += ']';
      return;
    }
    default:
      *out += DumpLeaf(value);
      return;
  }
}

inline nlohmann::json ParseParams(const std::string& text, const std::string& origin) {
  nlohmann::json params = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false,
                                                /*ignore_comments=*/false);
  if (params.is_discarded()) {
    throw std::runtime_error("hone::trial: " + origin + " must hold a JSON object, but it is not valid JSON");
  }
  if (!params.is_object()) {
    throw std::runtime_error("hone::trial: " + origin + " must hold a JSON object, but got " +
                             DumpLeaf(params));
  }
  return params;
}

}  // namespace internal

// JSON text as the wire format writes it: compact, NaN/Infinity/-Infinity as bare tokens.
inline std::string ToWireJson(const nlohmann::json& value) {
  std::string out;
  internal::AppendJson(value, &out);
  return out;
}

// True for a number, or an object whose "default" member is a number.
inline bool IsValidMetric(const nlohmann::json& metric) {
  if (metric.is_number()) return true;
  if (!metric.is_object()) return false;
  auto it = metric.find("default");
  return it != metric.end() && it->is_number();
}

// One report line without the newline. `step` < 0 means a final report.
//   FormatReport(0.93, -1)  ->  @hone {"type":"final","value":0.93}
//   FormatReport(0.81, 3)   ->  @hone {"type":"intermediate","step":3,"value":0.81}
// REQUIRES: IsValidMetric(metric), otherwise throws std::invalid_argument.
inline std::string FormatReport(const nlohmann::json& metric, int64_t step) {
  if (!IsValidMetric(metric)) {
    throw std::invalid_argument(
        "hone::trial: a metric must be a number or an object with a numeric \"default\", "
        "but got " + ToWireJson(metric));
  }
  std::string line = "@hone {\"type\":";
  if (step < 0) {
    line += "\"final\"";
  } else {
    line += "\"intermediate\",\"step\":" + std::to_string(step);
  }
  line += ",\"value\":";
  line += ToWireJson(metric);
  line += '}';
  return line;
}

// Writes report lines to one stream, numbering intermediate steps. The free functions
// below use one Reporter on stdout; tests may build their own on a temporary file.
class Reporter {
 public:
  explicit Reporter(std::FILE* out) : out_(out) {}
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Reports at the next step: 0 first, then one past the previous report's step.
  void Intermediate(const nlohmann::json& metric) {
    std::lock_guard<std::mutex> lock(mu_);
    WriteLocked(FormatReport(metric, next_step_));
    ++next_step_;
  }

  // REQUIRES: step >= 0. Later automatic steps continue from step + 1.
  void Intermediate(const nlohmann::json& metric, int64_t step) {
    if (step < 0) {
      throw std::invalid_argument("hone::trial: a step must be >= 0, but got " +
                                  std::to_string(step));
    }
    std::lock_guard<std::mutex> lock(mu_);
    WriteLocked(FormatReport(metric, step));
    next_step_ = step + 1;
  }

  void Final(const nlohmann::json& metric) {
    std::lock_guard<std::mutex> lock(mu_);
    WriteLocked(FormatReport(metric, -1));
  }

 private:
  void WriteLocked(const std::string& line) {
    if (out_ == stdout) std::cout.flush();  // keep earlier log lines before the report
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

  std::mutex mu_;
  std::FILE* out_;
  int64_t next_step_ = 0;
};

inline Reporter& StdoutReporter() {
  static Reporter reporter(stdout);
  return reporter;
}

// True when this process was launched by hone as a trial.
inline bool RunningUnderHone() {
  return !internal::EnvOr("HONE_PARAMS", "").empty() ||
         !internal::EnvOr("HONE_TRIAL_DIR", "").empty();
}

// This trial's configuration: a JSON object mapping parameter names to values; a nested
// choice's value is an object with "_name" plus its own parameters. Read from HONE_PARAMS,
// else from $HONE_TRIAL_DIR/params.json; outside hone, {} with a warning on stderr.
inline nlohmann::json GetParams() {
  std::string text = internal::EnvOr("HONE_PARAMS", "");
  if (!text.empty()) return internal::ParseParams(text, "HONE_PARAMS");
  std::string dir = internal::EnvOr("HONE_TRIAL_DIR", "");
  if (!dir.empty()) {
    std::string path = dir + "/params.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("hone::trial: cannot read " + path);
    std::ostringstream content;
    content << in.rdbuf();
    return internal::ParseParams(content.str(), path);
  }
  static std::once_flag warned;
  std::call_once(warned, [] {
    std::fputs("hone: warning: not running as a hone trial (HONE_PARAMS is unset); "
               "using empty parameters, reports are only printed\n", stderr);
  });
  return nlohmann::json::object();
}

inline void ReportIntermediate(double value) { StdoutReporter().Intermediate(value); }
inline void ReportIntermediate(double value, int64_t step) {
  StdoutReporter().Intermediate(value, step);
}
// `metrics` is an object with a numeric "default"; other members are shown, not ranked.
inline void ReportIntermediate(const nlohmann::json& metrics) {
  StdoutReporter().Intermediate(metrics);
}
inline void ReportIntermediate(const nlohmann::json& metrics, int64_t step) {
  StdoutReporter().Intermediate(metrics, step);
}

inline void ReportFinal(double value) { StdoutReporter().Final(value); }
inline void ReportFinal(const nlohmann::json& metrics) { StdoutReporter().Final(metrics); }

// Identity and places; outside hone: "STANDALONE", "STANDALONE", 0 and ".".
inline std::string TrialId() { return internal::EnvOr("HONE_TRIAL_ID", "STANDALONE"); }
inline std::string ExperimentId() { return internal::EnvOr("HONE_EXPERIMENT_ID", "STANDALONE"); }
inline int64_t TrialSeq() {
  std::string text = internal::EnvOr("HONE_TRIAL_SEQ", "0");
  char* end = nullptr;
  long long seq = std::strtoll(text.c_str(), &end, 10);
  return end != nullptr && *end == '\0' ? static_cast<int64_t>(seq) : 0;
}
// Where the trial should write files it wants kept (checkpoints, TensorBoard logs).
inline std::string OutputDir() { return internal::EnvOr("HONE_OUTPUT_DIR", "."); }

}  // namespace trial
}  // namespace hone
