// GET /api/v1/experiments/{id}/events: server-sent events. Each stream checks the
// experiment's database every 500 ms with a pooled connection (returned between
// checks) and sends only what changed after its cursor: changed trials, new
// intermediate results and the overview counters.
#include <chrono>
#include <memory>
#include <thread>

#include "webui/json_view.h"
#include "webui/routes.h"

namespace hone::webui {
namespace {

using nlohmann::json;

constexpr auto kCheckInterval = std::chrono::milliseconds(500);
constexpr auto kSleepStep = std::chrono::milliseconds(50);
constexpr double kPingInterval = 15.0;
constexpr int kMaxTrialsPerEvent = 500;
constexpr int kMaxMetricsPerEvent = 5000;

// Counts the stream as open for as long as any copy of the provider lives.
struct StreamSlot {
  explicit StreamSlot(std::atomic<int>& n) : count(n) {}
  ~StreamSlot() { count.fetch_sub(1); }
  std::atomic<int>& count;
};

struct LiveStream {
  ExperimentEntry entry;
  ChangeCursor cursor;
  bool first = true;
  bool pending = false;  // the last check was cut short by a limit: check again at once
  double last_write = 0;
  std::shared_ptr<StreamSlot> slot;
};

// One check: the event text to send ("" when nothing changed), or an error.
StatusOr<std::string> Check(ServerState& state, LiveStream& s) {
  auto query = state.catalog.Query(s.entry);
  if (!query.ok()) return query.status();
  HONE_RETURN_IF_ERROR((*query)->BeginSnapshot());
  auto changes = (*query)->ChangesSince(s.cursor, kMaxTrialsPerEvent, kMaxMetricsPerEvent);
  if (!changes.ok()) return changes.status();
  s.pending = changes->more;
  if (changes->trials.empty() && changes->metrics.empty()) return std::string();
  const double now = NowSeconds();
  json trials = json::array();
  for (const auto& t : changes->trials) trials.push_back(SummaryJson(t, now));
  json metrics = json::array();
  for (const auto& m : changes->metrics) metrics.push_back({{"seq", m.seq}, {"step", m.step}, {"value", JsonNumber(m.value)}});
  auto overview = OverviewJson(s.entry, ExperimentCatalog::IsRunning(s.entry), **query, /*full=*/false, now,
                               state.catalog);
  if (!overview.ok()) return overview.status();
  s.cursor = changes->cursor;
  json data = {{"cursor", s.cursor.ToString()}, {"trials", trials}, {"metrics", metrics}, {"experiment", *overview}};
  return "id: " + s.cursor.ToString() + "\nevent: update\ndata: " +
         data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace

void AddLiveRoutes(httplib::Server& server, ServerState& state) {
  server.Get(R"(/api/v1/experiments/([^/]+)/events)", [&state](const httplib::Request& req, httplib::Response& res) {
    auto entry = ResolveOrReply(state, req, res);
    if (!entry) return;
    std::string cursor_text = req.has_param("cursor") ? req.get_param_value("cursor")
                                                      : req.get_header_value("Last-Event-ID");
    auto stream = std::make_shared<LiveStream>();
    stream->entry = *entry;
    if (!cursor_text.empty()) {
      auto cursor = ChangeCursor::Parse(cursor_text);
      if (!cursor) return ReplyError(res, 400, "cursor: expected a cursor from an earlier answer, but got '" +
                                                   cursor_text.substr(0, 40) + "'");
      stream->cursor = *cursor;
    } else {
      auto query = state.catalog.Query(*entry);
      if (!query.ok()) return ReplyStatus(res, query.status());
      auto now = (*query)->CurrentCursor();
      if (!now.ok()) return ReplyStatus(res, now.status());
      stream->cursor = *now;
    }
    if (state.streams.fetch_add(1) >= kMaxStreams) {
      state.streams.fetch_sub(1);
      return ReplyError(res, 503, "too many live-update streams are open (at most " + std::to_string(kMaxStreams) + ")");
    }
    stream->slot = std::make_shared<StreamSlot>(state.streams);
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [stream, &state](size_t, httplib::DataSink& sink) {
      LiveStream& s = *stream;
      if (s.first) {
        s.first = false;
        s.last_write = NowSeconds();
        std::string hello = "retry: 2000\n: cursor " + s.cursor.ToString() + "\n\n";
        return sink.write(hello.data(), hello.size());
      }
      if (!s.pending) {
        for (auto waited = std::chrono::milliseconds(0); waited < kCheckInterval; waited += kSleepStep) {
          if (state.stopping.load() || !sink.is_writable()) return false;
          std::this_thread::sleep_for(kSleepStep);
        }
      }
      if (state.stopping.load()) return false;
      auto event = Check(state, s);
      if (!event.ok()) {
        std::string error = "event: error\ndata: " + json{{"error", event.status().message()}}.dump() + "\n\n";
        sink.write(error.data(), error.size());
        return false;
      }
      const double now = NowSeconds();
      if (event->empty() && now - s.last_write < kPingInterval) return true;
      std::string text = event->empty() ? std::string(": ping\n\n") : *event;
      s.last_write = now;
      return sink.write(text.data(), text.size());
    });
  });
}

}  // namespace hone::webui
