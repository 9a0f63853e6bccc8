// Latency (p50/p99 of sequential keep-alive requests per endpoint) and a concurrent
// load phase (N clients for T seconds, every answer checked) against the real server.
#include <algorithm>
#include <cmath>
#include <functional>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/webui/webui_bench.h"
#include "webui/web_server.h"

namespace hone::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string name;
  std::function<std::string(std::mt19937_64&)> path;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * v.size())) - 1;
  return v[std::min(i, v.size() - 1)];
}

// One timed GET; false unless it answered 200 with a body.
bool TimedGet(httplib::Client& c, const std::string& path, double* ms, size_t* bytes) {
  auto start = Clock::now();
  auto res = c.Get(path.c_str());
  *ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!res || res->status != 200 || res->body.empty()) return false;
  *bytes = res->body.size();
  return true;
}

}  // namespace

Status MeasureApi(const LoadOptions& o) {
  webui::WebServerOptions wopts;
  wopts.home = o.home;
  wopts.port = 0;
  auto server = webui::WebServer::Start(wopts);
  if (!server.ok()) return server.status();
  const int port = (*server)->port();
  const std::string exp = "/api/v1/experiments/" + o.id;
  int64_t trials = 0;
  {
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get(exp.c_str());
    if (!res || res->status != 200) return Internal("overview failed: " + (res ? res->body : std::string("no answer")));
    auto j = nlohmann::json::parse(res->body);
    trials = j["trial_count"].get<int64_t>();
  }
  std::vector<Endpoint> endpoints = {
      {"overview `/experiments/{id}`", [&](auto&) { return exp; }},
      {"leaderboard page `/trials?sort=final&order=desc&limit=50`",
       [&](auto&) { return exp + "/trials?sort=final&order=desc&limit=50"; }},
      {"leaderboard, random page (offset < N, sort=final desc)",
       [&](auto& rng) { return exp + "/trials?sort=final&order=desc&limit=50&offset=" + std::to_string(rng() % trials); }},
      {"leaderboard by a parameter `sort=param:lr`", [&](auto&) { return exp + "/trials?sort=param:lr&order=asc&limit=50"; }},
      {"leaderboard by a parameter, random page (offset < N)",
       [&](auto& rng) { return exp + "/trials?sort=param:lr&order=desc&limit=50&offset=" + std::to_string(rng() % trials); }},
      {"leaderboard by a final-metric key `sort=metric:loss`",
       [&](auto&) { return exp + "/trials?sort=metric:loss&order=asc&limit=50"; }},
      {"leaderboard filtered `state=succeeded&param=lr:0.001:0.01`",
       [&](auto&) { return exp + "/trials?state=succeeded&param=lr:0.001:0.01&sort=final&order=desc&limit=50"; }},
      {"trial detail `/trials/{seq}` (100 results)",
       [&](auto& rng) { return exp + "/trials/" + std::to_string(rng() % trials); }},
      {"experiments list `/experiments`", [&](auto&) { return std::string("/api/v1/experiments"); }},
      {"best-so-far `/series/best` (cached)", [&](auto&) { return exp + "/series/best"; }},
      {"parallel coords `/series/parallel?top=10` (cached)", [&](auto&) { return exp + "/series/parallel?top=10"; }},
  };

  std::ostringstream md;
  md << "| endpoint | p50 ms | p99 ms | answer bytes |\n|---|---:|---:|---:|\n";
  std::mt19937_64 rng(7);
  for (const auto& e : endpoints) {
    httplib::Client c("127.0.0.1", port);
    c.set_keep_alive(true);
    std::vector<double> ms;
    size_t bytes = 0;
    double first = 0;
    for (int i = 0; i < o.samples + 1; ++i) {
      double t = 0;
      if (!TimedGet(c, e.path(rng), &t, &bytes)) return Internal("request failed: " + e.name);
      if (i == 0) first = t;  // a cold cache or pool: reported apart
      else ms.push_back(t);
    }
    char line[512];
    std::snprintf(line, sizeof(line), "| %s | %.2f | %.2f | %zu |\n", e.name.c_str(), Percentile(ms, 50),
                  Percentile(ms, 99), bytes);
    md << line;
    std::fprintf(stderr, "%s first %.1f ms\n", e.name.c_str(), first);
  }

  // Concurrent load: each client cycles through the endpoints above with its own
  // keep-alive connection; every answer must be a 200 with a body.
  md << "\n| concurrent load | clients | seconds | requests | errors | req/s | p50 ms | p99 ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  int64_t total_errors = 0;
  for (const auto& [label, mix] : {std::pair<std::string, const std::vector<Endpoint>*>{"every endpoint above, round robin", &endpoints}}) {
    std::atomic<int64_t> ok{0}, errors{0};
    std::mutex mu;
    std::vector<double> all_ms;
    const auto end = Clock::now() + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> clients;
    for (int k = 0; k < o.clients; ++k) {
      clients.emplace_back([&, k, mix] {
        httplib::Client c("127.0.0.1", port);
        c.set_keep_alive(true);
        c.set_read_timeout(60, 0);
        std::mt19937_64 local(k);
        std::vector<double> mine;
        size_t bytes = 0;
        for (size_t i = k; Clock::now() < end; ++i) {
          const auto& e = (*mix)[i % mix->size()];
          double t = 0;
          if (TimedGet(c, e.path(local), &t, &bytes)) ++ok, mine.push_back(t);
          else ++errors;
        }
        std::lock_guard<std::mutex> lock(mu);
        all_ms.insert(all_ms.end(), mine.begin(), mine.end());
      });
    }
    for (auto& t : clients) t.join();
    char line[512];
    std::snprintf(line, sizeof(line), "| %s | %d | %.0f | %lld | %lld | %.0f | %.2f | %.2f |\n", label.c_str(),
                  o.clients, o.seconds, static_cast<long long>(ok.load() + errors.load()),
                  static_cast<long long>(errors.load()), ok.load() / o.seconds, Percentile(all_ms, 50),
                  Percentile(all_ms, 99));
    md << line;
    total_errors += errors.load();
  }
  (*server)->Stop();
  std::printf("%s", md.str().c_str());
  if (!o.out.empty()) {
    std::ofstream out(o.out, std::ios::app);
    out << md.str();
  }
  return total_errors == 0 ? Status::Ok() : Internal(std::to_string(total_errors) + " requests failed");
}

}  // namespace hone::bench
