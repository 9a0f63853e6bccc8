#include "webui/web_server.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "webui/connection_pool.h"
#include "webui/connection_watchdog.h"
#include "webui/routes.h"
#include "webui/token.h"

namespace hone::webui {
namespace {

constexpr size_t kWorkerThreads = 96;        // threads kept when the options give none
constexpr size_t kMaxBodyBytes = 64 * 1024;
// Connections served at once besides the live-update streams (kMaxStreams); each has a
// thread, so one slow client never delays another. Past this they queue.
constexpr size_t kMaxRequestConnections = 1024;
// A connection may spend this long between requests (idle, or sending a header), and
// an action this long sending its body; then the watchdog closes it.
constexpr double kHeaderSeconds = 5;
constexpr double kBodySeconds = 10;
constexpr int kReadTimeoutSeconds = 5;

// "127.0.0.1:8080" -> "127.0.0.1"; "[::1]:8080" -> "::1".
std::string HostPart(const std::string& host_header) {
  if (!host_header.empty() && host_header[0] == '[') {
    size_t close = host_header.find(']');
    return close == std::string::npos ? host_header : host_header.substr(1, close - 1);
  }
  return host_header.substr(0, host_header.find(':'));
}

bool IsApi(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0 || req.path == "/api"; }

// Shuts down (both ways) every connection this process accepted on `port`: a worker
// waiting on an idle keep-alive connection then reads its end at once. (httplib checks
// for a stop only between requests, so Stop() would otherwise wait out the keep-alive
// timeout of each open connection.) The listening socket is closed by then, so no new
// connection appears.
void ShutDownConnections(int port) {
  ForEachServerConnection(port, [](int fd, const std::string&) { ::shutdown(fd, SHUT_RDWR); });
}

// Each connection holds a descriptor: a soft limit of 1024 (common) would refuse
// connections long before the server's own limits. Raised toward the hard limit.
void RaiseOpenFileLimit() {
  constexpr rlim_t kWanted = 8192;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= kWanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? kWanted : std::min(kWanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

std::string PeerOf(const httplib::Request& req) { return req.remote_addr + ":" + std::to_string(req.remote_port); }

bool HasBody(const httplib::Request& req) { return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS"; }

}  // namespace

bool IsLoopbackHost(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

struct WebServer::Impl {
  explicit Impl(const WebServerOptions& o) : options(o), state(o.home) {}
  WebServerOptions options;
  ServerState state;
  httplib::Server server;
  ConnectionWatchdog watchdog{kHeaderSeconds, kBodySeconds};
  // Connections waiting for a thread, counted by the pool (which httplib owns).
  std::shared_ptr<std::atomic<size_t>> waiting = std::make_shared<std::atomic<size_t>>(0);
  std::thread thread;
  int listen_fd = -1;  // the last socket httplib created: the one bound, once Bind succeeds
  int port = 0;
  bool stopped = false;
};

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() { Stop(); }

namespace {

// Threads, limits, timeouts and socket options of the server.
void ConfigureTransport(WebServer::Impl& impl) {
  httplib::Server& server = impl.server;
  const WebServerOptions& options = impl.options;
  server.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT: a second hone would then bind the same port
  // and the kernel would split connections between two servers. SO_REUSEADDR alone
  // lets a restarted server rebind at once but refuses a port that is listened on.
  server.set_socket_options([&impl](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    impl.listen_fd = sock;
  });
  const size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads) : kWorkerThreads;
  server.new_task_queue = [threads, waiting = impl.waiting] {
    return new ConnectionPool(threads, kMaxRequestConnections + static_cast<size_t>(kMaxStreams), waiting);
  };
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_keep_alive_max_count(10000);
  server.set_keep_alive_timeout(std::max(1, options.keep_alive_seconds));
  server.set_read_timeout(kReadTimeoutSeconds, 0);
  server.set_write_timeout(10, 0);
  server.set_logger([&impl](const httplib::Request& req, const httplib::Response&) {
    impl.watchdog.RequestEnded(PeerOf(req));
  });
}

// Security headers and the Host check before routing; JSON replies for exceptions and
// for httplib's own refusals.
void InstallGuards(WebServer::Impl& impl) {
  httplib::Server& server = impl.server;
  ServerState& state = impl.state;
  server.set_pre_routing_handler([&impl, &state](const httplib::Request& req, httplib::Response& res) {
    impl.watchdog.RequestBegan(PeerOf(req), HasBody(req));
    // No Content-Length and no chunked body: the body is empty (API.md's "body: none").
    // httplib would otherwise read until the client closes or the read times out. The
    // request object is httplib's own non-const one, handed over as const.
    if (HasBody(req) && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Frame-Options", "DENY");
    if (IsApi(req)) res.set_header("Cache-Control", "no-store");
    if (state.loopback && req.has_header("Host") && !IsLoopbackHost(HostPart(req.get_header_value("Host")))) {
      ReplyError(res, 403, "this server answers only requests addressed to 127.0.0.1 or localhost");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    ReplyError(res, 500, what);
  });
  // httplib's own refusals (no route for the method, body too large) get the JSON shape.
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 413 ? "request body too large (at most 64 KiB)"
                          : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path.substr(0, 200)
                          : res.status == 405 ? "method not allowed"
                                              : "bad request";
    ReplyError(res, res.status, message);
  });
}

// Binds options.port (or the next free one of port_tries; any port for 0).
StatusOr<int> Bind(httplib::Server& server, const WebServerOptions& options) {
  int port = -1;
  if (options.port == 0) {
    port = server.bind_to_any_port(options.host.c_str());
  } else {
    for (int i = 0; i < std::max(1, options.port_tries) && port < 0; ++i)
      if (server.bind_to_port(options.host.c_str(), options.port + i)) port = options.port + i;
  }
  if (port <= 0) {
    std::string range = std::to_string(options.port);
    if (options.port_tries > 1) range += "-" + std::to_string(options.port + options.port_tries - 1);
    return Status(StatusCode::kUnavailable, "web UI: cannot listen on " + options.host + ":" + range +
                                                " (in use, or the address is not local)");
  }
  return port;
}

}  // namespace

StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  ServerState& state = impl->state;
  state.read_only = options.read_only;
  state.loopback = IsLoopbackHost(options.host);
  auto token = LoadOrCreateToken(options.home);
  if (!token.ok()) return token.status().WithContext("web UI token");
  state.token = *token;

  httplib::Server& server = impl->server;
  RaiseOpenFileLimit();
  ConfigureTransport(*impl);
  InstallGuards(*impl);
  AddReadRoutes(server, state);
  AddFileRoutes(server, state);
  AddOutputRoutes(server, state);
  AddSeriesRoutes(server, state);
  AddLiveRoutes(server, state);
  AddActionRoutes(server, state);
  AddAssetRoutes(server, state);

  auto port = Bind(server, options);
  if (!port.ok()) return port.status();
  impl->port = *port;
  // httplib listens with a backlog of 5: a burst of connections would be refused or
  // delayed by SYN retries. Listening again on the bound socket raises it.
  if (impl->listen_fd >= 0) ::listen(impl->listen_fd, SOMAXCONN);
  impl->watchdog.Watch(*port, [waiting = impl->waiting] { return waiting->load() > 0; });
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it, so Stop() always ends it.
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

int WebServer::port() const { return impl_->port; }
const std::string& WebServer::host() const { return impl_->options.host; }

std::string UiUrl(const std::string& host_in, int port, const std::string& experiment_id, const std::string& token) {
  std::string host = host_in;
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string url = "http://" + host + ":" + std::to_string(port) + "/";
  if (!experiment_id.empty()) url += "experiments/" + experiment_id;
  if (!token.empty()) url += "#token=" + token;
  return url;
}

std::string WebServer::Url(const std::string& experiment_id) const {
  return UiUrl(impl_->options.host, impl_->port, experiment_id, impl_->options.read_only ? "" : impl_->state.token);
}

void WebServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->state.stopping.store(true);
  impl_->watchdog.Stop();
  impl_->server.stop();
  ShutDownConnections(impl_->port);
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace hone::webui
