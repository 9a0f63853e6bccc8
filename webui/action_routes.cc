// POST actions (token required): stop an experiment, kill a trial, change its limits,
// add a trial. Each is checked here and then queued as a command for the running
// manager (Storage::PushCommand), which acts on it within its command interval.
#include <cmath>

#include "core/search_space.h"
#include "storage/sqlite_storage.h"
#include "webui/routes.h"
#include "webui/token.h"

namespace hone::webui {
namespace {

using nlohmann::json;

// The token and read-only checks every action starts with; replies and returns false.
bool Authorized(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  if (state.read_only) {
    ReplyError(res, 403, "read-only: this server (hone view) takes no actions");
    return false;
  }
  std::string header = req.get_header_value("Authorization");
  if (header.empty()) {
    ReplyError(res, 401, "missing token: send 'Authorization: Bearer <token>' (the token is in HONE_HOME/webui.token)");
    return false;
  }
  if (!BearerMatches(header, state.token)) {
    ReplyError(res, 403, "wrong token");
    return false;
  }
  return true;
}

// The request body as a JSON object ({} when empty); 400 otherwise.
std::optional<json> Body(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    ReplyError(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// The running experiment an action is for, or an error reply.
std::optional<ExperimentEntry> RunningExperiment(ServerState& state, const httplib::Request& req,
                                                 httplib::Response& res) {
  if (!Authorized(state, req, res)) return std::nullopt;
  auto entry = ResolveOrReply(state, req, res);
  if (!entry) return std::nullopt;
  if (!ExperimentCatalog::IsRunning(*entry)) {
    ReplyError(res, 409, "experiment " + entry->id + " is not running (no manager to act); 'hone resume " +
                             entry->id + "' continues it");
    return std::nullopt;
  }
  return entry;
}

using Commands = std::vector<std::pair<CommandKind, json>>;

Status Push(const ExperimentEntry& entry, const Commands& commands) {
  auto storage = SqliteStorage::Open(entry.dir + "/hone.db", OpenMode::kReadWrite);
  if (!storage.ok()) return storage.status();
  for (const auto& [kind, args] : commands) HONE_RETURN_IF_ERROR((*storage)->PushCommand(kind, args));
  return Status::Ok();
}

// Pushes `commands` and answers 202 naming `command` (plus `extra`), or the error.
void PushAndReply(httplib::Response& res, const ExperimentEntry& entry, const Commands& commands,
                  const std::string& command, json extra = json::object()) {
  Status pushed = Push(entry, commands);
  if (!pushed.ok()) return ReplyStatus(res, pushed);
  json body = {{"queued", true}, {"command", command}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  ReplyJson(res, body, 202);
}

void Stop(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = RunningExperiment(state, req, res);
  if (!entry) return;
  if (!Body(req, res)) return;
  PushAndReply(res, *entry, {{CommandKind::kStop, json::object()}}, std::string(CommandKindName(CommandKind::kStop)));
}

void KillTrial(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = RunningExperiment(state, req, res);
  if (!entry) return;
  auto seq = ParseSeq(req.matches[2].str());
  if (!seq.ok()) return ReplyStatus(res, seq.status());
  if (!Body(req, res)) return;
  auto query = state.catalog.Query(*entry);
  if (!query.ok()) return ReplyStatus(res, query.status());
  auto trial = (*query)->Get(*seq);
  if (!trial.ok()) return ReplyStatus(res, trial.status());
  if (!*trial) return ReplyError(res, 404, "experiment " + entry->id + " has no trial " + std::to_string(*seq));
  if (IsTerminal((*trial)->record.status))
    return ReplyError(res, 409, "trial " + std::to_string(*seq) + " has ended (" +
                                    std::string(TrialStatusName((*trial)->record.status)) + ")");
  PushAndReply(res, *entry, {{CommandKind::kKillTrial, {{"seq", *seq}}}}, std::string(CommandKindName(CommandKind::kKillTrial)));
}

// The commands a /limits body asks for; InvalidArgument names the first bad key.
StatusOr<Commands> LimitCommands(const json& body) {
  Commands commands;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const json& v = it.value();
    if (it.key() == "trial_concurrency" || it.key() == "max_trial_number") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000000000)
        return InvalidArgument(it.key() + ": must be an integer in [1, 1000000000], but got " + v.dump());
      commands.push_back({it.key() == "trial_concurrency" ? CommandKind::kSetConcurrency
                                                          : CommandKind::kSetMaxTrialNumber,
                          {{"value", v}}});
    } else if (it.key() == "max_trial_duration_s") {
      if (!v.is_null() && !(v.is_number() && v.get<double>() > 0 && std::isfinite(v.get<double>())))
        return InvalidArgument("max_trial_duration_s: must be a number of seconds > 0, or null, but got " + v.dump());
      commands.push_back({CommandKind::kSetMaxTrialDuration, {{"value", v}}});
    } else {
      return InvalidArgument("unknown limit '" + it.key().substr(0, 40) +
                             "': expected trial_concurrency, max_trial_number or max_trial_duration_s");
    }
  }
  if (commands.empty())
    return InvalidArgument("nothing to change: give trial_concurrency, max_trial_number or max_trial_duration_s");
  return commands;
}

void SetLimits(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = RunningExperiment(state, req, res);
  if (!entry) return;
  auto body = Body(req, res);
  if (!body) return;
  auto commands = LimitCommands(*body);
  if (!commands.ok()) return ReplyStatus(res, commands.status());
  json kinds = json::array();
  for (const auto& c : *commands) kinds.push_back(std::string(CommandKindName(c.first)));
  PushAndReply(res, *entry, *commands, "limits", {{"commands", kinds}});
}

void AddTrial(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = RunningExperiment(state, req, res);
  if (!entry) return;
  auto body = Body(req, res);
  if (!body) return;
  if (!body->contains("parameters") || !(*body)["parameters"].is_object())
    return ReplyError(res, 400, "the body must be {\"parameters\": {...}}");
  auto query = state.catalog.Query(*entry);
  if (!query.ok()) return ReplyStatus(res, query.status());
  json config = json::parse((*query)->GetMeta("config").value_or("{}"), nullptr, false);
  json space_json = config.is_object() && config.contains("searchSpace") ? config["searchSpace"] : json::object();
  // A plugin tuner takes its space as written and its trials need not fit hone's reading of
  // it; a stored space that hone cannot read belongs to such a tuner. The manager has the
  // last word either way.
  const bool plugin = config.is_object() && config.contains("tuner") && config["tuner"].is_object() &&
                      config["tuner"].contains("plugin");
  auto space = SearchSpace::FromJson(space_json);
  std::string why;
  if (!plugin && space.ok() && !space->Contains((*body)["parameters"], &why))
    return ReplyError(res, 400, "parameters outside the search space: " + why);
  PushAndReply(res, *entry, {{CommandKind::kAddTrial, {{"parameters", (*body)["parameters"]}}}},
               std::string(CommandKindName(CommandKind::kAddTrial)));
}

}  // namespace

void AddActionRoutes(httplib::Server& server, ServerState& state) {
  using httplib::Request;
  using httplib::Response;
  server.Post(R"(/api/v1/experiments/([^/]+)/stop)",
              [&state](const Request& req, Response& res) { Stop(state, req, res); });
  server.Post(R"(/api/v1/experiments/([^/]+)/trials/([^/]+)/kill)",
              [&state](const Request& req, Response& res) { KillTrial(state, req, res); });
  server.Post(R"(/api/v1/experiments/([^/]+)/limits)",
              [&state](const Request& req, Response& res) { SetLimits(state, req, res); });
  server.Post(R"(/api/v1/experiments/([^/]+)/trials)",
              [&state](const Request& req, Response& res) { AddTrial(state, req, res); });
}

}  // namespace hone::webui
