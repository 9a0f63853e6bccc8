// CliContext: what main.cc builds once and hands to every subcommand (no globals).
#pragma once

#include <string>

#include "core/registry.h"
#include "core/status.h"

namespace hone {

struct CliContext {
  const Registry* registry = nullptr;
  std::string hone_home;      // HONE_HOME
  std::string exe_path;       // this binary, for detached managers
  std::string sdk_python_dir; // put on the trials' PYTHONPATH
};

// Exit codes, decided in one place: 0 success, 2 usage or config error, 1 runtime failure.
inline int ExitCodeFor(const Status& status) {
  if (status.ok()) return 0;
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace hone
