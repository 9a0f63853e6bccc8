// WebServer: hone's web UI, one HTTP server for every experiment under HONE_HOME: the
// JSON API of webui/API.md, live updates as server-sent events, and the embedded front
// end. It runs on its own threads beside whatever the caller does (a manager, or
// nothing for `hone webui` / `hone view`).
//
// Example:
//   WebServerOptions o{.home = ctx.hone_home};
//   auto server = WebServer::Start(o);   // bound and serving on return
//   std::printf("web UI: %s\n", (*server)->Url(id).c_str());
//   ...
//   (*server)->Stop();                   // also done by the destructor
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace hone::webui {

struct WebServerOptions {
  std::string home;               // HONE_HOME
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port
  int port_tries = 1;             // try port, port+1, ... this many (busy ones skipped)
  bool read_only = false;         // `hone view`: every action answers 403
  // Threads kept ready. Each open connection or live-update stream holds a thread; more
  // are started on demand (up to 1024 connections plus 64 streams, past which a stream
  // gets 503), so streams and slow clients never hold up requests and actions.
  // Connections idle or sending a header for 5 s, or an action's body for 10 s, close.
  int threads = 96;
  // How long an idle keep-alive connection stays open (Stop() does not wait for it).
  int keep_alive_seconds = 10;
};

class WebServer {
 public:
  // Binds and starts serving. Unavailable when no port could be bound; the token file
  // (HONE_HOME/webui.token) is created when missing.
  static StatusOr<std::unique_ptr<WebServer>> Start(const WebServerOptions& options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  int port() const;
  const std::string& host() const;
  // The address to print: http://host:port/[experiments/<id>]#token=<token>
  // (no token fragment when read-only).
  std::string Url(const std::string& experiment_id = "") const;
  // Stops accepting, closes the open connections (idle keep-alive ones too), ends
  // live-update streams, and waits for the worker threads: it returns promptly, not
  // after the keep-alive timeout.
  void Stop();

  struct Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// http://host:port/[experiments/<id>][#token=<token>] (no fragment for an empty token;
// a wildcard host prints as 127.0.0.1).
std::string UiUrl(const std::string& host, int port, const std::string& experiment_id, const std::string& token);

// True for 127.0.0.1, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace hone::webui
