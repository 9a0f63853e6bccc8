// The web UI end to end: the real binary runs a real experiment, prints the address,
// and the test reads and drives the experiment through the API.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_util.h"

namespace hone::e2e {
namespace {

using nlohmann::json;

std::string Behave(const std::string& mode) { return "/usr/bin/python3 " + TrialScript("behave.py") + " " + mode; }

template <typename Pred>
bool WaitFor(Pred pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

struct Address {
  int port = 0;
  std::string id, token;
};

std::optional<Address> FindAddress(const std::string& text) {
  static const std::regex kUrl(R"(web UI[^:\n]*: http://127\.0\.0\.1:(\d+)/experiments/([a-z0-9]+)(#token=([0-9a-f]{64}))?)");
  std::smatch m;
  if (!std::regex_search(text, m, kUrl)) return std::nullopt;
  return Address{std::stoi(m[1]), m[2], m[4]};
}

json GetJson(httplib::Client& c, const std::string& path) {
  auto res = c.Get(path.c_str());
  if (!res || res->status != 200) return nullptr;
  return json::parse(res->body, nullptr, false);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(WebuiE2eTest, CreatePrintsTheAddressAndTheApiKillsAddsAndStops) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 60"), 2, 6, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult created = env.Run({"create", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = created.out.substr(0, created.out.find('\n'));
  auto address = FindAddress(created.err);
  ASSERT_TRUE(address) << created.err;
  EXPECT_EQ(address->id, id);
  ASSERT_EQ(address->token.size(), 64u) << created.err;
  httplib::Client api("127.0.0.1", address->port);
  api.set_read_timeout(10, 0);
  const std::string base = "/api/v1/experiments/" + id;
  httplib::Headers auth = {{"Authorization", "Bearer " + address->token}};

  // Both slots run: the API sees the real trials.
  ASSERT_TRUE(WaitFor([&] {
    json page = GetJson(api, base + "/trials?state=running");
    return page.is_object() && page["total"] == 2;
  }, 30));
  json overview = GetJson(api, base);
  ASSERT_TRUE(overview.is_object());
  EXPECT_EQ(overview["running"], true);
  EXPECT_EQ(overview["status"], "running");

  // Kill trial 0 through the API.
  auto kill = api.Post((base + "/trials/0/kill").c_str(), auth, "", "application/json");
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->status, 202) << kill->body;
  EXPECT_TRUE(WaitFor([&] {
    json t = GetJson(api, base + "/trials/0");
    return t.is_object() && t["status"] == "canceled";
  }, 20));

  // Add a trial of our own, then make room for it and cap the budget: it runs next,
  // as a new configuration, and the budget counts it.
  auto add = api.Post((base + "/trials").c_str(), auth, R"({"parameters": {"x": 0.125}})", "application/json");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 202) << add->body;
  auto limits = api.Post((base + "/limits").c_str(), auth, R"({"max_trial_number": 4, "trial_concurrency": 3})",
                         "application/json");
  ASSERT_TRUE(limits);
  EXPECT_EQ(limits->status, 202) << limits->body;
  EXPECT_TRUE(WaitFor([&] {
    json page = GetJson(api, base + "/trials?param=x:0.125:0.125");
    return page.is_object() && page["total"] == 1 && page["trials"][0]["status"] == "running";
  }, 20));
  EXPECT_TRUE(WaitFor([&] {
    json o = GetJson(api, base);
    return o.is_object() && o["budget"]["max_trial_number"] == 4 && o["budget"]["trial_concurrency"] == 3;
  }, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(GetJson(api, base)["trial_count"], 4) << "0 (canceled), 1, 2 and the added one: the budget is spent";

  // Stop: the manager ends and the server with it.
  auto stop = api.Post((base + "/stop").c_str(), auth, "", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 202) << stop->body;
  EXPECT_TRUE(WaitFor([&] { return env.Query(id, "SELECT value FROM meta WHERE key = 'status'")[0]["value"] == "stopped"; }, 30));
  std::string log = ReadAll(env.ExperimentDir(id) + "/manager.log");
  EXPECT_EQ(log.find(address->token), std::string::npos) << "the token must stay out of the world-readable log";
}

TEST(WebuiE2eTest, RunPrintsTheAddressAndStillExitsWhenTheExperimentEnds) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 2, 3, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult run = env.Run({"run", cfg}, 120);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto address = FindAddress(run.out);
  ASSERT_TRUE(address) << run.out;
  EXPECT_EQ(address->token.size(), 64u);
  // The server went away with the run.
  httplib::Client api("127.0.0.1", address->port);
  api.set_connection_timeout(1, 0);
  auto res = api.Get(("/api/v1/experiments/" + address->id).c_str());
  EXPECT_TRUE(!res || res->status != 200 || json::parse(res->body)["running"] == false);
}

TEST(WebuiE2eTest, ViewServesAStoppedExperimentReadOnly) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 2, 3, "  x: {_type: uniform, _value: [0, 1]}\n"));
  ASSERT_EQ(env.Run({"run", cfg, "--no-ui"}, 120).exit_code, 0);
  std::string id = env.OnlyExperimentId();
  pid_t view = env.Start({"view", id.substr(0, 4), "--port", "0"});
  std::optional<Address> address;
  ASSERT_TRUE(WaitFor([&] { return (address = FindAddress(ReadAll(env.work() + "/bg0.out"))).has_value(); }, 20));
  EXPECT_EQ(address->id, id);
  EXPECT_TRUE(address->token.empty()) << "read-only: no token in the address";
  httplib::Client api("127.0.0.1", address->port);
  json info = GetJson(api, "/api/v1/info");
  EXPECT_EQ(info["read_only"], true);
  json page = GetJson(api, "/api/v1/experiments/" + id + "/trials");
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(page["total"], 3);
  auto stop = api.Post(("/api/v1/experiments/" + id + "/stop").c_str(), "", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 403);
  ::kill(view, SIGTERM);
  EXPECT_EQ(env.Wait(view, 20), 0);
}

}  // namespace
}  // namespace hone::e2e

