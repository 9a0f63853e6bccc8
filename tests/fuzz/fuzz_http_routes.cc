// Fuzzes the web UI's routes (webui/routes.h) in-process: each input is one request,
// handed to an httplib::Server that holds every route hone registers, through httplib's
// own request parsing and routing, over an in-memory stream instead of a socket. The
// routes read a real HONE_HOME in a scratch directory (a running experiment, a finished
// one, one whose database is garbage), written through the real storage.
//
// Input format (so that mutations reach the routes, not only the HTTP syntax):
//   line 1: METHOD TARGET          e.g. "GET /api/v1/experiments/run1/trials?sort=final"
//   then header lines up to an empty line (Authorization: Bearer <kToken> for actions)
//   the rest: the body (Content-Length is added)
// Beyond "no crash": no route lets an exception reach the server, and no answer carries
// a file from outside the experiments (a secret beside HONE_HOME, and a trial log that
// is a symlink to it).
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <httplib.h>

#include "core/trial_record.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"
#include "tests/fuzz/fuzz_util.h"
#include "webui/http_util.h"
#include "webui/routes.h"

namespace {

using nlohmann::json;

constexpr const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char* kSecret = "HONE-FUZZ-SECRET-7f3a9c";
constexpr size_t kMaxBodyBytes = 64 * 1024;  // as webui/web_server.cc sets it

// A request as httplib reads it from a connection, and the answer it writes back.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string request) : in_(std::move(request)) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::copy_n(in_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 50000; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 8080; }
  socket_t socket() const override { return INVALID_SOCKET; }
  const std::string& out() const { return out_; }

 private:
  std::string in_;
  size_t pos_ = 0;
  std::string out_;
};

// A server whose requests come from memory (process_request is httplib's per-request
// entry point, protected for subclasses like this one).
class MemoryServer : public httplib::Server {
 public:
  std::string Handle(std::string request) {
    MemoryStream stream(std::move(request));
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, nullptr);
    return stream.out();
  }
};

// Experiment `id` with `trials` trials (the last still running when `running`), each
// with intermediate results and stdout/stderr logs, as the manager writes them.
void MakeExperiment(const std::string& home, const std::string& id, int trials, bool running) {
  hone::ExperimentEntry e;
  e.id = id;
  e.name = "exp-" + id;
  e.dir = hone::ExperimentDir(home, id);
  e.status = running ? "running" : "done";
  e.created = e.updated = 1000;
  e.manager_pid = running ? ::getpid() : 0;
  auto registry = hone::ExperimentRegistry::Open(home);
  if (!registry.ok() || !(*registry)->Add(e).ok()) hone::fuzz::Fail("cannot register the experiment", id);
  auto storage = hone::SqliteStorage::Open(e.dir + "/hone.db", hone::OpenMode::kReadWriteCreate);
  if (!storage.ok()) hone::fuzz::Fail("cannot create the experiment database", storage.status().message());
  const json config = {
      {"experimentName", e.name},
      {"searchSpace",
       {{"x", {{"_type", "uniform"}, {"_value", {0, 1}}}},
        {"lr", {{"_type", "choice"}, {"_value", {0.1, 0.01, 0.001}}}},
        {"opt", {{"_type", "choice"}, {"_value", {{{"_name", "sgd"}, {"m", {{"_type", "uniform"}, {"_value", {0, 1}}}}}, {{"_name", "adam"}}}}}}}},
      {"trialCommand", "true"}, {"trialConcurrency", 2}, {"maxTrialNumber", 100},
      {"tuner", {{"name", "random"}, {"classArgs", {{"optimize_mode", "maximize"}}}}}};
  bool ok = (*storage)->PutMeta("config", config.dump()).ok() &&
            (*storage)->PutMeta("status", e.status).ok();
  for (int i = 0; i < trials && ok; ++i) {
    hone::TrialRecord t;
    t.seq = t.config_id = i;
    t.id = std::to_string(i);
    const double x = static_cast<double>(i) / trials;
    t.params = {{"x", x}, {"lr", std::pow(10.0, -(1 + i % 3))}};
    t.params["opt"] = i % 2 == 0 ? json{{"_name", "sgd"}, {"m", 0.5}} : json{{"_name", "adam"}};
    t.created_at = 2000 + i;
    t.started_at = 2000.5 + i;
    t.status = hone::TrialStatus::kRunning;
    ok = (*storage)->InsertTrial(t).ok();
    for (int s = 0; s < 5 && ok; ++s)
      ok = (*storage)->AppendIntermediate(i, s, x * (s + 1), json{{"default", x * (s + 1)}, {"loss", 1 - x}}.dump()).ok();
    hone::fuzz::WriteFile(e.dir + "/trials/" + t.id + "/stdout.log", "epoch 1\n@hone {\"type\":\"final\",\"value\":1}\n\xff\xfe bytes\n");
    hone::fuzz::WriteFile(e.dir + "/trials/" + t.id + "/stderr.log", "warning: something\n");
    if (running && i == trials - 1) continue;
    t.ended_at = t.started_at + 1 + i;
    t.status = i == 3 ? hone::TrialStatus::kFailed : hone::TrialStatus::kSucceeded;
    if (i != 3) t.final_value = x, t.final_metrics = {{"default", x}, {"loss", 1 - x}};
    ok = ok && (*storage)->UpdateTrial(t).ok();
  }
  if (!ok || !(*storage)->Flush().ok()) hone::fuzz::Fail("cannot write the experiment's trials", id);
}

