// What every route of the web server shares: its state, JSON and error replies,
// query-parameter parsing with 400s for bad input, and resolving the experiment a
// path names. Internal to webui/ (the only place that includes httplib).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/status.h"
#include "webui/experiment_catalog.h"

namespace hone::webui {

struct ServerState {
  explicit ServerState(std::string home) : catalog(std::move(home)) {}
  ExperimentCatalog catalog;
  std::string token;
  bool read_only = false;
  bool loopback = true;
  std::atomic<bool> stopping{false};
  std::atomic<int> streams{0};  // open live-update streams
};

inline constexpr int kMaxStreams = 64;
inline constexpr int64_t kMaxPageLimit = 1000;

double NowSeconds();

void ReplyJson(httplib::Response& res, const nlohmann::json& body, int status = 200);
void ReplyError(httplib::Response& res, int status, const std::string& message);
// 400 for InvalidArgument, 404 NotFound, 409 FailedPrecondition, 503 Unavailable, else 500.
int HttpStatusFor(const Status& status);
void ReplyStatus(httplib::Response& res, const Status& status);

// The query parameter `name` as an integer in [min, max]; `def` when absent. Values
// above max are clamped when `clamp`, else 400.
StatusOr<int64_t> IntParam(const httplib::Request& req, const std::string& name, int64_t def, int64_t min,
                           int64_t max, bool clamp = false);
StatusOr<double> DoubleParam(const httplib::Request& req, const std::string& name, double def, double min,
                             double max);
// The parameter, or `def`; 400 unless it is one of `allowed`.
StatusOr<std::string> ChoiceParam(const httplib::Request& req, const std::string& name, const std::string& def,
                                  std::initializer_list<std::string_view> allowed);
// A trial seq from a path segment.
StatusOr<int64_t> ParseSeq(const std::string& text);

// The experiment named by req.matches[1]; replies with the error and returns nullopt.
std::optional<ExperimentEntry> ResolveOrReply(ServerState& state, const httplib::Request& req,
                                              httplib::Response& res);

// The experiment (req.matches[1]) and an existing trial seq (req.matches[2]); replies
// with the error (400 bad seq, 404 unknown experiment or trial) and returns nullopt.
struct TrialTarget {
  ExperimentEntry entry;
  int64_t seq = 0;
};
std::optional<TrialTarget> ResolveTrialOrReply(ServerState& state, const httplib::Request& req,
                                               httplib::Response& res);

// An open file descriptor, closed with the last owner (a streamed answer holds one).
struct OpenFile {
  int fd = -1;
  OpenFile() = default;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();
};

// Answers with the first `size` bytes of `file`, read in 64 KiB pieces as the client
// takes them; a file that shrank meanwhile ends the answer early.
void StreamFile(httplib::Response& res, std::shared_ptr<OpenFile> file, int64_t size, const std::string& type);

}  // namespace hone::webui
