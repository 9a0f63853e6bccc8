#include "webui/http_util.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

namespace hone::webui {

double NowSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void ReplyJson(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json; charset=utf-8");
}

void ReplyError(httplib::Response& res, int status, const std::string& message) {
  ReplyJson(res, {{"error", message}}, status);
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void ReplyStatus(httplib::Response& res, const Status& status) { ReplyError(res, HttpStatusFor(status), status.message()); }

StatusOr<int64_t> IntParam(const httplib::Request& req, const std::string& name, int64_t def, int64_t min,
                           int64_t max, bool clamp) {
  if (!req.has_param(name.c_str())) return def;
  std::string text = req.get_param_value(name.c_str());
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range && clamp && !text.empty() && text[0] != '-') v = max;
  else if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return InvalidArgument(name + ": expected an integer, but got '" + text.substr(0, 40) + "'");
  if (v > max && clamp) v = max;
  if (v < min || v > max)
    return InvalidArgument(name + ": must lie in [" + std::to_string(min) + ", " + std::to_string(max) + "], but got " +
                           text.substr(0, 40));
  return v;
}

StatusOr<double> DoubleParam(const httplib::Request& req, const std::string& name, double def, double min,
                             double max) {
  if (!req.has_param(name.c_str())) return def;
  std::string text = req.get_param_value(name.c_str());
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return InvalidArgument(name + ": expected a number, but got '" + text.substr(0, 40) + "'");
  if (v < min || v > max)
    return InvalidArgument(name + ": must lie in [" + std::to_string(min) + ", " + std::to_string(max) + "], but got " +
                           text.substr(0, 40));
  return v;
}

StatusOr<std::string> ChoiceParam(const httplib::Request& req, const std::string& name, const std::string& def,
                                  std::initializer_list<std::string_view> allowed) {
  if (!req.has_param(name.c_str())) return def;
  std::string text = req.get_param_value(name.c_str());
  std::string list;
  for (auto a : allowed) {
    if (a == text) return text;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return InvalidArgument(name + ": expected one of {" + list + "}, but got '" + text.substr(0, 40) + "'");
}

StatusOr<int64_t> ParseSeq(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < 0)
    return InvalidArgument("a trial is addressed by its seq, a non-negative integer, but got '" + text.substr(0, 40) + "'");
  return v;
}

std::optional<ExperimentEntry> ResolveOrReply(ServerState& state, const httplib::Request& req,
                                              httplib::Response& res) {
  auto entry = state.catalog.Resolve(req.matches[1].str());
  if (!entry.ok()) {
    ReplyStatus(res, entry.status());
    return std::nullopt;
  }
  return *entry;
}

std::optional<TrialTarget> ResolveTrialOrReply(ServerState& state, const httplib::Request& req,
                                               httplib::Response& res) {
  auto entry = ResolveOrReply(state, req, res);
  if (!entry) return std::nullopt;
  auto seq = ParseSeq(req.matches[2].str());
  if (!seq.ok()) return ReplyStatus(res, seq.status()), std::nullopt;
  auto query = state.catalog.Query(*entry);
  if (!query.ok()) return ReplyStatus(res, query.status()), std::nullopt;
  auto trial = (*query)->Get(*seq);
  if (!trial.ok()) return ReplyStatus(res, trial.status()), std::nullopt;
  if (!*trial)
    return ReplyError(res, 404, "experiment " + entry->id + " has no trial " + std::to_string(*seq)), std::nullopt;
  return TrialTarget{*entry, *seq};
}

OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

void StreamFile(httplib::Response& res, std::shared_ptr<OpenFile> file, int64_t size, const std::string& type) {
  res.set_content_provider(static_cast<size_t>(size), type,
                           [file = std::move(file)](size_t offset, size_t length, httplib::DataSink& sink) {
                             char buf[65536];
                             ssize_t n = ::pread(file->fd, buf, std::min(length, sizeof(buf)), static_cast<off_t>(offset));
                             if (n <= 0) return false;  // the file shrank: end the answer
                             sink.write(buf, static_cast<size_t>(n));
                             return true;
                           });
}

}  // namespace hone::webui
