// `hone webui [--port P] [--host H]`: the web UI for every experiment under HONE_HOME,
// actions allowed with the token; `hone view ID [--port P]`: the same read-only, opened
// at one experiment (for browsing stopped experiments). Both serve until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/stored_config.h"
#include "storage/experiment_registry.h"
#include "webui/web_server.h"

namespace hone {
namespace {

struct WebuiOptions {
  int port = 8080;
  std::string host = "127.0.0.1";
  std::string id;
};

// Blocks the stop signals in this thread (the server's threads inherit the mask), so
// that the wait below is the only place they arrive.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

Status Serve(const CliContext& ctx, const WebuiOptions& o, bool read_only, const std::string& experiment_id) {
  sigset_t stop_signals = BlockStopSignals();
  signal(SIGPIPE, SIG_IGN);
  webui::WebServerOptions wopts;
  wopts.home = ctx.hone_home;
  wopts.host = o.host;
  wopts.port = o.port;
  wopts.read_only = read_only;
  auto server = webui::WebServer::Start(wopts);
  if (!server.ok()) return server.status();
  if (!webui::IsLoopbackHost(o.host))
    std::fprintf(stderr,
                 "hone: warning: the web UI listens on %s: anyone who can reach it can read every experiment "
                 "(actions still need the token)\n",
                 o.host.c_str());
  std::printf("web UI%s: %s\n", read_only ? " (read-only)" : "", (*server)->Url(experiment_id).c_str());
  std::printf("serving %s until Ctrl-C\n", ctx.hone_home.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*server)->Stop();
  return Status::Ok();
}

}  // namespace

void SetupWebuiCommands(CLI::App& app, const CliContext& ctx, Status* result) {
  auto opts = std::make_shared<WebuiOptions>();

  auto* webui = app.add_subcommand("webui", "Serve the web UI for every experiment (actions need the token)");
  webui->add_option("--port", opts->port, "Port (default 8080; 0: any free one)")->check(CLI::Range(0, 65535));
  webui->add_option("--host", opts->host, "Address to listen on (default 127.0.0.1; others are reachable from the network)");
  webui->callback([&ctx, opts, result] { *result = Serve(ctx, *opts, /*read_only=*/false, ""); });

  auto* view = app.add_subcommand("view", "Browse an experiment in the web UI, read-only");
  view->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  view->add_option("--port", opts->port, "Port (default 8080; 0: any free one)")->check(CLI::Range(0, 65535));
  view->callback([&ctx, opts, result] {
    auto registry = ExperimentRegistry::Open(ctx.hone_home);
    if (!registry.ok()) { *result = registry.status(); return; }
    auto entry = (*registry)->Get(opts->id);
    if (!entry.ok()) { *result = entry.status(); return; }
    registry->reset();
    // Refuse here, with the reason, an experiment the UI could not show.
    auto storage = OpenExperimentStorage(ctx, entry->id, OpenMode::kReadOnly);
    if (!storage.ok()) { *result = storage.status(); return; }
    storage->reset();
    *result = Serve(ctx, *opts, /*read_only=*/true, entry->id);
  });
}

}  // namespace hone
