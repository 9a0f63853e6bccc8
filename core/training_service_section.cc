#include "core/training_service_section.h"

#include <algorithm>

#include "core/config_keys.h"

namespace hone {

const std::vector<std::string>& TrainingServiceSharedKeys() {
  static const std::vector<std::string> keys = {"trialCommand", "trialCodeDirectory", "trialGpuNumber",
                                                "nniManagerIp", "debug"};
  return keys;
}

namespace {

// The platform's own keys: the section without `platform` and the shared keys.
ConfigNode PlatformKeys(const ConfigNode& service) {
  std::vector<std::pair<std::string, ConfigNode>> rest;
  std::vector<SourceMark> marks;
  const auto& shared = TrainingServiceSharedKeys();
  for (size_t i = 0; i < service.entries().size(); ++i) {
    const auto& [k, v] = service.entries()[i];
    if (k == "platform" || std::find(shared.begin(), shared.end(), k) != shared.end()) continue;
    rest.emplace_back(k, v);
    marks.push_back(service.KeyMarkAt(i));
  }
  return ConfigNode::Map(std::move(rest), std::move(marks), service.mark());
}

const PlatformInfo* FindPlatform(ConfigContext& ctx, const ConfigNode& service) {
  if (!service.IsMap()) {
    ctx.diag().Error(service.mark(), "trainingService", "expected a map with 'platform', but got " + service.Describe());
    return nullptr;
  }
  const ConfigNode* platform = service.Find("platform");
  if (!platform) {
    ctx.diag().Error(service.mark(), "trainingService.platform", "is required (e.g. 'local')");
    return nullptr;
  }
  auto name = ctx.String(*platform, "trainingService.platform");
  if (!name) return nullptr;
  const PlatformInfo* info = ctx.registry().FindPlatform(*name);
  if (!info)
    ctx.diag().Error(platform->mark(), "trainingService.platform",
                     UnknownNameMessage("platform", *name, ctx.registry().PlatformNames()));
  return info;
}

}  // namespace

ConfigNode CanonicalServiceKeys(ConfigContext& ctx, const ConfigNode& service) {
  if (service.IsSequence()) {
    std::vector<ConfigNode> items;
    for (const auto& item : service.items()) items.push_back(CanonicalServiceKeys(ctx, item));
    return ConfigNode::Sequence(std::move(items), service.mark());
  }
  if (!service.IsMap()) return service;
  std::vector<std::string> known = TrainingServiceSharedKeys();
  known.push_back("platform");
  const std::string* platform_key = nullptr;
  for (const auto& [k, v] : service.entries())
    if (FoldKey(k) == "platform") platform_key = &k;
  const ConfigNode* platform = platform_key ? service.Find(*platform_key) : nullptr;
  const PlatformInfo* info = platform && platform->IsScalar() ? ctx.registry().FindPlatform(platform->scalar()) : nullptr;
  if (info)
    for (const auto& spec : info->args) known.push_back(spec.key);
  return CanonicalKeys(service, known, "trainingService", ctx.diag());
}

namespace {

// One platform's section (the whole trainingService, or one item of its list) into
// `name` and `args`; false when it names no known platform.
bool ReadOnePlatform(ConfigContext& ctx, const ConfigNode& service, const ConfigNode& root,
                     const ExperimentConfig& cfg, std::string* name, nlohmann::json* args) {
  const PlatformInfo* info = FindPlatform(ctx, service);
  if (!info) return false;
  *name = info->name;
  ConfigNode keys = PlatformKeys(service);
  CheckRequired(&keys, service.mark(), "trainingService", info->args, "platform '" + info->name + "'", ctx.diag());
  CheckArgs(keys, "trainingService", info->args, ctx.diag(), *args);
  if (info->check) info->check(PlatformSection{service, root, *args, cfg.trial_gpu_number}, ctx.diag());
  return true;
}

// trainingService as a list: trials go to whichever platform has a free slot. The keys
// every platform shares (trialCommand, ...) belong at the top level then.
void ReadHybrid(ConfigContext& ctx, const ConfigNode& list, const ConfigNode& root, ExperimentConfig& cfg) {
  if (list.items().empty()) {
    ctx.diag().Error(list.mark(), "trainingService", "is an empty list; give one platform or a list of them");
    return;
  }
  for (const auto& item : list.items()) {
    if (item.IsMap())
      for (const auto& key : TrainingServiceSharedKeys())
        if (item.Find(key))
          ctx.diag().Error(item.KeyMark(key), "trainingService." + key,
                           "belongs at the top level when trainingService is a list of platforms");
    ExperimentConfig::PlatformChoice choice;
    if (ReadOnePlatform(ctx, item, root, cfg, &choice.name, &choice.args)) cfg.hybrid.push_back(std::move(choice));
  }
  if (list.items().size() == 1 && cfg.hybrid.size() == 1) {
    // A list of one is that platform.
    cfg.platform = cfg.hybrid[0].name;
    cfg.platform_args = cfg.hybrid[0].args;
    cfg.hybrid.clear();
    return;
  }
  cfg.platform = "hybrid";
}

}  // namespace

void ReadTrainingServiceSection(ConfigContext& ctx, const ConfigNode& service, const ConfigNode& root,
                                ExperimentConfig& cfg) {
  if (service.IsSequence()) return ReadHybrid(ctx, service, root, cfg);
  ReadOnePlatform(ctx, service, root, cfg, &cfg.platform, &cfg.platform_args);
}

}  // namespace hone
