// A private HONE_HOME with experiments written through the real storage, and a real
// web server on an ephemeral 127.0.0.1 port, for the web UI's API tests.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"
#include "tests/storage/storage_test_util.h"
#include "webui/token.h"
#include "webui/web_server.h"

namespace hone::webui {

// A waiting trial `seq` (its config too) with parameter x, to insert by hand.
inline TrialRecord WaitingTrial(int64_t seq, double x) {
  TrialRecord t;
  t.seq = seq;
  t.id = std::to_string(seq);
  t.config_id = seq;
  t.params = {{"x", x}};
  return t;
}

class WebuiTest : public hone::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    home_ = dir_;
  }
  void TearDown() override {
    server_.reset();
    TempDirTest::TearDown();
  }

  // An experiment with `trials` trials: trial i has x = i / trials, lr = 10^-(1 + i % 4),
  // opt = sgd (momentum) for even i, adam for odd; final = x (loss = 1 - x); trial 3
  // failed without a final; the last one still runs. Each has `steps` intermediate results.
  std::string MakeExperiment(const std::string& id, int trials, int steps, bool running = false,
                             const std::string& mode = "maximize") {
    ExperimentEntry e;
    e.id = id;
    e.name = "exp-" + id;
    e.dir = ExperimentDir(home_, id);
    e.status = running ? "running" : "done";
    e.created = 1000 + trials;
    e.updated = e.created;
    e.manager_pid = running ? ::getpid() : 0;
    auto registry = ExperimentRegistry::Open(home_);
    EXPECT_TRUE(registry.ok());
    EXPECT_TRUE((*registry)->Add(e).ok());
    auto storage = SqliteStorage::Open(e.dir + "/hone.db", OpenMode::kReadWriteCreate);
    EXPECT_TRUE(storage.ok()) << storage.status().message();
    nlohmann::json config = {
        {"experimentName", e.name},
        {"searchSpace",
         {{"x", {{"_type", "uniform"}, {"_value", {0, 1}}}},
          {"lr", {{"_type", "choice"}, {"_value", {0.1, 0.01, 0.001, 0.0001}}}},
          {"opt",
           {{"_type", "choice"},
            {"_value", {{{"_name", "sgd"}, {"momentum", {{"_type", "uniform"}, {"_value", {0, 1}}}}}, {{"_name", "adam"}}}}}}}},
        {"trialCommand", "true"},
        {"trialConcurrency", 2},
        {"maxTrialNumber", 100},
        {"maxTrialDuration", "600.000000s"},
        {"tuner", {{"name", "random"}, {"classArgs", {{"optimize_mode", mode}}}}},
    };
    EXPECT_TRUE((*storage)->PutMeta("config", config.dump()).ok());
    EXPECT_TRUE((*storage)->PutMeta("status", running ? "running" : "done").ok());
    for (int i = 0; i < trials; ++i) {
      TrialRecord t;
      t.seq = i;
      t.config_id = i;
      t.id = std::to_string(i);
      double x = static_cast<double>(i) / trials;
      t.params = {{"x", x}, {"lr", std::pow(10.0, -(1 + i % 4))}};
      t.params["opt"] = i % 2 == 0 ? nlohmann::json{{"_name", "sgd"}, {"momentum", 0.5}} : nlohmann::json{{"_name", "adam"}};
      t.created_at = 2000 + i;
      t.started_at = 2000 + i + 0.5;
      t.status = TrialStatus::kRunning;
      EXPECT_TRUE((*storage)->InsertTrial(t).ok());
      for (int s = 0; s < steps; ++s)
        EXPECT_TRUE((*storage)->AppendIntermediate(i, s, x * (s + 1) / steps, nlohmann::json{{"default", x * (s + 1) / steps}, {"loss", 1 - x}}.dump()).ok());
      if (running && i == trials - 1) continue;
      t.ended_at = t.started_at + 1 + i;
      if (i == 3) {
        t.status = TrialStatus::kFailed;
        t.exit_code = 3;
        t.reason = "exit code 3";
      } else {
        t.status = TrialStatus::kSucceeded;
        t.final_value = x;
        t.final_metrics = {{"default", x}, {"loss", 1 - x}};
      }
      EXPECT_TRUE((*storage)->UpdateTrial(t).ok());
    }
    EXPECT_TRUE((*storage)->Flush().ok());
    return id;
  }

  // threads: the threads the server keeps (0: its default).
  void StartServer(bool read_only = false, int threads = 0) {
    WebServerOptions o;
    o.home = home_;
    o.port = 0;
    o.read_only = read_only;
    if (threads > 0) o.threads = threads;
    auto server = WebServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
    auto token = LoadOrCreateToken(home_);
    ASSERT_TRUE(token.ok());
    token_ = *token;
  }

  // GET and parse; the status is checked by the caller.
  nlohmann::json Get(const std::string& path, int* status = nullptr) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << "no answer for " << path;
    if (!res) return nullptr;
    if (status) *status = res->status;
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << ": " << res->body.substr(0, 300);
    return j;
  }
  nlohmann::json GetOk(const std::string& path) {
    int status = 0;
    auto j = Get(path, &status);
    EXPECT_EQ(status, 200) << path << ": " << j.dump().substr(0, 300);
    return j;
  }
  // Expects a 4xx JSON error and returns its status.
  int ErrorStatus(const std::string& path) {
    int status = 0;
    auto j = Get(path, &status);
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << path << ": " << j.dump();
    EXPECT_GE(status, 400) << path;
    EXPECT_LT(status, 500) << path;
    return status;
  }
  // POST with the given Authorization header ("" = none); returns status and JSON body.
  std::pair<int, nlohmann::json> Post(const std::string& path, const std::string& body,
                                      const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto res = client_->Post(path.c_str(), headers, body, "application/json");
    EXPECT_TRUE(res) << "no answer for POST " << path;
    if (!res) return {0, nullptr};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  std::string Bearer() const { return "Bearer " + token_; }

  std::string home_;
  std::string token_;
  std::unique_ptr<WebServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace hone::webui
