#include "webui/connection_watchdog.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <vector>

namespace hone::webui {
namespace {

constexpr auto kCheckInterval = std::chrono::milliseconds(250);

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int OwnPort(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return -1;
}

// "address:port" of the socket's peer, formatted as httplib formats Request::remote_addr.
std::string PeerOf(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0)
    return "";
  return std::string(host) + ":" + std::to_string(OwnPort(addr));
}

}  // namespace

void ForEachServerConnection(int port, const std::function<void(int fd, const std::string& peer)>& fn) {
#ifdef __linux__
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    auto [end, parse_ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (parse_ec != std::errc() || end != name.data() + name.size() || fd < 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;  // not a socket
    if (OwnPort(addr) != port) continue;
    int listening = 0;
    socklen_t size = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening != 0) continue;
    fn(fd, PeerOf(fd));
  }
#else
  (void)port;
  (void)fn;
#endif
}

ConnectionWatchdog::ConnectionWatchdog(double header_limit_s, double body_limit_s)
    : header_limit_s_(header_limit_s), body_limit_s_(body_limit_s) {}

ConnectionWatchdog::~ConnectionWatchdog() { Stop(); }

void ConnectionWatchdog::Watch(int port, std::function<bool()> queue_waiting) {
  port_ = port;
  queue_waiting_ = std::move(queue_waiting);
  thread_ = std::thread([this] { Run(); });
}

void ConnectionWatchdog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionWatchdog::RequestBegan(const std::string& peer, bool has_body) {
  std::lock_guard<std::mutex> lock(mu_);
  Conn& c = conns_[peer];
  c.since = Seconds();
  c.in_request = true;
  c.bounded = has_body;
}

void ConnectionWatchdog::RequestEnded(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  Conn& c = conns_[peer];
  c.since = Seconds();
  c.in_request = false;
}

void ConnectionWatchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, kCheckInterval, [this] { return stop_; })) {
    lock.unlock();
    Check();
    lock.lock();
  }
}

void ConnectionWatchdog::Check() {
  const double scan_started = Seconds();
  std::vector<std::pair<int, std::string>> open;
  ForEachServerConnection(port_, [&open](int fd, const std::string& peer) { open.emplace_back(fd, peer); });
  const double now = Seconds();
  const bool queue = queue_waiting_ && queue_waiting_();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [peer, c] : conns_) c.seen = false;
  for (const auto& [fd, peer] : open) {
    if (peer.empty()) continue;
    auto [it, added] = conns_.try_emplace(peer);
    Conn& c = it->second;
    // A new connection, or a new one that reuses a closed one's client port.
    if (added || (c.fd != fd && c.fd >= 0 && !c.in_request)) c = Conn{fd, now};
    c.fd = fd;
    c.seen = true;
    // While connections wait for a thread, one with unread bytes is such a one (a thread
    // reads what has come at once): its time starts when a thread takes it.
    int unread = 0;
    if (queue && !c.in_request && ::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) c.since = now;
    const double limit = !c.in_request ? header_limit_s_ : c.bounded ? body_limit_s_ : -1;
    if (limit >= 0 && now - c.since > limit) ::shutdown(fd, SHUT_RDWR);
  }
  // Closed connections go; one reported by the server during the scan stays.
  for (auto it = conns_.begin(); it != conns_.end();)
    it = it->second.seen || it->second.since >= scan_started ? std::next(it) : conns_.erase(it);
}

}  // namespace hone::webui
