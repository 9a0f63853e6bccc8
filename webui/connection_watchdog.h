// ConnectionWatchdog: closes the web server's connections that hold a thread without
// asking for anything: idle keep-alive ones and ones that trickle a request header (or
// an action's body) byte by byte. httplib's read timeout counts per read, so a client
// sending a byte a second would otherwise hold its connection forever.
//
// Contract: the server reports each request's start (after the header) and end (after
// the answer, a live-update stream's included); the watchdog checks the connections
// accepted on `port` every 250 ms and shuts down those that spent longer than
// `header_limit_s` outside a request, or longer than `body_limit_s` in a request that
// has a body (POST/PUT/PATCH/DELETE). GET requests (live-update streams) are unbounded.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace hone::webui {

// Calls fn(fd, peer) for every connected socket of this process whose own port is
// `port` (the server side of its connections); peer is "address:port".
void ForEachServerConnection(int port, const std::function<void(int fd, const std::string& peer)>& fn);

class ConnectionWatchdog {
 public:
  ConnectionWatchdog(double header_limit_s, double body_limit_s);
  ~ConnectionWatchdog();  // stops watching
  ConnectionWatchdog(const ConnectionWatchdog&) = delete;
  ConnectionWatchdog& operator=(const ConnectionWatchdog&) = delete;

  // Starts the checks of the connections accepted on `port`. `queue_waiting` says
  // whether connections wait for a thread; it is called until Stop() returns.
  void Watch(int port, std::function<bool()> queue_waiting);
  void Stop();
  // peer: "address:port" of the client, as httplib's Request gives it.
  void RequestBegan(const std::string& peer, bool has_body);
  void RequestEnded(const std::string& peer);

 private:
  struct Conn {
    int fd = -1;
    double since = 0;       // accepted, or the last answer, or the request start
    bool in_request = false;
    bool bounded = false;   // in a request with a body
    bool seen = false;      // found by the last check
  };
  void Run();
  void Check();

  const double header_limit_s_, body_limit_s_;
  int port_ = 0;
  std::function<bool()> queue_waiting_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Conn> conns_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hone::webui
