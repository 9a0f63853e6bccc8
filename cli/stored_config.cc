#include "cli/stored_config.h"

#include "cli/experiment_session.h"
#include "core/experiment_config.h"

namespace hone {

using nlohmann::json;

namespace {

const json* Find(const json& config, std::initializer_list<std::string_view> path) {
  const json* node = &config;
  for (std::string_view key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(std::string(key));
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteStorage>> OpenExperimentStorage(const CliContext& ctx, const std::string& id,
                                                                OpenMode mode) {
  auto storage = SqliteStorage::Open(ExperimentDir(ctx, id) + "/hone.db", mode);
  if (!storage.ok()) return storage.status().WithContext("experiment " + id);
  auto config = StoredConfigJson(**storage, ctx, id);
  if (!config.ok()) return config.status();
  return storage;
}

StatusOr<json> StoredConfigJson(Storage& storage, const CliContext& ctx, const std::string& id) {
  const std::string where = "experiment " + id + ": stored config: ";
  auto text = storage.GetMeta("config");
  if (!text)
    return FailedPrecondition(where + "missing from hone.db (the database was damaged or not written by hone)");
  json config = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return FailedPrecondition(where + "not valid JSON");
  if (!config.is_object()) return FailedPrecondition(where + "must be a JSON object, but got " + config.type_name());
  auto checked = ExperimentConfig::FromJson(config, *ctx.registry);
  if (!checked.ok()) return FailedPrecondition(where + checked.status().message());
  return config;
}

std::string StoredText(const json& config, std::initializer_list<std::string_view> path) {
  const json* node = Find(config, path);
  if (node == nullptr || node->is_null()) return "";
  if (node->is_string()) return node->get<std::string>();
  return node->dump(-1, ' ', false, json::error_handler_t::replace);
}

OptimizeMode StoredOptimizeMode(const json& config) {
  const json* tuner = Find(config, {"tuner", "classArgs", "optimize_mode"});
  const std::string mode = tuner != nullptr ? StoredText(config, {"tuner", "classArgs", "optimize_mode"})
                                            : StoredText(config, {"assessor", "classArgs", "optimize_mode"});
  return mode == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
}

}  // namespace hone
