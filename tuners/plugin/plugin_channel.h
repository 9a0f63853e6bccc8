// PluginChannel: one request/one reply with a plugin (see plugin_protocol.h), over a
// shared library (LibraryChannel) or a child process's stdin/stdout (CommandChannel).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hone::plugin {

class PluginChannel {
 public:
  virtual ~PluginChannel() = default;
  // Sends `request`, returns the parsed reply object. Errors carry no plugin name (the
  // caller adds it) but say what went wrong: timeout, exit, garbage, error reply.
  virtual StatusOr<nlohmann::json> Call(const nlohmann::json& request) = 0;
};

// Loads `path` with dlopen and makes one instance through hone_plugin_create.
StatusOr<std::unique_ptr<PluginChannel>> OpenLibraryChannel(const std::string& path);

struct CommandOptions {
  std::string command;      // run with /bin/sh -c
  std::string working_dir;  // "" = inherit
  std::chrono::milliseconds timeout{60000};  // per call
  std::string python_path;  // prepended to PYTHONPATH (hone's Python SDK), "" = none
};
// Starts the command (in its own process group; the group is killed when the channel dies).
StatusOr<std::unique_ptr<PluginChannel>> OpenCommandChannel(const CommandOptions& options);

}  // namespace hone::plugin
