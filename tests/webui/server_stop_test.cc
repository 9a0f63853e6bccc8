// WebServer::Stop with connections still open: an idle keep-alive connection must not
// hold it (httplib would otherwise wait out the keep-alive timeout, an hour here, and
// ctest's time limit would fail the test). No time is measured: Stop() returning and
// the connection reading end-of-stream are what is checked.
#include <string>

#include "tests/webui/raw_client.h"
#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

// Reads until the answer's headers and `Content-Length` bytes of body have come.
bool ReadOneAnswer(int fd, std::string* got) {
  char buf[4096];
  for (;;) {
    size_t head_end = got->find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t at = got->find("Content-Length: ");
      if (at == std::string::npos || at > head_end) return false;
      size_t length = std::stoul(got->substr(at + 16));
      if (got->size() >= head_end + 4 + length) return true;
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    got->append(buf, static_cast<size_t>(n));
  }
}

TEST_F(WebuiTest, StopClosesIdleKeepAliveConnectionsAtOnce) {
  MakeExperiment("abc123", 3, 1);
  WebServerOptions o;
  o.home = home_;
  o.port = 0;
  o.keep_alive_seconds = 3600;
  auto server = WebServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->port();

  // Two idle connections: one that had an answer and keeps alive, one that never sent.
  int used = Connect(port);
  int silent = Connect(port);
  ASSERT_GE(used, 0);
  ASSERT_GE(silent, 0);
  const std::string request = "GET /api/v1/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
  ASSERT_EQ(::send(used, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string answer;
  ASSERT_TRUE(ReadOneAnswer(used, &answer)) << answer;
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 100);

  (*server)->Stop();  // hangs for the keep-alive hour if the connections hold it

  char byte = 0;
  EXPECT_EQ(::recv(used, &byte, 1, 0), 0);  // closed by the server
  EXPECT_LE(::recv(silent, &byte, 1, 0), 0);
  ::close(used);
  ::close(silent);
  EXPECT_LT(Connect(port), 0);  // nothing listens any more
}

}  // namespace
}  // namespace hone::webui
