// Live updates (server-sent events since a cursor) and the token-protected actions,
// which queue commands for the experiment's manager.
#include <chrono>
#include <thread>

#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

using nlohmann::json;

// Reads the event stream until `done` says so (or 10 s pass); returns what came.
std::string ReadStream(int port, const std::string& path, const std::function<bool(const std::string&)>& done) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  std::string got;
  auto start = std::chrono::steady_clock::now();
  client.Get(path.c_str(), [&](const char* data, size_t n) {
    got.append(data, n);
    return !done(got) && std::chrono::steady_clock::now() - start < std::chrono::seconds(10);
  });
  return got;
}

TEST_F(WebuiTest, EventsCarryChangedTrialsAndNewMetricsSinceTheCursor) {
  MakeExperiment("abc123", 3, 2, /*running=*/true);
  StartServer();
  std::string cursor = GetOk("/api/v1/experiments/abc123")["cursor"];
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto storage = SqliteStorage::Open(ExperimentDbPath(home_, "abc123"), OpenMode::kReadWrite);
    ASSERT_TRUE(storage.ok());
    ASSERT_TRUE((*storage)->InsertTrial(WaitingTrial(3, 0.25)).ok());
    ASSERT_TRUE((*storage)->AppendIntermediate(2, 5, 0.75, "0.75").ok());
    ASSERT_TRUE((*storage)->Flush().ok());
  });
  std::string got = ReadStream(server_->port(), "/api/v1/experiments/abc123/events?cursor=" + cursor,
                               [](const std::string& s) { return s.find("event: update") != std::string::npos &&
                                                                 s.find("\n\n", s.find("event: update")) != std::string::npos; });
  writer.join();
  size_t data = got.find("data: ", got.find("event: update"));
  ASSERT_NE(data, std::string::npos) << got;
  json event = json::parse(got.substr(data + 6, got.find('\n', data) - data - 6), nullptr, false);
  ASSERT_TRUE(event.is_object()) << got;
  ASSERT_EQ(event["trials"].size(), 1u) << event.dump();
  EXPECT_EQ(event["trials"][0]["seq"], 3);
  EXPECT_EQ(event["trials"][0]["status"], "waiting");
  ASSERT_EQ(event["metrics"].size(), 1u);
  EXPECT_EQ(event["metrics"][0], json({{"seq", 2}, {"step", 5}, {"value", 0.75}}));
  EXPECT_EQ(event["experiment"]["trial_count"], 4);
  EXPECT_EQ(event["experiment"]["counts"]["waiting"], 1);
  EXPECT_NE(event["cursor"], cursor);
  EXPECT_NE(got.find("id: " + event["cursor"].get<std::string>()), std::string::npos);

  // From the new cursor nothing is pending: a request with it starts quiet.
  std::string quiet = ReadStream(server_->port(), "/api/v1/experiments/abc123/events?cursor=" + event["cursor"].get<std::string>(),
                                 [](const std::string& s) { return s.find("retry:") != std::string::npos; });
  EXPECT_EQ(quiet.find("event: update"), std::string::npos);
}

TEST_F(WebuiTest, EventsFromAnOldCursorArriveInBoundedBatches) {
  MakeExperiment("abc123", 1200, 5);
  StartServer();
  int updates = 0;
  std::string got = ReadStream(server_->port(), "/api/v1/experiments/abc123/events?cursor=0.0", [&](const std::string& s) {
    updates = 0;
    for (size_t p = s.find("event: update"); p != std::string::npos; p = s.find("event: update", p + 1)) ++updates;
    return updates >= 3;
  });
  EXPECT_GE(updates, 3);
  size_t data = got.find("data: ");
  json first = json::parse(got.substr(data + 6, got.find('\n', data) - data - 6));
  EXPECT_EQ(first["trials"].size(), 500u);
  EXPECT_EQ(first["metrics"].size(), 5000u);
}

TEST_F(WebuiTest, MalformedCursorsAre400) {
  MakeExperiment("abc123", 2, 1);
  StartServer();
  for (const std::string& c : std::vector<std::string>{"abc", "1", "1.", ".1", "-1.2", "1.2.3", "99999999999999999999999.1"})
    EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/events?cursor=" + c), 400) << c;
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/nope00/events"), 404);
}

