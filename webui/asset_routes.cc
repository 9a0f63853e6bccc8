// The front end: embedded assets by exact path, index.html for every other non-API
// path (the app routes with the History API). Without the front end built, "/"
// answers a short note. Unknown /api paths answer a JSON 404.
#include "webui/routes.h"

#ifdef HONE_WEBUI_HAS_ASSETS
#include "webui/assets.h"
#endif

namespace hone::webui {
namespace {

constexpr const char* kPageSecurity =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

}  // namespace

void AddAssetRoutes(httplib::Server& server, ServerState& state) {
  server.Get(R"(/api(/.*)?)", [](const httplib::Request& req, httplib::Response& res) {
    ReplyError(res, 404, "no such API endpoint: GET " + req.path.substr(0, 200));
  });
  server.Get(R"(/.*)", [](const httplib::Request& req, httplib::Response& res) {
#ifdef HONE_WEBUI_HAS_ASSETS
    const Asset* asset = req.path == "/" ? nullptr : FindAsset(req.path);
    const bool is_index = asset == nullptr;
    if (asset == nullptr) asset = FindAsset("/index.html");
    if (asset != nullptr) {
      res.set_content(std::string(asset->body), std::string(asset->content_type));
      if (is_index || asset->path == "/index.html") {
        res.set_header("Content-Security-Policy", kPageSecurity);
        res.set_header("Cache-Control", "no-store");
      } else if (asset->path.rfind("/assets/", 0) == 0) {
        res.set_header("Cache-Control", "public, max-age=31536000, immutable");
      }
      return;
    }
#endif
    res.set_header("Content-Security-Policy", kPageSecurity);
    res.set_content(
        "hone web UI: the front end was not built into this binary (it needs Node.js and npm at build time).\n"
        "The JSON API is at /api/v1/experiments.\n",
        "text/plain; charset=utf-8");
    (void)req;
  });
}

}  // namespace hone::webui
