#include "tuners/plugin/plugin_algorithms.h"

#include <cstdio>

namespace hone::plugin {

using nlohmann::json;

namespace {

json StripPluginKey(json args) {
  if (args.is_object()) args.erase(kPluginArgKey);
  else args = json::object();
  return args;
}

std::string Prefix(PluginKind kind, const PluginSpec& spec) {
  return "plugin " + std::string(PluginKindName(kind)) + " '" + spec.display + "'";
}

ArgSpec AnyArg() {
  ArgSpec any;
  any.key = "*";  // the config reader accepts any key
  return any;
}

PluginSpec SpecFromEntry(const PluginEntry& e) {
  PluginSpec s;
  s.display = e.name;
  s.library = e.library;
  s.command = e.command;
  s.working_dir = e.dir;
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<PluginChannel>> OpenPlugin(const PluginSpec& spec) {
  if (!spec.library.empty()) return OpenLibraryChannel(spec.library);
  CommandOptions opts;
  opts.command = spec.command;
  opts.working_dir = spec.working_dir;
  opts.timeout = spec.timeout;
  opts.python_path = spec.python_path;
  return OpenCommandChannel(opts);
}

std::optional<PluginSpec> SpecFromArgs(const json& class_args) {
  if (!class_args.is_object()) return std::nullopt;
  auto it = class_args.find(kPluginArgKey);
  if (it == class_args.end() || !it->is_object()) return std::nullopt;
  PluginSpec s;
  s.library = it->value("library", std::string());
  s.command = it->value("command", std::string());
  s.working_dir = it->value("dir", std::string());
  if (s.library.empty() == s.command.empty()) return std::nullopt;
  s.display = s.library.empty() ? s.command : s.library;
  return s;
}

// ---- PluginTuner ----

PluginTuner::PluginTuner(std::string name, PluginSpec spec, const TunerContext& ctx)
    : name_(std::move(name)), spec_(std::move(spec)) {
  // The space as the config wrote it: a plugin may read parameter types hone does not.
  json space = ctx.space_json ? *ctx.space_json : ctx.space ? ctx.space->ToJson() : json::object();
  init_ = InitRequest(PluginKind::kTuner, space, StripPluginKey(ctx.class_args), ctx.seed, ctx.mode);
}

StatusOr<json> PluginTuner::Call(const json& request) {
  if (!fault_.ok()) return fault_;
  if (!channel_) {
    auto ch = OpenPlugin(spec_);
    if (!ch.ok()) {
      fault_ = Internal(Prefix(PluginKind::kTuner, spec_) + ": cannot start: " + ch.status().message());
      return fault_;
    }
    channel_ = std::move(*ch);
    auto init = channel_->Call(init_);
    if (!init.ok()) {
      fault_ = Internal(Prefix(PluginKind::kTuner, spec_) + ": " + init.status().message());
      return fault_;
    }
  }
  auto reply = channel_->Call(request);
  if (!reply.ok()) {
    fault_ = Internal(Prefix(PluginKind::kTuner, spec_) + ": " + reply.status().message());
    return fault_;
  }
  return reply;
}

StatusOr<std::vector<json>> PluginTuner::Suggest(int count) {
  if (exhausted_) return Exhausted(Prefix(PluginKind::kTuner, spec_) + " has no more configurations");
  auto reply = Call(SuggestRequest(count));
  if (!reply.ok()) return reply.status();
  auto decoded = DecodeSuggestReply(*reply);
  if (!decoded.ok()) {
    fault_ = Internal(Prefix(PluginKind::kTuner, spec_) + ": " + decoded.status().message());
    return fault_;
  }
  if (decoded->exhausted && decoded->configs.empty()) {
    exhausted_ = true;
    return Exhausted(Prefix(PluginKind::kTuner, spec_) + " has no more configurations");
  }
  if (decoded->exhausted) exhausted_ = true;
  if (static_cast<int>(decoded->configs.size()) > count) decoded->configs.resize(static_cast<size_t>(count));
  return std::move(decoded->configs);
}

void PluginTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  (void)Call(UpdateRequest(completed, active));  // a failure is kept in fault_
}

// ---- PluginAssessor ----

PluginAssessor::PluginAssessor(std::string name, PluginSpec spec, const AssessorContext& ctx)
    : name_(std::move(name)), spec_(std::move(spec)) {
  init_ = InitRequest(PluginKind::kAssessor, json::object(), StripPluginKey(ctx.class_args), 0, ctx.mode);
}

Verdict PluginAssessor::Assess(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  if (!fault_.ok()) return Verdict::kContinue;
  auto fail = [&](const Status& s) {
    fault_ = Internal(Prefix(PluginKind::kAssessor, spec_) + ": " + s.message());
    channel_.reset();
    return Verdict::kContinue;
  };
  if (!channel_) {
    auto ch = OpenPlugin(spec_);
    if (!ch.ok()) return fail(Status(StatusCode::kIo, "cannot start: " + ch.status().message()));
    channel_ = std::move(*ch);
    auto init = channel_->Call(init_);
    if (!init.ok()) return fail(init.status());
  }
  auto reply = channel_->Call(AssessRequest(trial, finished));
  if (!reply.ok()) return fail(reply.status());
  auto stop = DecodeVerdictReply(*reply);
  if (!stop.ok()) return fail(stop.status());
  return *stop ? Verdict::kStop : Verdict::kContinue;
}

// ---- registration ----

void RegisterPluginAlgorithms(Registry& registry, std::span<const PluginEntry> registered,
                              const std::string& sdk_python_dir) {
  TunerInfo tuner;
  tuner.name = "plugin";
  tuner.summary = "a tuner plugin given in the config: `tuner: {plugin: <library.so or command>}`";
  tuner.args = {AnyArg()};
  tuner.space_as_written = true;
  tuner.create = [sdk_python_dir](const TunerContext& ctx) -> StatusOr<std::unique_ptr<Tuner>> {
    auto spec = SpecFromArgs(ctx.class_args);
    if (!spec) return InvalidArgument("give the plugin as `tuner: {plugin: <library.so or command>}`");
    spec->python_path = sdk_python_dir;
    return std::unique_ptr<Tuner>(new PluginTuner("plugin", *spec, ctx));
  };
  registry.AddTuner(std::move(tuner));

  AssessorInfo assessor;
  assessor.name = "plugin";
  assessor.summary = "an assessor plugin given in the config: `assessor: {plugin: <library.so or command>}`";
  assessor.args = {AnyArg()};
  assessor.create = [sdk_python_dir](const AssessorContext& ctx) -> StatusOr<std::unique_ptr<Assessor>> {
    auto spec = SpecFromArgs(ctx.class_args);
    if (!spec) return InvalidArgument("give the plugin as `assessor: {plugin: <library.so or command>}`");
    spec->python_path = sdk_python_dir;
    return std::unique_ptr<Assessor>(new PluginAssessor("plugin", *spec, ctx));
  };
  registry.AddAssessor(std::move(assessor));

  for (const auto& e : registered) {
    PluginSpec spec = SpecFromEntry(e);
    spec.python_path = sdk_python_dir;
    std::string summary = e.summary.empty() ? "registered plugin (" + (e.library.empty() ? e.command : e.library) + ")"
                                            : e.summary;
    if (e.kind == PluginKind::kTuner) {
      TunerInfo info;
      info.name = e.name;
      info.summary = summary;
      info.args = {AnyArg()};
      info.space_as_written = true;
      info.create = [spec, name = e.name](const TunerContext& ctx) -> StatusOr<std::unique_ptr<Tuner>> {
        return std::unique_ptr<Tuner>(new PluginTuner(name, spec, ctx));
      };
      registry.AddTuner(std::move(info));
    } else {
      AssessorInfo info;
      info.name = e.name;
      info.summary = summary;
      info.args = {AnyArg()};
      info.create = [spec, name = e.name](const AssessorContext& ctx) -> StatusOr<std::unique_ptr<Assessor>> {
        return std::unique_ptr<Assessor>(new PluginAssessor(name, spec, ctx));
      };
      registry.AddAssessor(std::move(info));
    }
  }
}

}  // namespace hone::plugin