std::vector<Command> TakeCommands(const std::string& home, const std::string& id) {
  auto storage = SqliteStorage::Open(ExperimentDbPath(home, id), OpenMode::kReadWrite);
  EXPECT_TRUE(storage.ok());
  auto commands = (*storage)->TakeCommands();
  EXPECT_TRUE(commands.ok());
  EXPECT_TRUE((*storage)->Flush().ok());
  return commands.ok() ? *commands : std::vector<Command>{};
}

TEST_F(WebuiTest, ActionsNeedTheToken) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  StartServer();
  for (const std::string& path : std::vector<std::string>{"/api/v1/experiments/abc123/stop", "/api/v1/experiments/abc123/trials/2/kill",
                                 "/api/v1/experiments/abc123/limits", "/api/v1/experiments/abc123/trials"}) {
    auto [missing, body] = Post(path, "{}", "");
    EXPECT_EQ(missing, 401) << path;
    EXPECT_TRUE(body.contains("error"));
    EXPECT_EQ(Post(path, "{}", "Bearer " + std::string(64, '0')).first, 403) << path;
    EXPECT_EQ(Post(path, "{}", token_).first, 403) << path;  // without "Bearer "
    EXPECT_EQ(Post(path, "{}", "Bearer " + token_ + "0").first, 403) << path;
  }
  EXPECT_TRUE(TakeCommands(home_, "abc123").empty());
}

TEST_F(WebuiTest, StopAndKillAreQueuedForTheManager) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  StartServer();
  auto [killed, kill_body] = Post("/api/v1/experiments/abc123/trials/2/kill", "", Bearer());
  EXPECT_EQ(killed, 202) << kill_body.dump();
  EXPECT_EQ(kill_body["command"], "kill_trial");
  EXPECT_EQ(Post("/api/v1/experiments/abc123/trials/1/kill", "", Bearer()).first, 409);  // ended
  EXPECT_EQ(Post("/api/v1/experiments/abc123/trials/9/kill", "", Bearer()).first, 404);
  EXPECT_EQ(Post("/api/v1/experiments/abc123/trials/x/kill", "", Bearer()).first, 400);
  EXPECT_EQ(Post("/api/v1/experiments/abc123/stop", "[1]", Bearer()).first, 400);
  EXPECT_EQ(Post("/api/v1/experiments/abc123/stop", "{}", Bearer()).first, 202);
  auto commands = TakeCommands(home_, "abc123");
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].kind, CommandKind::kKillTrial);
  EXPECT_EQ(commands[0].args["seq"], 2);
  EXPECT_EQ(commands[1].kind, CommandKind::kStop);
}

TEST_F(WebuiTest, ActionsOnAStoppedExperimentAre409) {
  MakeExperiment("abc123", 3, 1, /*running=*/false);
  StartServer();
  auto [status, body] = Post("/api/v1/experiments/abc123/stop", "{}", Bearer());
  EXPECT_EQ(status, 409);
  EXPECT_NE(body["error"].get<std::string>().find("not running"), std::string::npos);
}

TEST_F(WebuiTest, LimitsAreCheckedThenQueued) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  StartServer();
  const std::string path = "/api/v1/experiments/abc123/limits";
  for (const std::string& bad : std::vector<std::string>{"{}", R"({"trial_concurrency": 0})", R"({"trial_concurrency": 1.5})",
                                R"({"max_trial_number": "10"})", R"({"max_trial_duration_s": -1})",
                                R"({"max_trial_duration_s": "1h"})", R"({"speed": 3})", "not json"})
    EXPECT_EQ(Post(path, bad, Bearer()).first, 400) << bad;
  auto [status, body] = Post(path, R"({"trial_concurrency": 8, "max_trial_number": 200, "max_trial_duration_s": null})",
                             Bearer());
  EXPECT_EQ(status, 202) << body.dump();
  EXPECT_EQ(body["commands"].size(), 3u);
  auto commands = TakeCommands(home_, "abc123");
  ASSERT_EQ(commands.size(), 3u);
  std::map<std::string, json> by_kind;
  for (const auto& c : commands) by_kind[c.name] = c.args["value"];
  EXPECT_EQ(by_kind["set_concurrency"], 8);
  EXPECT_EQ(by_kind["set_max_trial_number"], 200);
  EXPECT_TRUE(by_kind.count("set_max_trial_duration") && by_kind["set_max_trial_duration"].is_null());
}

