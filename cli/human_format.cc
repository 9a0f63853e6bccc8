#include "cli/human_format.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/utf8.h"

namespace hone {

using nlohmann::json;

namespace {

constexpr std::string_view kEllipsis = "...";  // ASCII: one column per byte on any terminal

// The code point of the well-formed sequence at text[pos] of length len (1-4).
char32_t DecodeAt(std::string_view text, size_t pos, size_t len) {
  auto b = [&](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(text[pos + i])); };
  if (len == 1) return b(0);
  if (len == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (len == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

bool InRanges(char32_t cp, std::initializer_list<std::pair<char32_t, char32_t>> ranges) {
  for (const auto& [lo, hi] : ranges)
    if (cp >= lo && cp <= hi) return true;
  return false;
}

int CodePointWidth(char32_t cp) {
  if (InRanges(cp, {{0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
                    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}}))
    return 0;
  if (InRanges(cp, {{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF},
                    {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
                    {0xFE30, 0xFE4F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
                    {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD}}))
    return 2;
  return 1;
}

// Calls f(bytes, columns) for each character of `text`: a well-formed UTF-8 sequence,
// or one byte that is not part of one (shown as '?'); control characters become ' '.
template <typename F>
void ForEachChar(std::string_view text, F f) {
  for (size_t pos = 0; pos < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c == 0x7F) {
      f(std::string_view(" "), 1);
      ++pos;
      continue;
    }
    size_t len = Utf8SequenceLength(text, pos);
    if (len == 0) {
      f(std::string_view("?"), 1);
      ++pos;
      continue;
    }
    char32_t cp = DecodeAt(text, pos, len);
    if (cp >= 0x80 && cp < 0xA0) f(std::string_view(" "), 1);  // C1 controls
    else f(text.substr(pos, len), CodePointWidth(cp));
    pos += len;
  }
}

void AppendParams(const json& j, std::string* out) {
  if (j.is_object()) {
    out->push_back('{');
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out->push_back(',');
      first = false;
      *out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace);
      out->push_back(':');
      AppendParams(it.value(), out);
    }
    out->push_back('}');
  } else if (j.is_array()) {
    out->push_back('[');
    for (size_t i = 0; i < j.size(); ++i) {
      if (i) out->push_back(',');
      AppendParams(j[i], out);
    }
    out->push_back(']');
  } else if (j.is_number_float()) {
    const double v = j.get<double>();
    if (std::isnan(v)) *out += "NaN";
    else if (std::isinf(v)) *out += v > 0 ? "Infinity" : "-Infinity";
    else {
      // A float parameter stays visibly a float (2.0, not 2), as the trial receives it.
      std::string text = FormatNumber(v);
      if (text.find_first_of(".en") == std::string::npos) text += ".0";
      *out += text;
    }
  } else {
    *out += j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

std::string FormatNumber(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string FormatTime(double unix_s, bool with_seconds) {
  if (unix_s <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_s);
  char buf[32];
  std::strftime(buf, sizeof buf, with_seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", std::localtime(&t));
  return buf;
}

std::string FormatParams(const json& params) {
  std::string out;
  AppendParams(params, &out);
  return out;
}

int DisplayWidth(std::string_view line) {
  int width = 0;
  ForEachChar(line, [&](std::string_view, int w) { width += w; });
  return width;
}

std::string FitWidth(std::string_view line, int width) {
  if (width <= 0) return "";
  std::string clean;
  ForEachChar(line, [&](std::string_view bytes, int) { clean += bytes; });
  if (DisplayWidth(clean) <= width) return clean;
  const int ellipsis = width > static_cast<int>(kEllipsis.size()) ? static_cast<int>(kEllipsis.size()) : 0;
  std::string out;
  int used = 0;
  bool full = false;
  ForEachChar(clean, [&](std::string_view bytes, int w) {
    if (full || used + w > width - ellipsis) {
      full = true;
      return;
    }
    out += bytes;
    used += w;
  });
  if (ellipsis) out += kEllipsis;
  return out;
}

std::string PadRight(std::string_view text, int width) {
  std::string out = FitWidth(text, width);
  int used = DisplayWidth(out);
  if (used < width) out.append(static_cast<size_t>(width - used), ' ');
  return out;
}

int ColumnsFrom(int ioctl_columns, const char* columns_env) {
  if (ioctl_columns > 0) return ioctl_columns;
  if (columns_env != nullptr && *columns_env != '\0') {
    char* end = nullptr;
    long v = std::strtol(columns_env, &end, 10);
    if (*end == '\0' && v > 0 && v <= 100000) return static_cast<int>(v);
  }
  return 80;
}

int TerminalColumns(int fd) {
  struct winsize ws {};
  int cols = ::ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  return ColumnsFrom(cols, std::getenv("COLUMNS"));
}

}  // namespace hone
