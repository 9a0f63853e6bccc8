// Acceptance load test of the web server (issue 14): the UI of a running experiment,
// served as beside `hone run` (24 threads kept), with 30 live-update streams and 30
// connections that trickle a header a byte a second; /api/v1/info and a stop action
// must still answer within 1 s, and 50 clients reading for 30 s must see no error.
// Prints the figures (requests, p50/p99 latency) for the notes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/webui/raw_client.h"
#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStreams = 30;
constexpr int kTricklers = 30;
constexpr int kClients = 50;
constexpr double kHammerSeconds = 30;

// Keeps `count` connections sending a request header one byte a second; a connection
// the server closes is replaced by a new one (counted in `cut`).
class Trickler {
 public:
  Trickler(int port, int count) : port_(port), fds_(count, -1) {
    for (int& fd : fds_) fd = Connect(port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~Trickler() {
    stop_.store(true);
    thread_.join();
    for (int fd : fds_) ::close(fd);
  }
  int cut() const { return cut_.load(); }

 private:
  void Run() {
    const std::string header = "GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(4096, 'a');
    for (size_t at = 0; !stop_.load(); ++at) {
      for (int& fd : fds_) {
        if (fd < 0 || PeerClosed(fd, 0) || !SendAll(fd, std::string(1, header[at % header.size()]))) {
          if (fd >= 0) ::close(fd);
          fd = Connect(port_);
          cut_.fetch_add(1);
        }
      }
      for (int i = 0; i < 10 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const int port_;
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::atomic<int> cut_{0};
  std::thread thread_;
};

struct HammerResult {
  long requests = 0, errors = 0;
  std::vector<double> latencies_ms;
};

// kClients threads, each with its own keep-alive connection, read the API for kHammerSeconds.
HammerResult Hammer(int port, const std::string& id) {
  const std::vector<std::string> paths = {"/api/v1/info", "/api/v1/experiments", "/api/v1/experiments/" + id,
                                          "/api/v1/experiments/" + id + "/trials"};
  HammerResult total;
  std::mutex mu;
  const auto end = Clock::now() + std::chrono::duration<double>(kHammerSeconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(15, 0);
      HammerResult mine;
      for (size_t i = c; Clock::now() < end; ++i) {
        const auto start = Clock::now();
        auto res = client.Get(paths[i % paths.size()].c_str());
        mine.latencies_ms.push_back(SecondsSince(start) * 1000);
        ++mine.requests;
        if (!res || res->status != 200) ++mine.errors;
      }
      std::lock_guard<std::mutex> lock(mu);
      total.requests += mine.requests;
      total.errors += mine.errors;
      total.latencies_ms.insert(total.latencies_ms.end(), mine.latencies_ms.begin(), mine.latencies_ms.end());
    });
  }
  for (auto& t : threads) t.join();
  return total;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

class WebServerLoadTest : public WebuiTest {};

TEST_F(WebServerLoadTest, StreamsAndTricklersNeitherBlockActionsNorFailFiftyClients) {
  const std::string id = MakeExperiment("load01", 40, 5, /*running=*/true);
  StartServer(/*read_only=*/false, /*threads=*/24);  // as the UI beside `hone run` keeps
  const int port = server_->port();

  std::vector<int> streams;
  for (int i = 0; i < kStreams; ++i) {
    int fd = Connect(port);
    ASSERT_GE(fd, 0);
    streams.push_back(fd);
    ASSERT_TRUE(SendAll(fd, "GET /api/v1/experiments/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    ASSERT_NE(ReadUntil(fd, "retry:", 5).find("retry:"), std::string::npos) << "stream " << i << " did not open";
  }
  Trickler trickler(port, kTricklers);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the tricklers are mid-header

  auto start = Clock::now();
  auto info = client_->Get("/api/v1/info");
  const double info_s = SecondsSince(start);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200);
  EXPECT_LT(info_s, 1.0);
  start = Clock::now();
  auto stop = client_->Post("/api/v1/experiments/" + id + "/stop", httplib::Headers{{"Authorization", Bearer()}}, "", "");
  const double stop_s = SecondsSince(start);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 202) << stop->body;
  EXPECT_LT(stop_s, 1.0);

  HammerResult r = Hammer(port, id);
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  int streams_open = 0;
  for (int fd : streams) streams_open += PeerClosed(fd, 0) ? 0 : 1;
  std::printf("webui load: %d streams (%d still open), %d trickling connections (%d cut off and reopened); "
              "info %.1f ms, stop %.1f ms; %d clients x %.0f s: %ld requests, %ld errors, p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms\n",
              kStreams, streams_open, kTricklers, trickler.cut(), info_s * 1000, stop_s * 1000, kClients,
              kHammerSeconds, r.requests, r.errors, Percentile(r.latencies_ms, 0.5), Percentile(r.latencies_ms, 0.99),
              r.latencies_ms.empty() ? 0 : r.latencies_ms.back());
  EXPECT_EQ(r.errors, 0);
  EXPECT_GT(r.requests, kClients);
  EXPECT_EQ(streams_open, kStreams) << "live-update streams must survive the load";
  for (int fd : streams) ::close(fd);
}

}  // namespace
}  // namespace hone::webui
