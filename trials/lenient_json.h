// ParseLenientJson: JSON as Python's json module writes it, which is standard JSON plus
// the bare tokens NaN, Infinity and -Infinity (nlohmann::json rejects those).
//
//   ParseLenientJson(R"({"default": NaN, "loss": -Infinity})")  -> {"default": nan, "loss": -inf}
//   ParseLenientJson("[1, 2")                                    -> kInvalidArgument
//
// Never throws. Strings come out as valid UTF-8 (ill-formed bytes and lone surrogate
// escapes become U+FFFD), so the result can always be dumped. Duplicate keys: the last
// one wins. Nesting deeper than kMaxJsonDepth is an error rather than a deep recursion.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone {

inline constexpr int kMaxJsonDepth = 256;

// On failure: kInvalidArgument saying what is wrong and at which byte offset.
StatusOr<nlohmann::json> ParseLenientJson(std::string_view text);

}  // namespace hone
