// `hone stop ID`: asks the running manager to stop (through the experiment's command
// queue), waits for it to finish, and marks an experiment without a manager stopped.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/experiment_session.h"
#include "cli/stored_config.h"
#include "engine/experiment_manager.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"

namespace hone {

void SetupStopCommand(CLI::App& app, const CliContext& ctx, Status* result) {
  struct Options {
    std::string id;
    double timeout_s = 60;
  };
  auto opts = std::make_shared<Options>();
  auto* stop = app.add_subcommand("stop", "Stop a running experiment (running trials are canceled)");
  stop->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  stop->add_option("--timeout", opts->timeout_s, "Seconds to wait for the manager to finish")->capture_default_str();
  stop->callback([&ctx, opts, result] {
    auto registry = ExperimentRegistry::Open(ctx.hone_home);
    if (!registry.ok()) { *result = registry.status(); return; }
    auto entry = (*registry)->Get(opts->id);
    if (!entry.ok()) { *result = entry.status(); return; }
    std::string dir = ExperimentDir(ctx, entry->id);
    auto storage = OpenExperimentStorage(ctx, entry->id, OpenMode::kReadWrite);
    if (!storage.ok()) { *result = storage.status(); return; }
    if (!ManagerLock::IsHeld(dir)) {
      // No manager: record the stop so that list/show tell the truth.
      (void)(*storage)->PutMeta("status", kExpStopped);
      *result = (*storage)->Flush();
      if (result->ok()) *result = (*registry)->SetStatus(entry->id, kExpStopped, SystemClock().Now());
      std::printf("experiment %s was not running; marked stopped\n", entry->id.c_str());
      return;
    }
    *result = (*storage)->PushCommand(CommandKind::kStop, nlohmann::json::object());
    if (!result->ok()) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(opts->timeout_s);
    while (ManagerLock::IsHeld(dir)) {
      if (std::chrono::steady_clock::now() > deadline) {
        *result = IoError("the manager of " + entry->id + " did not stop within " +
                          std::to_string(static_cast<int>(opts->timeout_s)) + " s");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("experiment %s stopped\n", entry->id.c_str());
  });
}

}  // namespace hone