TEST_F(WebuiTest, AddedTrialsMustFitTheSearchSpace) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  StartServer();
  const std::string path = "/api/v1/experiments/abc123/trials";
  for (const std::string& bad : std::vector<std::string>{R"({})", R"({"parameters": 3})", R"({"parameters": {"x": 2, "lr": 0.1, "opt": {"_name": "adam"}}})",
                                R"({"parameters": {"x": 0.5, "lr": 0.5, "opt": {"_name": "adam"}}})",
                                R"({"parameters": {"x": 0.5, "lr": 0.1}})"})
    EXPECT_EQ(Post(path, bad, Bearer()).first, 400) << bad;
  json params = {{"x", 0.5}, {"lr", 0.01}, {"opt", {{"_name", "sgd"}, {"momentum", 0.9}}}};
  auto [status, body] = Post(path, json{{"parameters", params}}.dump(), Bearer());
  EXPECT_EQ(status, 202) << body.dump();
  auto commands = TakeCommands(home_, "abc123");
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].kind, CommandKind::kAddTrial);
  EXPECT_EQ(commands[0].args["parameters"], params);
}

// A plugin tuner's space is its own (here a layer_choice hone cannot read): the web UI
// queues any parameters object and leaves the check to the manager.
TEST_F(WebuiTest, AddedTrialsOfAPluginTunerAreNotCheckedAgainstHonesSpace) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  auto storage = SqliteStorage::Open(ExperimentDir(home_, "abc123") + "/hone.db", OpenMode::kReadWrite);
  ASSERT_TRUE(storage.ok());
  json config = json::parse((*storage)->GetMeta("config").value_or("{}"));
  config["searchSpace"]["block"] = {{"_type", "layer_choice"}, {"candidates", {"conv3", "conv5"}}};
  config["tuner"] = {{"name", "plugin"}, {"plugin", "python3 my_tuner.py"}, {"classArgs", json::object()}};
  ASSERT_TRUE((*storage)->PutMeta("config", config.dump()).ok());
  ASSERT_TRUE((*storage)->Flush().ok());
  storage->reset();
  StartServer();
  const std::string path = "/api/v1/experiments/abc123/trials";
  EXPECT_EQ(Post(path, R"({"parameters": 3})", Bearer()).first, 400);
  json params = {{"block", "conv5"}, {"x", 7}};
  auto [status, body] = Post(path, json{{"parameters", params}}.dump(), Bearer());
  EXPECT_EQ(status, 202) << body.dump();
  auto commands = TakeCommands(home_, "abc123");
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].args["parameters"], params);
}

TEST_F(WebuiTest, ReadOnlyServerRefusesEveryAction) {
  MakeExperiment("abc123", 3, 1, /*running=*/true);
  StartServer(/*read_only=*/true);
  EXPECT_EQ(GetOk("/api/v1/info")["read_only"], true);
  auto [status, body] = Post("/api/v1/experiments/abc123/stop", "{}", Bearer());
  EXPECT_EQ(status, 403);
  EXPECT_NE(body["error"].get<std::string>().find("read-only"), std::string::npos);
  EXPECT_EQ(server_->Url("abc123").find("token"), std::string::npos);
  EXPECT_TRUE(TakeCommands(home_, "abc123").empty());
}

TEST_F(WebuiTest, UrlCarriesTheTokenInTheFragment) {
  StartServer();
  EXPECT_EQ(server_->Url("abc123"),
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/experiments/abc123#token=" + token_);
}

}  // namespace
}  // namespace hone::webui

namespace hone::webui {
namespace {

TEST_F(WebuiTest, ASecondServerCannotShareAPort) {
  StartServer();
  WebServerOptions o;
  o.home = home_;
  o.port = server_->port();
  auto second = WebServer::Start(o);
  EXPECT_FALSE(second.ok()) << "two servers listening on port " << o.port;
  o.port_tries = 3;
  auto next = WebServer::Start(o);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_NE((*next)->port(), server_->port());
}

}  // namespace
}  // namespace hone::webui
