// The subcommands. Each Setup function adds its subcommand(s) to `app`; the callback
// runs the command and leaves its outcome in *result (main.cc turns it into an exit code).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace hone {

void SetupRunCommands(CLI::App& app, const CliContext& ctx, Status* result);     // run, create, resume, _manager
void SetupStopCommand(CLI::App& app, const CliContext& ctx, Status* result);     // stop
void SetupExperimentCommands(CLI::App& app, const CliContext& ctx, Status* result);  // experiment ...
void SetupExperimentUpdateCommand(CLI::App& experiment, const CliContext& ctx, Status* result);  // experiment update
void SetupTrialCommands(CLI::App& app, const CliContext& ctx, Status* result);   // trial ...
void SetupAlgoCommands(CLI::App& app, const CliContext& ctx, Status* result);    // algo ...
void SetupWebuiCommands(CLI::App& app, const CliContext& ctx, Status* result);   // webui, view
void SetupCompressCommand(CLI::App& app, const CliContext& ctx, Status* result); // compress ... (hone-compress)
void SetupNasCommand(CLI::App& app, const CliContext& ctx, Status* result);      // nas ... (hone-nas)

}  // namespace hone
