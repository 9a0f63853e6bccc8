// Numbers and lines as the CLI prints them for people: 6 significant digits (as %.6g),
// parameters as compact JSON with their floats shortened the same way, and lines cut to
// the terminal's width. Machine-readable output (--json, export) keeps full precision.
//
// Example:
//   FormatNumber(0.123456789012)              // "0.123457"
//   FormatParams({{"lr", 0.00123456789}})     // {"lr":0.00123457}
//   FitWidth("trials 12/40 | 4 running ...", 20)  // "trials 12/40 | 4 ru…" (20 columns)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hone {

// %.6g; "nan", "inf", "-inf" for the values without digits.
std::string FormatNumber(double value);

// Compact JSON (as dump(-1)) where every float prints as FormatNumber does; integers,
// strings, booleans and null as JSON writes them; non-finite floats as NaN/Infinity.
std::string FormatParams(const nlohmann::json& params);

// A Unix time as local "YYYY-MM-DD HH:MM" (with ":SS" when `with_seconds`); "-" for none.
std::string FormatTime(double unix_s, bool with_seconds);

// The columns `line` takes on a terminal: one per code point, two for East Asian wide
// and fullwidth characters, none for combining marks; bytes that are not UTF-8 take one.
int DisplayWidth(std::string_view line);

// `line` when it fits in `width` columns, else its longest prefix (whole characters
// only) that leaves room for "…", plus "…". Never more than `width` columns (width <= 0
// gives ""). Control characters (tab, newline, escape) become spaces first, so that the
// result is always exactly one terminal row.
std::string FitWidth(std::string_view line, int width);

// FitWidth(text, width) padded with spaces to exactly `width` columns (table cells).
std::string PadRight(std::string_view text, int width);

// The terminal's width: the size the terminal reports (ioctl_columns, 0 when it reports
// none), else $COLUMNS (columns_env, when a positive number), else 80.
int ColumnsFrom(int ioctl_columns, const char* columns_env);

// ColumnsFrom with the size of the terminal on `fd` and the environment's $COLUMNS.
int TerminalColumns(int fd);

}  // namespace hone
