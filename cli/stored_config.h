// The config an experiment's hone.db holds, as the commands that act on an existing
// experiment read it. Each of them refuses an experiment whose stored config is
// missing, unreadable or incomplete with a message that names the experiment, rather
// than guessing (or crashing on) what the config would have said.
//
// Example:
//   auto storage = OpenExperimentStorage(ctx, id, OpenMode::kReadOnly);
//   if (!storage.ok()) return storage.status();  // "experiment 3f9a...: stored config ..."
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "core/storage.h"
#include "core/trial_record.h"
#include "storage/sqlite_storage.h"

namespace hone {

// Opens the hone.db of experiment `id` in `mode` (kReadWrite or kReadOnly: never one
// that lays down a schema) and checks its stored config with StoredConfigJson.
StatusOr<std::unique_ptr<SqliteStorage>> OpenExperimentStorage(const CliContext& ctx, const std::string& id,
                                                                OpenMode mode);

// The stored config of experiment `id`: FailedPrecondition when it is missing, is not
// a JSON object, or does not pass the config reader.
StatusOr<nlohmann::json> StoredConfigJson(Storage& storage, const CliContext& ctx, const std::string& id);

// The value at `path` in `config` as text (a string as it is, any other value as JSON),
// "" where the path leads nowhere. Never throws, whatever `config` holds.
std::string StoredText(const nlohmann::json& config, std::initializer_list<std::string_view> path);

// "minimize" in the tuner's classArgs (or, when the tuner names none, the assessor's)
// makes kMinimize; anything else kMaximize.
OptimizeMode StoredOptimizeMode(const nlohmann::json& config);

}  // namespace hone