namespace hone::e2e {
namespace {

TEST(WebuiE2eTest, HelpCoversTheWebUiCommandsAndOptions) {
  HoneEnv env;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"webui", "--help"}, {"view", "--help"}, {"run", "--help"}, {"create", "--help"}}) {
    RunResult r = env.Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("--port"), std::string::npos) << args[0] << ": " << r.out;
  }
  EXPECT_NE(env.Run({"run", "--help"}).out.find("--keep-ui"), std::string::npos);
  EXPECT_EQ(env.Run({"view"}).exit_code, 2);
  EXPECT_EQ(env.Run({"webui", "--port", "70000"}).exit_code, 2);
  EXPECT_NE(env.Run({"view", "nosuchid", "--port", "0"}).exit_code, 0);
}

}  // namespace
}  // namespace hone::e2e

namespace hone::e2e {
namespace {

TEST(WebuiE2eTest, ChangingTheMaxTrialDurationTimesOutARunningTrial) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("sleep 60"), 1, 1, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult created = env.Run({"create", cfg});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto address = FindAddress(created.err);
  ASSERT_TRUE(address) << created.err;
  httplib::Client api("127.0.0.1", address->port);
  const std::string base = "/api/v1/experiments/" + address->id;
  ASSERT_TRUE(WaitFor([&] {
    json t = GetJson(api, base + "/trials/0");
    return t.is_object() && t["status"] == "running";
  }, 30));
  httplib::Headers auth = {{"Authorization", "Bearer " + address->token}};
  auto res = api.Post((base + "/limits").c_str(), auth, R"({"max_trial_duration_s": 0.5})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_TRUE(WaitFor([&] {
    auto rows = env.Query(address->id, "SELECT status FROM trials WHERE seq = 0");
    return !rows.empty() && rows[0]["status"] == "timeout";
  }, 20));
}

TEST(WebuiE2eTest, KeepUiServesAfterTheExperimentEndsUntilSigterm) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config(Behave("ok"), 2, 2, "  x: {_type: uniform, _value: [0, 1]}\n"));
  pid_t run = env.Start({"run", cfg, "--keep-ui"});
  std::optional<Address> address;
  ASSERT_TRUE(WaitFor([&] {
    std::string out = ReadAll(env.work() + "/bg0.out");
    return out.find("stays at") != std::string::npos && (address = FindAddress(out)).has_value();
  }, 60));
  httplib::Client api("127.0.0.1", address->port);
  json overview = GetJson(api, "/api/v1/experiments/" + address->id);
  ASSERT_TRUE(overview.is_object());
  EXPECT_EQ(overview["running"], false) << "the manager is done; only the UI serves";
  EXPECT_EQ(overview["status"], "done");
  EXPECT_EQ(overview["trial_count"], 2);
  ::kill(run, SIGTERM);
  EXPECT_EQ(env.Wait(run, 20), 0);
}

}  // namespace
}  // namespace hone::e2e
