// The subcommands of `hone nas`. Each Setup function adds its subcommand to `app`; the
// callback runs it and leaves the outcome in *result.
#pragma once

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace hone::nas {

void SetupSpacesCommand(CLI::App& app, Status* result);       // spaces: list or print built-in model spaces
void SetupSearchSpaceCommand(CLI::App& app, Status* result);  // search-space: a model space as a hone search space
void SetupDescribeCommand(CLI::App& app, Status* result);     // describe: an architecture file as text
void SetupTrainCommand(CLI::App& app, Status* result);        // train: one architecture (file, or a trial's parameters)
void SetupSearchCommand(CLI::App& app, Status* result);       // search: one-shot search, an architecture file out

}  // namespace hone::nas
