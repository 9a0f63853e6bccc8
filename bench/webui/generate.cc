// Writes a large finished experiment straight into a HONE_HOME through SQL (one
// transaction, prepared statements): N trials with S intermediate results each, the
// schema and registry entry made by hone's own storage code so the web UI reads it as
// any other experiment.
#include "bench/webui/webui_bench.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"

namespace hone::bench {

Status GenerateExperiment(const std::string& home, const std::string& id, int64_t trials, int steps) {
  auto registry = ExperimentRegistry::Open(home);
  if (!registry.ok()) return registry.status();
  ExperimentEntry e;
  e.id = id;
  e.name = "bench-" + std::to_string(trials) + "x" + std::to_string(steps);
  e.dir = ExperimentDir(home, id);
  e.status = "done";
  e.created = 1.7e9;
  e.updated = e.created;
  HONE_RETURN_IF_ERROR((*registry)->Add(e));
  {
    auto storage = SqliteStorage::Open(e.dir + "/hone.db", OpenMode::kReadWriteCreate);  // the schema
    if (!storage.ok()) return storage.status();
    nlohmann::json config = {
        {"experimentName", e.name},
        {"searchSpace",
         {{"lr", {{"_type", "loguniform"}, {"_value", {1e-5, 1e-1}}}},
          {"batch", {{"_type", "choice"}, {"_value", {16, 32, 64, 128, 256}}}},
          {"layers", {{"_type", "randint"}, {"_value", {1, 9}}}},
          {"dropout", {{"_type", "uniform"}, {"_value", {0, 0.6}}}},
          {"optimizer", {{"_type", "choice"}, {"_value", {"sgd", "adam", "rmsprop"}}}}}},
        {"trialCommand", "python3 train.py"},
        {"trialConcurrency", 16},
        {"maxTrialNumber", trials},
        {"tuner", {{"name", "random"}, {"classArgs", {{"optimize_mode", "maximize"}}}}},
    };
    HONE_RETURN_IF_ERROR((*storage)->PutMeta("config", config.dump()));
    HONE_RETURN_IF_ERROR((*storage)->PutMeta("status", "done"));
    HONE_RETURN_IF_ERROR((*storage)->Flush());
  }
  auto db = OpenSqlite(e.dir + "/hone.db", OpenMode::kReadWrite);
  if (!db.ok()) return db.status();
  HONE_RETURN_IF_ERROR(ExecSql(db->get(), "BEGIN"));
  auto trial = Statement::Prepare(db->get(),
      "INSERT INTO trials (seq, trial_id, config_id, status, params, has_final, final, final_metrics, created_at, "
      "started_at, ended_at, exit_code, reason) VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!trial.ok()) return trial.status();
  auto metric = Statement::Prepare(db->get(), "INSERT INTO metrics (seq, step, value, raw, time) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!metric.ok()) return metric.status();
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  const char* optimizers[] = {"sgd", "adam", "rmsprop"};
  const int batches[] = {16, 32, 64, 128, 256};
  double t0 = 1.7e9;
  char raw[64];
  for (int64_t seq = 0; seq < trials; ++seq) {
    double lr = std::exp(std::log(1e-5) + u(rng) * (std::log(1e-1) - std::log(1e-5)));
    nlohmann::json params = {{"lr", lr}, {"batch", batches[rng() % 5]}, {"layers", static_cast<int>(1 + rng() % 8)},
                             {"dropout", 0.6 * u(rng)}, {"optimizer", optimizers[rng() % 3]}};
    double quality = 0.95 - 0.05 * std::abs(std::log10(lr) + 3) - 0.1 * params["dropout"].get<double>() + 0.03 * u(rng);
    double created = t0 + seq * 0.5, started = created + 0.1, duration = 5 + 60 * u(rng);
    const double r = u(rng);
    const char* status = r < 0.9 ? "succeeded" : r < 0.95 ? "early_stopped" : "failed";
    const int n = std::string(status) == "succeeded" ? steps : std::max(1, steps / 3);
    for (int s = 0; s < n; ++s) {
      double v = quality * (1 - std::exp(-3.0 * (s + 1) / steps)) + 0.01 * u(rng);
      std::snprintf(raw, sizeof(raw), "{\"default\":%.6g}", v);
      (*metric)->BindInt(1, seq);
      (*metric)->BindInt(2, s);
      (*metric)->BindDouble(3, v);
      (*metric)->BindText(4, raw);
      (*metric)->BindDouble(5, started + duration * (s + 1) / n);
      HONE_RETURN_IF_ERROR((*metric)->Run());
      (*metric)->Reset();
    }
    const bool has_final = std::string(status) == "succeeded";
    double final_value = quality * (1 - std::exp(-3.0)) + 0.01 * u(rng);
    (*trial)->BindInt(1, seq);
    (*trial)->BindText(2, std::to_string(seq));
    (*trial)->BindText(3, status);
    (*trial)->BindText(4, params.dump());
    (*trial)->BindInt(5, has_final ? 1 : 0);
    if (has_final) {
      (*trial)->BindDouble(6, final_value);
      (*trial)->BindText(7, nlohmann::json{{"default", final_value}, {"loss", 1 - final_value}}.dump());
    } else {
      (*trial)->BindNull(6);
      (*trial)->BindNull(7);
    }
    (*trial)->BindDouble(8, created);
    (*trial)->BindDouble(9, started);
    (*trial)->BindDouble(10, started + (has_final ? duration : duration / 3));
    (*trial)->BindInt(11, std::string(status) == "failed" ? 1 : 0);
    (*trial)->BindText(12, std::string(status) == "failed" ? "exit code 1" : "");
    HONE_RETURN_IF_ERROR((*trial)->Run());
    (*trial)->Reset();
  }
  trial->reset();
  metric->reset();
  HONE_RETURN_IF_ERROR(ExecSql(db->get(), "COMMIT"));
  return Status::Ok();
}

}  // namespace hone::bench
