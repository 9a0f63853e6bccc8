// The web UI's static files (HTML, JS, CSS), embedded in the hone binary at build time.
// Built by webui/frontend/CMakeLists.txt (target hone_webui_assets) from the Vite output;
// nothing is read from disk and no Node.js is needed at run time.
//
// Contract:
//   FindAsset("/index.html")             -> the page; serve it for "/" too
//   FindAsset("/assets/index-<hash>.js") -> a hashed bundle (immutable: may be cached forever)
//   FindAsset("/nope") or FindAsset("")  -> nullptr
// Paths are exact and case-sensitive, start with '/', carry no query string and are never
// resolved against a file system, so no request path can leave the embedded set. The UI
// routes with the URL fragment (#/experiments/...), so the server needs no fallback route.
// The returned pointer and its views live for the whole program. Thread-safe.
#pragma once

#include <string_view>

namespace hone::webui {

struct Asset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;          // the file's bytes
};

const Asset* FindAsset(std::string_view path);

}  // namespace hone::webui