// HONE_HOME with experiments "run1" (running: this process is its manager), "done2"
// and "bad3" (a database that is not SQLite), plus the secret no answer may carry.
std::string MakeHome() {
  const std::string root = hone::fuzz::ScratchDir();
  const std::string home = root + "/home";
  hone::fuzz::WriteFile(root + "/secret.txt", kSecret);
  MakeExperiment(home, "run1", 8, /*running=*/true);
  MakeExperiment(home, "done2", 5, /*running=*/false);
  std::filesystem::remove(hone::ExperimentDir(home, "done2") + "/trials/1/stdout.log");
  std::filesystem::create_symlink(root + "/secret.txt", hone::ExperimentDir(home, "done2") + "/trials/1/stdout.log");
  hone::ExperimentEntry bad{.id = "bad3", .name = "bad", .dir = hone::ExperimentDir(home, "bad3"), .status = "done"};
  auto registry = hone::ExperimentRegistry::Open(home);
  if (!registry.ok() || !(*registry)->Add(bad).ok()) hone::fuzz::Fail("cannot register bad3");
  hone::fuzz::WriteFile(bad.dir + "/hone.db", std::string(4096, 'x'));
  return home;
}

struct Fixture {
  Fixture() : state(MakeHome()) {
    state.token = kToken;
    // Live-update streams and log downloads answer their first part and end, as when
    // the server stops, instead of polling every 500 ms.
    state.stopping = true;
    server.set_payload_max_length(kMaxBodyBytes);
    server.set_exception_handler([](const httplib::Request& req, httplib::Response&, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      hone::fuzz::Fail("a route let an exception through: " + what, req.method + " " + req.target);
    });
    hone::webui::AddReadRoutes(server, state);
    hone::webui::AddFileRoutes(server, state);
    hone::webui::AddSeriesRoutes(server, state);
    hone::webui::AddLiveRoutes(server, state);
    hone::webui::AddActionRoutes(server, state);
    hone::webui::AddAssetRoutes(server, state);
  }
  hone::webui::ServerState state;
  MemoryServer server;
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

// The input in the format above, as the bytes of an HTTP/1.1 request.
std::string ToHttpRequest(std::string_view input) {
  size_t eol = input.find('\n');
  std::string request(input.substr(0, eol));
  request += " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n";
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
  while (!rest.empty()) {
    eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.empty()) break;
    request.append(line).append("\r\n");
  }
  request += "Content-Length: " + std::to_string(rest.size()) + "\r\n\r\n";
  request.append(rest);
  return request;
}

// Whether `answer` holds the secret. Not instrumented for coverage, so that libFuzzer
// never sees the secret in a comparison and writes it into a request (an error that
// echoes the path would then "leak" it).
__attribute__((no_sanitize("coverage"))) bool HasSecret(const std::string& answer) {
  const std::string_view secret(kSecret);
  for (size_t i = 0; i + secret.size() <= answer.size(); ++i) {
    size_t j = 0;
    while (j < secret.size() && answer[i + j] == secret[j]) ++j;
    if (j == secret.size()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GetFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string answer = GetFixture().server.Handle(ToHttpRequest(input));
  if (HasSecret(answer)) hone::fuzz::Fail("an answer carries a file from outside HONE_HOME", input);
  return 0;
}
