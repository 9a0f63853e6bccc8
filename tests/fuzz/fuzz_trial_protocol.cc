// Fuzzes the trial wire protocol (trials/protocol.h, trials/lenient_json.h,
// trials/line_splitter.h): the input is a trial's stdout, cut into lines as the
// platforms cut it, each line parsed as a report; the whole input is also parsed as
// lenient JSON. Beyond "no crash", the headers' promises: reports and parsed JSON always
// dump (valid UTF-8), a malformed report says why, a used report holds "default", and
// lenient JSON agrees with nlohmann::json on every document that is standard JSON.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_util.h"
#include "trials/lenient_json.h"
#include "trials/line_splitter.h"
#include "trials/protocol.h"
#include "core/utf8.h"

namespace {

using nlohmann::json;

constexpr size_t kMaxLine = 512;  // small, so that long lines are cut often

std::string Dump(const json& value, const char* what, std::string_view input) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    hone::fuzz::Fail(std::string(what) + " does not dump as JSON: " + e.what(), input);
  }
}

void CheckReport(std::string_view line) {
  const hone::Report r = hone::ParseReportLine(line);
  switch (r.kind) {
    case hone::Report::Kind::kNone:
      return;
    case hone::Report::Kind::kMalformed:
      if (r.error.empty()) hone::fuzz::Fail("a malformed report has no error", line);
      if (!hone::IsValidUtf8(r.error)) hone::fuzz::Fail("a report error is not valid UTF-8", r.error);
      return;
    case hone::Report::Kind::kIntermediate:
    case hone::Report::Kind::kFinal: {
      if (!r.metrics.is_object() || !r.metrics.contains("default"))
        hone::fuzz::Fail("a used report's metrics hold no \"default\"", line);
      Dump(r.metrics, "a report's metrics", line);
      const json& d = r.metrics["default"];
      if (!d.is_number()) hone::fuzz::Fail("a report's \"default\" is not a number", line);
      const double v = d.get<double>();
      if (!(v == r.value || (std::isnan(v) && std::isnan(r.value))))
        hone::fuzz::Fail("a report's value differs from its \"default\"", line);
      return;
    }
  }
}

void CheckLenientJson(std::string_view text) {
  auto lenient = hone::ParseLenientJson(text);
  if (lenient.ok()) Dump(*lenient, "lenient JSON", text);
  // nlohmann::json ends the input at a NUL byte ("{}\0x" parses as {}); not comparable.
  if (text.find('\0') != std::string_view::npos) return;
  const json strict = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (strict.is_discarded()) return;
  if (!lenient.ok()) {
    if (lenient.status().message().find("nesting deeper") != std::string::npos) return;
    hone::fuzz::Fail("lenient JSON rejects standard JSON: " + lenient.status().message(), text);
  }
  if (*lenient != strict)
    hone::fuzz::Fail("lenient JSON reads standard JSON differently", strict.dump() + "  vs  " + lenient->dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The stream in two chunks, split where the first byte says, as reads split it.
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  hone::LineSplitter splitter(kMaxLine);
  auto emit = [](std::string_view line, bool truncated) {
    if (line.size() > kMaxLine || (truncated && line.size() != kMaxLine))
      hone::fuzz::Fail("a line past the splitter's limit", line);
    CheckReport(line);
  };
  splitter.Feed(input.substr(0, cut), emit);
  splitter.Feed(input.substr(cut), emit);
  splitter.Finish(emit);

  CheckLenientJson(input);
  const std::string valid = hone::ToValidUtf8(input);
  if (!hone::IsValidUtf8(valid)) hone::fuzz::Fail("ToValidUtf8 left invalid UTF-8", input);
  return 0;
}
