// UTF-8 checks for text from outside (trial output, config files: arbitrary bytes) bound for places
// that need valid UTF-8 (JSON, the database, the web UI).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hone {

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 when the bytes
// there are not one (overlong forms, surrogates and code points past U+10FFFF included).
// REQUIRES: pos < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t pos);

bool IsValidUtf8(std::string_view text);

// A copy where each byte that does not start a well-formed sequence becomes U+FFFD.
std::string ToValidUtf8(std::string_view text);

// Appends code point `cp` (REQUIRES: cp <= 0x10FFFF) encoded as UTF-8.
void AppendUtf8(std::string* out, char32_t cp);

}  // namespace hone
