// Asking a person before something that cannot be undone (`hone experiment delete`).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace hone {

// "y" and "yes" in any case, spaces around allowed; anything else (the empty answer
// included) is no.
bool IsYes(std::string_view answer);

// Writes `question` and " [y/N] " to `prompt_out`, reads one line from `in` and returns
// IsYes of it (false at end of input).
bool AskYesNo(const std::string& question, std::FILE* in, std::FILE* prompt_out);

}  // namespace hone
