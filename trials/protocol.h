// The trial wire protocol: every stdout line of a trial is either plain log or a metric
// report. Reports are `@hone <json>` lines, or NNI's legacy `NNISDK_MEb'<json>'` lines so
// that unchanged NNI trials keep working.
//
//   ParseReportLine(R"(@hone {"type":"intermediate","step":3,"value":0.81})")
//     -> {kIntermediate, step 3, value 0.81, metrics {"default":0.81}}
//   ParseReportLine(R"(@hone {"type":"final","value":{"default":0.93,"loss":0.21}})")
//     -> {kFinal, value 0.93, metrics {"default":0.93,"loss":0.21}}
//   ParseReportLine("epoch 3 done")              -> {kNone}
//   ParseReportLine("@hone {\"type\":\"final\"}") -> {kMalformed, error "... no \"value\""}
//
// Never throws, whatever the bytes: a report line that cannot be used is kMalformed with
// an error for the trial's warnings. NaN, Infinity and -Infinity are accepted (Python's
// json.dumps writes them bare). Strings inside `metrics` are valid UTF-8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hone {

inline constexpr std::string_view kReportMarker = "@hone ";
inline constexpr std::string_view kNniReportMarker = "NNISDK_ME";

struct Report {
  enum class Kind { kNone, kIntermediate, kFinal, kMalformed };
  Kind kind = Kind::kNone;
  // kIntermediate: the step the trial gave; nullopt when it gave none (and for NNI's
  // legacy lines, whose sequence is just a per-trial counter), so the caller numbers it.
  std::optional<int64_t> step;
  double value = 0;  // the default metric; may be NaN or +-Inf
  // The whole reported value as an object holding "default" (a scalar report v becomes
  // {"default": v}).
  nlohmann::json metrics;
  std::string error;  // kMalformed: what is wrong, e.g. `"value" has no numeric "default"`
};

// Parses one stdout line (without its '\n'; a trailing '\r' is ignored).
Report ParseReportLine(std::string_view line);

}  // namespace hone
