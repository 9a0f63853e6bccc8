// The subcommands of `hone compress`. Each Setup function adds its subcommand to `app`;
// the callback runs it and leaves the outcome in *result.
#pragma once

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace hone::compress {

void SetupTrainCommand(CLI::App& app, Status* result);     // train: a zoo model on a data set
void SetupEvaluateCommand(CLI::App& app, Status* result);  // evaluate: a model's test accuracy
void SetupZooCommand(CLI::App& app, Status* result);       // zoo: list or emit zoo models
void SetupProfileCommand(CLI::App& app, Status* result);   // profile: per-layer shapes, params, FLOPs, latency
void SetupPruneCommand(CLI::App& app, Status* result);     // prune: masks from a config list
void SetupQuantizeCommand(CLI::App& app, Status* result);  // quantize: int8 and lower-bit models from a config list
void SetupAmcCommands(CLI::App& app, Status* result);      // amc-space, amc-trial, amc-tuner: AMC as an experiment
void SetupAmcTrialCommand(CLI::App& app, Status* result);  // (part of SetupAmcCommands)
void SetupAmcTunerCommand(CLI::App& app, Status* result);  // (part of SetupAmcCommands)

}  // namespace hone::compress
