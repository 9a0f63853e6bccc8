// The web server under hostile clients: a POST without Content-Length answers at once,
// a header sent a byte at a time is cut off, live-update streams past the cap get 503
// at once, and none of these hold up a request with only a few threads kept.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/webui/raw_client.h"
#include "tests/webui/webui_fixture.h"
#include "webui/http_util.h"

namespace hone::webui {
namespace {

using Clock = std::chrono::steady_clock;

class ServerLimitsTest : public WebuiTest {
 protected:
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    WebuiTest::TearDown();
  }
  int Open() {
    int fd = Connect(server_->port());
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }
  std::vector<int> fds_;
};

TEST_F(ServerLimitsTest, PostWithoutContentLengthAnswersAtOnce) {
  MakeExperiment("abc123", 4, 1, /*running=*/true);
  StartServer(/*read_only=*/false, /*threads=*/2);
  int fd = Open();
  const auto start = Clock::now();
  ASSERT_TRUE(SendAll(fd, "POST /api/v1/experiments/abc123/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                              token_ + "\r\n\r\n"));
  std::string answer = ReadUntil(fd, "\r\n\r\n", 8);
  EXPECT_LT(SecondsSince(start), 2.0);
  EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer.substr(0, 200);
}

TEST_F(ServerLimitsTest, HeaderTrickledByteByByteIsCutOff) {
  MakeExperiment("abc123", 4, 1);
  StartServer(/*read_only=*/false, /*threads=*/2);
  int fd = Open();
  const std::string header = "GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(100, 'a');
  const auto start = Clock::now();
  bool closed = false;
  for (char c : header) {
    if (!SendAll(fd, std::string(1, c)) || PeerClosed(fd, 0.5) || SecondsSince(start) > 20) {
      closed = true;
      break;
    }
  }
  const double held = SecondsSince(start);
  EXPECT_TRUE(closed);
  EXPECT_LT(held, 12.0) << "a trickled header held its connection for " << held << " s";
}

TEST_F(ServerLimitsTest, StreamsPastTheCapGet503AndRequestsStillAnswer) {
  MakeExperiment("abc123", 4, 1, /*running=*/true);
  StartServer(/*read_only=*/false, /*threads=*/2);
  const std::string request = "GET /api/v1/experiments/abc123/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (int i = 0; i < kMaxStreams; ++i) {
    int fd = Open();
    ASSERT_TRUE(SendAll(fd, request));
    ASSERT_NE(ReadUntil(fd, "retry:", 5).find("retry:"), std::string::npos) << "stream " << i;
  }
  int extra = Open();
  auto start = Clock::now();
  ASSERT_TRUE(SendAll(extra, request));
  std::string refused = ReadUntil(extra, "\r\n\r\n", 5);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused.substr(0, 200);
  EXPECT_LT(SecondsSince(start), 1.0);

  start = Clock::now();
  auto info = client_->Get("/api/v1/info");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200);
  EXPECT_LT(SecondsSince(start), 1.0);
  start = Clock::now();
  auto stop = client_->Post("/api/v1/experiments/abc123/stop", httplib::Headers{{"Authorization", Bearer()}}, "", "");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 202) << stop->body;
  EXPECT_LT(SecondsSince(start), 1.0);
}

// `hone webui` with a thousand idle connections (issue 14: unusable for ~55 s with a
// listen backlog of 5): each connection gets a thread, so a request answers at once.
TEST_F(ServerLimitsTest, AThousandIdleConnectionsDoNotDelayARequest) {
  MakeExperiment("abc123", 4, 1);
  StartServer(/*read_only=*/false, /*threads=*/2);
  for (int i = 0; i < 1000; ++i) ASSERT_GE(Open(), 0) << "connection " << i;
  httplib::Client client("127.0.0.1", server_->port());
  client.set_connection_timeout(15, 0);
  client.set_read_timeout(15, 0);
  const auto start = Clock::now();
  auto info = client.Get("/api/v1/info");
  const double took = SecondsSince(start);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200);
  EXPECT_LT(took, 2.0);
  std::printf("1000 idle connections: /api/v1/info answered in %.3f s\n", took);
}

}  // namespace
}  // namespace hone::webui
