// The read endpoints: experiments, one experiment, the trial list (paging, sorting,
// filtering) and one trial, with their bad inputs.
#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

using nlohmann::json;

TEST_F(WebuiTest, InfoSaysWhetherTheTokenIsRight) {
  MakeExperiment("abc123", 5, 2);
  StartServer();
  json info = GetOk("/api/v1/info");
  EXPECT_EQ(info["read_only"], false);
  EXPECT_EQ(info["token_ok"], false);
  httplib::Headers h = {{"Authorization", Bearer()}};
  auto res = client_->Get("/api/v1/info", h);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["token_ok"], true);
}

TEST_F(WebuiTest, TokenFileIsPrivate) {
  StartServer();
  struct stat st {};
  ASSERT_EQ(::stat(TokenPath(home_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(token_.size(), 64u);
  auto again = LoadOrCreateToken(home_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, token_);
}

TEST_F(WebuiTest, ListsEveryExperimentNewestFirst) {
  MakeExperiment("aaa111", 5, 2);
  MakeExperiment("bbb222", 8, 1, /*running=*/true);
  StartServer();
  json list = GetOk("/api/v1/experiments")["experiments"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], "bbb222");  // created later
  EXPECT_EQ(list[0]["running"], true);
  EXPECT_EQ(list[0]["trial_count"], 8);
  EXPECT_EQ(list[1]["id"], "aaa111");
  EXPECT_EQ(list[1]["running"], false);
  EXPECT_DOUBLE_EQ(list[1]["best"].get<double>(), 4.0 / 5);
}

TEST_F(WebuiTest, OverviewHasBudgetsCountsBestAndKeys) {
  MakeExperiment("abc123", 10, 3, /*running=*/true);
  StartServer();
  json e = GetOk("/api/v1/experiments/abc");  // a unique prefix
  EXPECT_EQ(e["id"], "abc123");
  EXPECT_EQ(e["status"], "running");
  EXPECT_EQ(e["optimize_mode"], "maximize");
  EXPECT_EQ(e["trial_count"], 10);
  EXPECT_EQ(e["counts"]["succeeded"], 8);
  EXPECT_EQ(e["counts"]["failed"], 1);
  EXPECT_EQ(e["counts"]["running"], 1);
  EXPECT_EQ(e["counts"]["lost"], 0);
  EXPECT_EQ(e["budget"]["max_trial_number"], 100);
  EXPECT_EQ(e["budget"]["trial_concurrency"], 2);
  EXPECT_DOUBLE_EQ(e["budget"]["max_trial_duration_s"].get<double>(), 600);
  EXPECT_TRUE(e["budget"]["max_experiment_duration_s"].is_null());
  EXPECT_EQ(e["budget"]["configs_created"], 10);
  EXPECT_EQ(e["best"]["seq"], 8);  // 9 still runs
  EXPECT_EQ(e["metric_keys"], json({"default", "loss"}));
  EXPECT_EQ(e["parameter_keys"], json({"lr", "opt._name", "opt.momentum", "x"}));
  EXPECT_TRUE(e["cursor"].is_string());
}

TEST_F(WebuiTest, MinimizeModeRanksTheLowestBest) {
  MakeExperiment("min001", 6, 1, false, "minimize");
  StartServer();
  EXPECT_EQ(GetOk("/api/v1/experiments/min001")["best"]["seq"], 0);
}

TEST_F(WebuiTest, BadExperimentIdsAre4xx) {
  MakeExperiment("abc123", 3, 1);
  MakeExperiment("abd456", 3, 1);
  StartServer();
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/zzz999"), 404);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/ab"), 400);  // ambiguous
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/ABC123"), 400);
  ErrorStatus("/api/v1/experiments/..%2F..%2Fetc");  // 400 or 404, never a file
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/%2e%2e/trials"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/" + std::string(40, 'a')), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/nothing"), 404);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/nothing"), 404);
}

TEST_F(WebuiTest, TrialsArePagedWithTheTotal) {
  MakeExperiment("abc123", 25, 2);
  StartServer();
  json page = GetOk("/api/v1/experiments/abc123/trials?offset=20&limit=10");
  EXPECT_EQ(page["total"], 25);
  EXPECT_EQ(page["limit"], 10);
  ASSERT_EQ(page["trials"].size(), 5u);
  EXPECT_EQ(page["trials"][0]["seq"], 20);
  json t = page["trials"][0];
  EXPECT_EQ(t["status"], "succeeded");
  EXPECT_EQ(t["latest"]["step"], 1);
  EXPECT_EQ(t["intermediate_count"], 2);
  EXPECT_DOUBLE_EQ(t["metrics"]["loss"].get<double>(), 1 - 20.0 / 25);
  EXPECT_DOUBLE_EQ(t["duration_s"].get<double>(), 21);
  EXPECT_EQ(GetOk("/api/v1/experiments/abc123/trials?offset=100")["trials"].size(), 0u);
}

