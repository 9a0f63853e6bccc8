// The web UI's action token: 64 hex characters in HONE_HOME/webui.token (mode 0600),
// created by the first server that finds none. Reading needs no token; actions send
// `Authorization: Bearer <token>`.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace hone::webui {

std::string TokenPath(const std::string& home);
// Reads the token, creating the file (0600, exclusively) when it is missing. A file
// that is not 64 hex characters is FailedPrecondition (delete it to get a new one).
StatusOr<std::string> LoadOrCreateToken(const std::string& home);
// Whether an Authorization header value carries `token` (constant-time comparison).
bool BearerMatches(std::string_view header, std::string_view token);

}  // namespace hone::webui
