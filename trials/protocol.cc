#include "trials/protocol.h"

#include <cmath>
#include <limits>
#include <string>

#include "trials/lenient_json.h"

namespace hone {
namespace {

using Json = nlohmann::json;

Report Malformed(std::string error) {
  Report r;
  r.kind = Report::Kind::kMalformed;
  r.error = std::move(error);
  return r;
}

std::string TypeName(const Json& j) {
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  if (j.is_array()) return "an array";
  return "an object";
}

// Fills value and metrics from a reported value: a number, or an object with a numeric
// "default". Returns an error message, or "" on success.
std::string TakeValue(const Json& value, Report* r) {
  if (value.is_number()) {
    r->value = value.get<double>();
    r->metrics = Json::object({{"default", value}});
    return "";
  }
  if (value.is_object()) {
    auto it = value.find("default");
    if (it == value.end()) return "\"value\" is an object without a \"default\" key";
    if (!it->is_number()) return "\"value.default\" must be a number, but got " + TypeName(*it);
    r->value = it->get<double>();
    r->metrics = value;
    return "";
  }
  return "\"value\" must be a number or an object with a numeric \"default\", but got " +
         TypeName(value);
}

// A step is an integer; 3.0 counts as 3.
std::optional<int64_t> IntegerStep(const Json& step) {
  if (step.is_number_integer()) return step.get<int64_t>();
  if (step.is_number_unsigned()) return std::nullopt;  // > int64 max
  if (step.is_number_float()) {
    double d = step.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

Report ParseHoneReport(std::string_view body) {
  StatusOr<Json> parsed = ParseLenientJson(body);
  if (!parsed.ok()) return Malformed("report is not valid JSON: " + parsed.status().message());
  const Json& j = *parsed;
  if (!j.is_object()) return Malformed("report must be a JSON object, but got " + TypeName(j));

  auto type = j.find("type");
  if (type == j.end()) return Malformed("report has no \"type\" (\"intermediate\" or \"final\")");
  if (!type->is_string()) {
    return Malformed("\"type\" must be \"intermediate\" or \"final\", but got " + TypeName(*type));
  }
  Report r;
  const std::string& type_name = type->get_ref<const std::string&>();
  if (type_name == "intermediate") {
    r.kind = Report::Kind::kIntermediate;
  } else if (type_name == "final") {
    r.kind = Report::Kind::kFinal;
  } else {
    return Malformed("\"type\" must be \"intermediate\" or \"final\", but got \"" + type_name + "\"");
  }

  auto value = j.find("value");
  if (value == j.end()) return Malformed("report has no \"value\"");
  if (std::string error = TakeValue(*value, &r); !error.empty()) return Malformed(error);

  if (r.kind == Report::Kind::kIntermediate) {
    auto step = j.find("step");
    if (step != j.end() && !step->is_null()) {
      r.step = IntegerStep(*step);
      if (!r.step) {
        return Malformed("\"step\" must be an integer, but got " +
                         (step->is_number() ? step->dump() : TypeName(*step)));
      }
    }
  }
  return r;
}

// Undoes Python's bytes repr (the legacy SDK prints `'NNISDK_ME%s' % data` with data a
// bytes object): \\ \' \n \r \t \xNN. Unknown escapes stay as written, as in Python.
std::string UnescapeBytesRepr(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[i + 1];
    switch (e) {
      case '\\': out.push_back('\\'); ++i; break;
      case '\'': out.push_back('\''); ++i; break;
      case 'n': out.push_back('\n'); ++i; break;
      case 'r': out.push_back('\r'); ++i; break;
      case 't': out.push_back('\t'); ++i; break;
      case 'x':
        if (i + 3 < s.size() && hex(s[i + 2]) >= 0 && hex(s[i + 3]) >= 0) {
          out.push_back(static_cast<char>(hex(s[i + 2]) * 16 + hex(s[i + 3])));
          i += 3;
          break;
        }
        out.push_back('\\');
        break;
      default:
        out.push_back('\\');
        break;
    }
  }
  return out;
}

Report ParseNniReport(std::string_view rest) {
  // rest is what follows "NNISDK_ME": b'<json>'
  if (rest.size() < 3 || rest.substr(0, 2) != "b'" || rest.back() != '\'') {
    return Malformed("NNI report must look like NNISDK_MEb'<json>'");
  }
  std::string_view quoted = rest.substr(2, rest.size() - 3);
  // Python SDKs escape the JSON as a bytes repr; others (the C# SDK) print it raw.
  StatusOr<Json> parsed = ParseLenientJson(UnescapeBytesRepr(quoted));
  if (!parsed.ok()) {
    StatusOr<Json> raw = ParseLenientJson(quoted);
    if (!raw.ok()) return Malformed("NNI report is not valid JSON: " + parsed.status().message());
    parsed = std::move(raw);
  }
  const Json& j = *parsed;
  if (!j.is_object()) return Malformed("NNI report must be a JSON object, but got " + TypeName(j));

  Report r;
  auto type = j.find("type");
  std::string type_name = type != j.end() && type->is_string() ? type->get<std::string>() : "";
  if (type_name == "PERIODICAL") {
    r.kind = Report::Kind::kIntermediate;
  } else if (type_name == "FINAL") {
    r.kind = Report::Kind::kFinal;
  } else if (type_name == "REQUEST_PARAMETER") {
    return Malformed("NNI REQUEST_PARAMETER (multi-phase trials) is not supported");
  } else {
    return Malformed("NNI report \"type\" must be \"PERIODICAL\" or \"FINAL\", but got " +
                     (type == j.end() ? std::string("nothing")
                      : type->is_string() ? "\"" + type_name + "\""
                                          : TypeName(*type)));
  }

  auto value = j.find("value");
  if (value == j.end()) return Malformed("NNI report has no \"value\"");
  // The metric is JSON encoded a second time, as a string.
  Json metric;
  if (value->is_string()) {
    StatusOr<Json> inner = ParseLenientJson(value->get_ref<const std::string&>());
    if (!inner.ok()) {
      return Malformed("NNI report \"value\" is not a JSON-encoded metric: " +
                       inner.status().message());
    }
    metric = std::move(*inner);
  } else {
    metric = *value;
  }
  if (std::string error = TakeValue(metric, &r); !error.empty()) return Malformed(error);
  return r;
}

}  // namespace

Report ParseReportLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.substr(0, kReportMarker.size()) == kReportMarker) {
    return ParseHoneReport(line.substr(kReportMarker.size()));
  }
  if (line.substr(0, kNniReportMarker.size()) == kNniReportMarker) {
    std::string_view rest = line.substr(kNniReportMarker.size());
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
    return ParseNniReport(rest);
  }
  return Report{};
}

}  // namespace hone