TEST_F(WebuiTest, HugeLimitsAreCapped) {
  MakeExperiment("abc123", 3, 1);
  StartServer();
  EXPECT_EQ(GetOk("/api/v1/experiments/abc123/trials?limit=1000000")["limit"], 1000);
  EXPECT_EQ(GetOk("/api/v1/experiments/abc123/trials?limit=99999999999999999999999")["limit"], 1000);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials?limit=0"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials?limit=-5"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials?limit=ten"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials?offset=-1"), 400);
}

std::vector<int64_t> Seqs(const json& page) {
  std::vector<int64_t> out;
  for (const auto& t : page["trials"]) out.push_back(t["seq"].get<int64_t>());
  return out;
}

TEST_F(WebuiTest, SortsByFinalMetricParameterDurationAndState) {
  MakeExperiment("abc123", 10, 1, /*running=*/true);
  StartServer();
  const std::string base = "/api/v1/experiments/abc123/trials?v=1";  // the default limit (50) holds all
  // No final (3 failed, 9 running) comes last in both orders.
  EXPECT_EQ(Seqs(GetOk(base + "&sort=final&order=desc")), (std::vector<int64_t>{8, 7, 6, 5, 4, 2, 1, 0, 9, 3}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=final&order=asc")), (std::vector<int64_t>{0, 1, 2, 4, 5, 6, 7, 8, 3, 9}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=metric:loss&order=asc&limit=3")), (std::vector<int64_t>{8, 7, 6}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=metric:default&order=desc&limit=2")), (std::vector<int64_t>{8, 7}));
  // lr = 10^-(1 + i % 4): ties break by seq in the sort's direction.
  EXPECT_EQ(Seqs(GetOk(base + "&sort=param:lr&order=desc&limit=4")), (std::vector<int64_t>{8, 4, 0, 9}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=param:lr&order=asc&limit=4")), (std::vector<int64_t>{3, 7, 2, 6}));
  // Paging across the boundary between rows with a value and rows without.
  EXPECT_EQ(Seqs(GetOk(base + "&sort=final&order=asc&offset=7&limit=3")), (std::vector<int64_t>{8, 3, 9}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=final&order=asc&offset=9&limit=3")), (std::vector<int64_t>{9}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=final&order=desc&offset=8")), (std::vector<int64_t>{9, 3}));
  // Momentum exists only for sgd (even seqs): odd ones come last.
  auto by_momentum = Seqs(GetOk(base + "&sort=param:opt.momentum"));
  EXPECT_EQ(std::vector<int64_t>(by_momentum.begin(), by_momentum.begin() + 5), (std::vector<int64_t>{0, 2, 4, 6, 8}));
  // Durations are 1 + i; the running trial's runs to now (largest).
  EXPECT_EQ(Seqs(GetOk(base + "&sort=duration&order=desc&limit=2")), (std::vector<int64_t>{9, 8}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=seq&order=desc&limit=2")), (std::vector<int64_t>{9, 8}));
  EXPECT_EQ(Seqs(GetOk(base + "&sort=status&limit=2")), (std::vector<int64_t>{3, 9}));  // failed, running
}

TEST_F(WebuiTest, BadSortKeysAndOrdersAre400) {
  MakeExperiment("abc123", 3, 1);
  StartServer();
  const std::string base = "/api/v1/experiments/abc123/trials?";
  for (const std::string& q : std::vector<std::string>{"sort=bogus", "sort=final;DROP%20TABLE%20trials", "sort=param:", "sort=param:a..b",
                              "sort=param:%27%29%20OR%201%3D1", "sort=metric:../../etc", "order=sideways",
                              "sort=param:" + std::string(200, 'a')})
    EXPECT_EQ(ErrorStatus(base + q), 400) << q;
}

TEST_F(WebuiTest, FiltersByStateRangesEqualityAndText) {
  MakeExperiment("abc123", 10, 1, /*running=*/true);
  StartServer();
  const std::string base = "/api/v1/experiments/abc123/trials?limit=100";
  EXPECT_EQ(Seqs(GetOk(base + "&state=failed,running")), (std::vector<int64_t>{3, 9}));
  EXPECT_EQ(GetOk(base + "&state=succeeded")["total"], 8);
  EXPECT_EQ(Seqs(GetOk(base + "&param=x:0.25:0.55")), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(Seqs(GetOk(base + "&param=x:0.75:")), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(Seqs(GetOk(base + "&metric=default::0.15")), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(Seqs(GetOk(base + "&metric=loss:0.8:")), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(Seqs(GetOk(base + "&param_eq=opt._name:adam&param=x::0.4")), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Seqs(GetOk(base + "&param_eq=lr:0.001")), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(Seqs(GetOk(base + "&duration=2.5:4")), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Seqs(GetOk(base + "&q=7")), (std::vector<int64_t>{7}));
  EXPECT_EQ(Seqs(GetOk(base + "&q=exit%20code")), (std::vector<int64_t>{3}));
  EXPECT_EQ(GetOk(base + "&q=adam")["total"], 5);
  for (const std::string& q : std::vector<std::string>{"state=done", "param=x", "param=x:a:b", "metric=loss:1", "param_eq=x", "duration=1",
                              "param=x%27:0:1", "q=" + std::string(300, 'z')})
    EXPECT_EQ(ErrorStatus(base + "&" + q), 400) << q;
}

TEST_F(WebuiTest, OneTrialHasItsIntermediateResultsAndEvents) {
  MakeExperiment("abc123", 5, 4);
  StartServer();
  json t = GetOk("/api/v1/experiments/abc123/trials/2");
  EXPECT_EQ(t["seq"], 2);
  EXPECT_EQ(t["params"]["opt"]["_name"], "sgd");
  ASSERT_EQ(t["intermediate"].size(), 4u);
  EXPECT_EQ(t["intermediate"][3]["step"], 3);
  EXPECT_DOUBLE_EQ(t["intermediate"][3]["value"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(t["intermediate"][3]["metrics"]["loss"].get<double>(), 0.6);
  EXPECT_EQ(t["intermediate_total"], 4);
  EXPECT_TRUE(t["events"].is_array());
  EXPECT_EQ(t["log_sizes"]["stdout"], 0);
  json failed = GetOk("/api/v1/experiments/abc123/trials/3");
  EXPECT_EQ(failed["reason"], "exit code 3");
  EXPECT_TRUE(failed["final"].is_null());
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/99"), 404);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/-1"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/abc"), 400);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/abc123/trials/99999999999999999999999"), 400);
}

TEST_F(WebuiTest, NonFiniteValuesAreStrings) {
  MakeExperiment("abc123", 2, 0);
  {
    auto storage = SqliteStorage::Open(ExperimentDir(home_, "abc123") + "/hone.db", OpenMode::kReadWrite);
    ASSERT_TRUE(storage.ok());
    TrialRecord t = WaitingTrial(2, 0.5);
    ASSERT_TRUE((*storage)->InsertTrial(t).ok());
    ASSERT_TRUE((*storage)->AppendIntermediate(2, 0, std::nan(""), "{}").ok());
    t.status = TrialStatus::kSucceeded;
    t.final_value = std::numeric_limits<double>::infinity();
    t.final_metrics = {{"default", std::numeric_limits<double>::infinity()}};
    ASSERT_TRUE((*storage)->UpdateTrial(t).ok());
    ASSERT_TRUE((*storage)->Flush().ok());
  }
  StartServer();
  json t = GetOk("/api/v1/experiments/abc123/trials/2");
  EXPECT_EQ(t["final"], "Infinity");
  EXPECT_EQ(t["intermediate"][0]["value"], "NaN");
  // Never ranked best.
  EXPECT_EQ(GetOk("/api/v1/experiments/abc123")["best"]["seq"], 1);
}

TEST_F(WebuiTest, ReadsExperimentsThatNobodyMigratedYet) {
  MakeExperiment("abc123", 3, 1);
  // As an older hone left it: schema version 1, without the change log.
  testing::DowngradeExperimentDb(ExperimentDbPath(home_, "abc123"), 1);
  StartServer();
  EXPECT_EQ(GetOk("/api/v1/experiments/abc123")["trial_count"], 3);
  // The migrations filled the index of parameter values: x sorts the trials by seq.
  json page = GetOk("/api/v1/experiments/abc123/trials?sort=param:x&order=desc");
  ASSERT_EQ(page["trials"].size(), 3u);
  EXPECT_EQ(page["trials"][0]["seq"], 2);
  EXPECT_EQ(page["trials"][2]["seq"], 0);
}

TEST_F(WebuiTest, RejectsForeignHostHeadersAndHugeBodies) {
  MakeExperiment("abc123", 3, 1, true);
  StartServer();
  httplib::Headers evil = {{"Host", "attacker.example:80"}};
  auto res = client_->Get("/api/v1/experiments", evil);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  auto [status, body] = Post("/api/v1/experiments/abc123/stop", std::string(100 * 1024, ' '), Bearer());
  EXPECT_EQ(status, 413);
  EXPECT_TRUE(body.is_object() && body.contains("error")) << body.dump();
}

TEST_F(WebuiTest, PagesAreServedWithoutCookies) {
  StartServer();
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("Set-Cookie"));
  EXPECT_TRUE(res->has_header("Content-Security-Policy"));
  auto deep = client_->Get("/experiments/abc123/trials/4");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->status, 200);
  EXPECT_EQ(deep->get_header_value("Content-Type"), res->get_header_value("Content-Type"));
  auto api = client_->Get("/api/v1/experiments");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(api->get_header_value("X-Content-Type-Options"), "nosniff");
}

}  // namespace
}  // namespace hone::webui
