// Logs (tail and download, addressed by trial seq only), exports and series.
#include <filesystem>
#include <fstream>

#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

using nlohmann::json;

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST_F(WebuiTest, LogTailStartsAtALineAndDownloadIsWhole) {
  MakeExperiment("abc123", 3, 1);
  std::string log;
  for (int i = 0; i < 2000; ++i) log += "line " + std::to_string(i) + "\n";
  WriteFile(ExperimentDir(home_, "abc123") + "/trials/1/stdout.log", log);
  WriteFile(ExperimentDir(home_, "abc123") + "/trials/1/stderr.log", "oops \xff\xfe bytes\n");
  StartServer();
  json tail = GetOk("/api/v1/experiments/abc123/trials/1/log?tail=100");
  EXPECT_EQ(tail["size"], log.size());
  EXPECT_EQ(tail["truncated"], true);
  std::string text = tail["text"];
  EXPECT_LE(text.size(), 100u);
  EXPECT_EQ(text.rfind("line ", 0), 0u) << text;
  EXPECT_EQ(text.substr(text.size() - 10), "line 1999\n");
  EXPECT_EQ(tail["offset"].get<size_t>() + text.size(), log.size());
  json all = GetOk("/api/v1/experiments/abc123/trials/1/log");
  EXPECT_EQ(all["truncated"], false);
  EXPECT_EQ(all["text"], log);
  json err = GetOk("/api/v1/experiments/abc123/trials/1/log?stream=stderr");
  EXPECT_NE(err["text"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  json none = GetOk("/api/v1/experiments/abc123/trials/2/log");
  EXPECT_EQ(none["size"], 0);
  EXPECT_EQ(none["text"], "");

  auto res = client_->Get("/api/v1/experiments/abc123/trials/1/log/download");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, log);
  EXPECT_NE(res->get_header_value("Content-Disposition").find("abc123-trial-1-stdout.log"), std::string::npos);
}

TEST_F(WebuiTest, LogsCannotLeaveTheTrialDirectory) {
  MakeExperiment("abc123", 3, 1);
  WriteFile(home_ + "/secret.txt", "secret\n");
  std::filesystem::create_directories(ExperimentDir(home_, "abc123") + "/trials/0");
  std::filesystem::create_symlink(home_ + "/secret.txt", ExperimentDir(home_, "abc123") + "/trials/0/stdout.log");
  StartServer();
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/0/log"), 409);  // a symlink is refused
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/0/log/download"), 409);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/1/log?stream=../../secret.txt"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/1/log?stream=stdout.log"), 400);
  ErrorStatus("/api/v1/experiments/abc123/trials/..%2F..%2F..%2Fsecret.txt/log");
  ErrorStatus("/api/v1/experiments/abc123/trials/..%2F1/log");
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/7/log"), 404);  // no such trial
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/1/log?tail=0"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/1/log?tail=99999999"), 400);
}

TEST_F(WebuiTest, ExportsJsonAndCsvOfEveryTrial) {
  MakeExperiment("abc123", 2500, 0);  // more than one export batch
  StartServer();
  auto res = client_->Get("/api/v1/experiments/abc123/export");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json all = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(all.is_array()) << res->body.substr(0, 200);
  ASSERT_EQ(all.size(), 2500u);
  EXPECT_EQ(all[7]["seq"], 7);
  EXPECT_EQ(all[7]["parameters"]["opt"]["_name"], "adam");
  EXPECT_DOUBLE_EQ(all[7]["metrics"]["loss"].get<double>(), 1 - 7.0 / 2500);
  auto csv = client_->Get("/api/v1/experiments/abc123/export?format=csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  std::string header = csv->body.substr(0, csv->body.find('\n'));
  EXPECT_EQ(header, "id,seq,status,final,duration_s,reason,param.lr,param.opt._name,param.opt.momentum,param.x,metric.loss");
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 2501);
  EXPECT_NE(csv->body.find("\n3,3,failed,,4.0,exit code 3,0.0001,adam,,"), std::string::npos);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/export?format=xml"), 400);
}

TEST_F(WebuiTest, EmptyExperimentExportsAnEmptyList) {
  MakeExperiment("abc123", 0, 0);
  StartServer();
  auto res = client_->Get("/api/v1/experiments/abc123/export");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body, nullptr, false), json::array());
}

TEST_F(WebuiTest, BestSoFarCurveHoldsOnlyImprovements) {
  MakeExperiment("abc123", 10, 1);
  StartServer();
  json best = GetOk("/api/v1/experiments/abc123/series/best");
  EXPECT_EQ(best["mode"], "maximize");
  EXPECT_EQ(best["finished"], 9);  // the failed one has no final
  ASSERT_EQ(best["points"].size(), 9u);  // every success improves (x grows with seq)
  EXPECT_EQ(best["points"][8]["seq"], 9);
  json loss = GetOk("/api/v1/experiments/abc123/series/best?metric=loss");
  EXPECT_EQ(loss["points"].size(), 1u);  // loss falls; maximize keeps the first
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/series/best?metric=a%20b"), 400);
}

TEST_F(WebuiTest, DurationHistogramCountsEveryEndedTrial) {
  MakeExperiment("abc123", 10, 1, /*running=*/true);
  StartServer();
  json h = GetOk("/api/v1/experiments/abc123/series/durations?bins=4");
  EXPECT_EQ(h["count"], 9);
  EXPECT_DOUBLE_EQ(h["min"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(h["max"].get<double>(), 9);
  ASSERT_EQ(h["bins"].size(), 4u);
  int64_t sum = 0;
  for (const auto& b : h["bins"]) sum += b["count"].get<int64_t>();
  EXPECT_EQ(sum, 9);
  EXPECT_EQ(h["bins"][3]["count"], 3);  // 7, 8, 9 (the last bin is closed)
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/series/durations?bins=0"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/series/durations?bins=100000"), 400);
}

TEST_F(WebuiTest, ParallelCoordinatesKeepTheTopPercentWithinTheLineBound) {
  MakeExperiment("abc123", 1000, 0);
  StartServer();
  json p = GetOk("/api/v1/experiments/abc123/series/parallel?top=10&lines=20");
  EXPECT_EQ(p["total"], 999);  // every trial but the failed one
  EXPECT_EQ(p["kept"], 100);
  ASSERT_EQ(p["lines"].size(), 20u);
  EXPECT_EQ(p["lines"][0]["seq"], 999);  // the best is always kept
  EXPECT_EQ(p["lines"][0]["params"]["opt._name"], "adam");
  EXPECT_TRUE(p["lines"][1]["params"].contains("x"));
  double previous = 2;
  for (const auto& l : p["lines"]) {
    EXPECT_LT(l["value"].get<double>(), previous);
    previous = l["value"].get<double>();
    EXPECT_GE(l["value"].get<double>(), 0.9);
  }
  ASSERT_EQ(p["parameters"].size(), 4u);
  EXPECT_EQ(p["parameters"][1]["path"], "opt._name");
  EXPECT_EQ(p["parameters"][1]["values"], json({"sgd", "adam"}));
  for (const std::string& q : std::vector<std::string>{"lines=5000", "lines=0", "top=0", "top=150", "top=abc", "metric=x%22y"})
    EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/series/parallel?" + q), 400) << q;
}

}  // namespace
}  // namespace hone::webui
