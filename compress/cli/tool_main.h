// The shared end of the hone-compress and hone-nas mains: parse the command line with the
// subcommands already set up, report a failed command's Status on stderr and return
// hone's exit code (0 success, 2 usage or config error, 1 runtime failure).
//
//   CLI::App app{"..."};
//   hone::Status result;
//   SetupXCommand(app, &result);
//   return hone::compress::ParseAndFinish(app, argc, argv, result, "hone nas", {hone::StatusCode::kNotFound});
#pragma once

#include <cstdio>
#include <initializer_list>
#include <string>

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace hone::compress {

// Runs `app` on argv; the subcommand's callback sets `result`. Messages that already carry
// "file:line:col: error:" are printed as they are, others after "<tool>: error: ".
// kInvalidArgument and each of `usage_codes` exit 2, other failures 1.
inline int ParseAndFinish(CLI::App& app, int argc, char** argv, const Status& result, const std::string& tool,
                          std::initializer_list<StatusCode> usage_codes = {}) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (result.ok()) return 0;
  const std::string& msg = result.message();
  std::fprintf(stderr, "%s%s\n", msg.find(": error: ") == std::string::npos ? (tool + ": error: ").c_str() : "",
               msg.c_str());
  bool usage = result.code() == StatusCode::kInvalidArgument;
  for (StatusCode code : usage_codes) usage = usage || result.code() == code;
  return usage ? 2 : 1;
}

}  // namespace hone::compress
