// GET a trial's log tail and download, and the experiment export (JSON, CSV). Logs are
// addressed by trial seq only: the path is built here from the experiment directory
// and the seq, opened without following a symlink, and must be a regular file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "webui/json_view.h"
#include "webui/routes.h"

namespace hone::webui {
namespace {

using nlohmann::json;

constexpr int64_t kMaxTail = 1 << 20;
constexpr int kExportBatch = 1000;

// Opens trials/<seq>/<stream>.log of the experiment; fd -1 when it does not exist.
StatusOr<std::shared_ptr<OpenFile>> OpenLog(const ExperimentEntry& e, int64_t seq, const std::string& stream, int64_t* size) {
  auto path = std::filesystem::path(e.dir) / "trials" / std::to_string(seq) / (stream + ".log");
  auto fd = std::make_shared<OpenFile>();
  *size = 0;
  fd->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd->fd < 0) {
    if (errno == ENOENT) return fd;
    return FailedPrecondition("the " + stream + " log of trial " + std::to_string(seq) + " cannot be opened");
  }
  struct stat st {};
  if (::fstat(fd->fd, &st) != 0 || !S_ISREG(st.st_mode))
    return FailedPrecondition("the " + stream + " log of trial " + std::to_string(seq) + " is not a regular file");
  *size = st.st_size;
  return fd;
}

// The experiment, an existing trial seq and the log stream of the request, or an error reply.
struct LogTarget {
  ExperimentEntry entry;
  int64_t seq = 0;
  std::string stream;
};

std::optional<LogTarget> ResolveTrial(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto target = ResolveTrialOrReply(state, req, res);
  if (!target) return std::nullopt;
  auto stream = ChoiceParam(req, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return ReplyStatus(res, stream.status()), std::nullopt;
  return LogTarget{target->entry, target->seq, *stream};
}

// Invalid UTF-8 becomes U+FFFD (json::dump with replace does it on the way out).
std::string CutToLine(std::string text, bool cut) {
  if (!cut) return text;
  size_t nl = text.find('\n');
  if (nl != std::string::npos && nl + 1 < text.size()) return text.substr(nl + 1);
  size_t i = 0;  // no newline: at least start on a UTF-8 boundary
  while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  return text.substr(i);
}

std::string CsvValue(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvField(v.get<std::string>());
  return CsvField(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

// State of one streamed export: the connection it reads with and how far it got.
struct ExportStream {
  explicit ExportStream(QueryLease q) : query(std::move(q)) {}
  QueryLease query;
  bool csv = false;
  int64_t after = -1;
  bool started = false;
  bool finished = false;
  std::vector<std::string> param_paths, metric_keys;
};

std::string ExportChunk(ExportStream& s, const std::vector<TrialRecord>& trials) {
  std::string out;
  if (!s.started) {
    s.started = true;
    if (s.csv) {
      out = "id,seq,status,final,duration_s,reason";
      for (const auto& p : s.param_paths) out += "," + CsvField("param." + p);
      for (const auto& k : s.metric_keys) out += "," + CsvField("metric." + k);
      out += "\n";
    } else {
      out = "[";
    }
  }
  for (const auto& t : trials) {
    if (s.csv) {
      json j = TrialJson(t);
      json flat = json::object();
      FlattenParams(t.params, "", &flat);
      out += CsvField(t.id) + "," + std::to_string(t.seq) + "," + std::string(TrialStatusName(t.status)) + "," +
             CsvValue(j["final"]) + "," + CsvValue(j["duration_s"]) + "," + CsvField(t.reason);
      for (const auto& p : s.param_paths) out += "," + CsvValue(flat.contains(p) ? flat[p] : json());
      for (const auto& k : s.metric_keys) out += "," + CsvValue(j["metrics"].contains(k) ? j["metrics"][k] : json());
      out += "\n";
    } else {
      out += (s.after >= 0 ? ",\n" : "\n") + TrialJson(t).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    s.after = t.seq;
  }
  return out;
}

}  // namespace

void AddFileRoutes(httplib::Server& server, ServerState& state) {
  server.Get(R"(/api/v1/experiments/([^/]+)/trials/([^/]+)/log)", [&state](const httplib::Request& req,
                                                                          httplib::Response& res) {
    auto target = ResolveTrial(state, req, res);
    if (!target) return;
    auto tail = IntParam(req, "tail", 65536, 1, kMaxTail);
    if (!tail.ok()) return ReplyStatus(res, tail.status());
    int64_t size = 0;
    auto fd = OpenLog(target->entry, target->seq, target->stream, &size);
    if (!fd.ok()) return ReplyStatus(res, fd.status());
    int64_t offset = std::max<int64_t>(0, size - *tail);
    std::string text(static_cast<size_t>(size - offset), '\0');
    ssize_t n = (*fd)->fd >= 0 && !text.empty() ? ::pread((*fd)->fd, text.data(), text.size(), offset) : 0;
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    std::string shown = CutToLine(std::move(text), offset > 0);
    int64_t shown_offset = size - static_cast<int64_t>(shown.size());
    ReplyJson(res, {{"stream", target->stream}, {"size", size}, {"offset", std::max<int64_t>(0, shown_offset)},
                    {"truncated", shown_offset > 0}, {"text", shown}});
  });

  server.Get(R"(/api/v1/experiments/([^/]+)/trials/([^/]+)/log/download)", [&state](const httplib::Request& req,
                                                                                   httplib::Response& res) {
    auto target = ResolveTrial(state, req, res);
    if (!target) return;
    int64_t size = 0;
    auto fd = OpenLog(target->entry, target->seq, target->stream, &size);
    if (!fd.ok()) return ReplyStatus(res, fd.status());
    res.set_header("Content-Disposition", "attachment; filename=\"" + target->entry.id + "-trial-" +
                                              std::to_string(target->seq) + "-" + target->stream + ".log\"");
    if ((*fd)->fd < 0 || size == 0) return res.set_content("", "text/plain; charset=utf-8");
    StreamFile(res, *fd, size, "text/plain; charset=utf-8");
  });

  server.Get(R"(/api/v1/experiments/([^/]+)/export)", [&state](const httplib::Request& req, httplib::Response& res) {
    auto entry = ResolveOrReply(state, req, res);
    if (!entry) return;
    auto format = ChoiceParam(req, "format", "json", {"json", "csv"});
    if (!format.ok()) return ReplyStatus(res, format.status());
    auto query = state.catalog.Query(*entry);
    if (!query.ok()) return ReplyStatus(res, query.status());
    auto stream = std::make_shared<ExportStream>(std::move(*query));
    stream->csv = *format == "csv";
    if (stream->csv) {
      json config = json::parse(stream->query->GetMeta("config").value_or("{}"), nullptr, false);
      json space = config.is_object() && config.contains("searchSpace") ? config["searchSpace"] : json::object();
      for (const auto& c : ParamColumns(space)) stream->param_paths.push_back(c.path);
      auto keys = stream->query->MetricKeys(200);
      if (!keys.ok()) return ReplyStatus(res, keys.status());
      for (const auto& k : *keys)
        if (k != "default") stream->metric_keys.push_back(k);
    }
    res.set_header("Content-Disposition", "attachment; filename=\"" + entry->id + "-trials." + *format + "\"");
    res.set_chunked_content_provider(
        stream->csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        [stream, &state](size_t, httplib::DataSink& sink) {
          if (stream->finished || state.stopping.load()) return false;
          auto trials = stream->query->ScanTrials(stream->after, kExportBatch);
          if (!trials.ok()) return false;  // the client sees a cut answer
          std::string chunk = ExportChunk(*stream, *trials);
          if (trials->size() < static_cast<size_t>(kExportBatch)) {
            if (!stream->csv) chunk += stream->after >= 0 ? "\n]\n" : "]\n";
            stream->finished = true;
          }
          if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
          if (stream->finished) sink.done();
          return true;
        });
  });
}

}  // namespace hone::webui
