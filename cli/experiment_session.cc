#include "cli/experiment_session.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "cli/progress_view.h"
#include "cli/stored_config.h"
#include "engine/experiment_manager.h"
#include "engine/experiment_plugins.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"
#include "webui/token.h"
#include "webui/web_server.h"

extern char** environ;

namespace hone {
namespace fs = std::filesystem;

namespace {

// The only process-wide state: what a signal handler may touch.
std::atomic<bool> g_stop_requested{false};

void OnStopSignal(int) { g_stop_requested.store(true); }

constexpr int kUiDefaultPort = 8080;
constexpr int kUiPortTries = 20;
constexpr int kUiThreads = 24;  // beside a manager: a few browser tabs, not a load test

// Starts the web UI beside a manager; null (after a warning) when it cannot.
std::unique_ptr<webui::WebServer> StartUi(const CliContext& ctx, const std::string& id, const SessionOptions& options,
                                          ExperimentRegistry& registry) {
  if (!options.ui) return nullptr;
  webui::WebServerOptions wopts;
  wopts.home = ctx.hone_home;
  wopts.port = options.ui_port > 0 ? options.ui_port : kUiDefaultPort;
  wopts.port_tries = options.ui_port > 0 ? 1 : kUiPortTries;
  wopts.threads = kUiThreads;
  auto server = webui::WebServer::Start(wopts);
  if (!server.ok()) {
    std::fprintf(stderr, "hone: warning: %s; running without it\n", server.status().message().c_str());
    return nullptr;
  }
  (void)registry.SetUiPort(id, (*server)->port(), SystemClock().Now());
  // A detached manager's log is world-readable: its line carries no token.
  std::string url = options.ui_url_with_token ? (*server)->Url(id)
                                              : webui::UiUrl(wopts.host, (*server)->port(), id, "");
  std::printf("web UI: %s\n", url.c_str());
  std::fflush(stdout);
  return std::move(*server);
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

std::string ExperimentDir(const CliContext& ctx, const std::string& id) {
  return (fs::path(ctx.hone_home) / "experiments" / id).string();
}

StatusOr<std::unique_ptr<ManagerLock>> ManagerLock::Acquire(const std::string& experiment_dir) {
  std::string path = experiment_dir + "/manager.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("the experiment's manager is already running (lock " + path + " is held)");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::write(fd, pid.data(), pid.size());
  return std::unique_ptr<ManagerLock>(new ManagerLock(fd));
}

bool ManagerLock::IsHeld(const std::string& experiment_dir) {
  std::string path = experiment_dir + "/manager.lock";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

ManagerLock::~ManagerLock() { ::close(fd_); }

StatusOr<std::string> CreateExperiment(const CliContext& ctx, ExperimentConfig config,
                                       const std::string& config_path) {
  if (!config.seed_given) {
    std::random_device rd;
    config.seed = (static_cast<uint64_t>(rd()) << 32 | rd()) & 0x7fffffffffffffffULL;
  }
  // Resume reads the stored form back: it must pass the reader before anything is
  // written under HONE_HOME.
  const nlohmann::json stored = config.ToJson();
  if (auto again = ExperimentConfig::FromJson(stored, *ctx.registry); !again.ok())
    return again.status().WithContext("the config as it would be stored");
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  std::string id;
  for (int attempt = 0; attempt < 10; ++attempt) {
    id = NewExperimentId();
    if (!fs::exists(ExperimentDir(ctx, id))) break;
  }
  std::string dir = ExperimentDir(ctx, id);
  std::error_code ec;
  fs::create_directories(dir + "/trials", ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  auto storage = SqliteStorage::Open(dir + "/hone.db", OpenMode::kReadWriteCreate);
  if (!storage.ok()) return storage.status();
  SystemClock clock;
  HONE_RETURN_IF_ERROR((*storage)->PutMeta("config", stored.dump()));
  HONE_RETURN_IF_ERROR((*storage)->PutMeta("config_file", fs::absolute(config_path).string()));
  HONE_RETURN_IF_ERROR((*storage)->PutMeta("created", std::to_string(clock.Now())));
  HONE_RETURN_IF_ERROR((*storage)->PutMeta("status", "created"));
  HONE_RETURN_IF_ERROR((*storage)->Flush());
  ExperimentEntry entry;
  entry.id = id;
  entry.name = config.experiment_name;
  entry.dir = dir;
  entry.status = "created";
  entry.created = clock.Now();
  entry.updated = entry.created;
  entry.config_path = fs::absolute(config_path).string();
  HONE_RETURN_IF_ERROR((*registry)->Add(entry));
  return id;
}

StatusOr<std::string> RunManager(const CliContext& ctx, const std::string& id,
                                 const SessionOptions& options) {
  std::string dir = ExperimentDir(ctx, id);
  auto lock = ManagerLock::Acquire(dir);
  if (!lock.ok()) return lock.status();
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto storage_or = SqliteStorage::Open(dir + "/hone.db", OpenMode::kReadWrite);
  if (!storage_or.ok()) return storage_or.status().WithContext("experiment " + id);
  Storage& storage = **storage_or;
  auto config_json = StoredConfigJson(storage, ctx, id);
  if (!config_json.ok()) return config_json.status();
  auto config = ExperimentConfig::FromJson(*config_json, *ctx.registry);
  if (!config.ok()) return config.status().WithContext("stored config of " + id);

  auto plugins = CreateExperimentPlugins(*config, *ctx.registry, dir);
  if (!plugins.ok()) return plugins.status();
  Platform& platform = *plugins->platform;
  Status started = platform.Start();
  if (!started.ok()) {
    (void)storage.PutMeta("status", "failed");
    (void)storage.PutMeta("error", started.message());
    (void)storage.Flush();
    (void)(*registry)->SetStatus(id, "failed", SystemClock().Now());
    return InvalidArgument("platform '" + config->platform + "': " + started.message());
  }

  InstallStopHandlers();
  std::unique_ptr<ProgressSink> view;
  if (!options.quiet) view = NewProgressView(stdout, options.terminal);
  SystemClock clock;
  ManagerOptions mopts;
  mopts.experiment_id = id;
  mopts.experiment_dir = dir;
  mopts.sdk_python_dir = ctx.sdk_python_dir;
  mopts.stop_requested = &g_stop_requested;
  (void)(*registry)->SetStatus(id, kExpRunning, SystemClock().Now());
  (void)(*registry)->SetManagerPid(id, ::getpid(), SystemClock().Now());
  std::unique_ptr<webui::WebServer> ui = StartUi(ctx, id, options, **registry);
  const Clock* simulated = platform.SimulatedClock();
  ExperimentManager manager(*config, mopts, storage, platform, *plugins->tuner, *plugins->assessor,
                            simulated ? *simulated : clock, view.get());
  auto result = manager.Run();
  (void)(*registry)->SetStatus(id, result.ok() ? *result : std::string(kExpFailed), SystemClock().Now());
  (void)(*registry)->SetManagerPid(id, 0, SystemClock().Now());  // the UI now shows no manager to act
  if (ui && options.keep_ui) {
    std::printf("experiment %s ended; the web UI stays at %s until Ctrl-C\n", id.c_str(), ui->Url(id).c_str());
    std::fflush(stdout);
    while (!g_stop_requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (ui) {
    ui->Stop();
    (void)(*registry)->SetUiPort(id, 0, SystemClock().Now());
  }
  return result;
}

void PrintDetachedUiAddress(const CliContext& ctx, const std::string& id, int manager_pid, double timeout_s) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return;
  const double deadline = SystemClock().Now() + timeout_s;
  while (SystemClock().Now() < deadline) {
    auto entry = (*registry)->Get(id);
    if (entry.ok() && entry->ui_port > 0) {
      auto token = webui::LoadOrCreateToken(ctx.hone_home);
      std::fprintf(stderr, "web UI: %s\n",
                   webui::UiUrl("127.0.0.1", entry->ui_port, id, token.ok() ? *token : "").c_str());
      return;
    }
    if (::kill(manager_pid, 0) != 0) break;  // the manager is gone
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "web UI: not serving (see %s/manager.log)\n", ExperimentDir(ctx, id).c_str());
}

StatusOr<int> SpawnDetachedManager(const CliContext& ctx, const std::string& id,
                                   const std::vector<std::string>& extra_args) {
  std::string log = ExperimentDir(ctx, id) + "/manager.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::vector<std::string> args = {ctx.exe_path, "_manager", id};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, ctx.exe_path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return IoError("cannot start the manager: " + std::string(std::strerror(rc)));
  return static_cast<int>(pid);
}

}  // namespace hone
