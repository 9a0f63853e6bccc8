// GET a trial's output files: the list of trials/<seq>/output/ and one file of it (the
// pictures and files a trial writes to HONE_OUTPUT_DIR, such as `hone nas train`'s
// cell.svg and arch.yaml). Only regular files directly in output/ are listed or served;
// the path is built here from the experiment directory, the seq and a checked name, and
// every step (trial directory, output/, the file) is opened without following a
// symlink. Every file is served with a sandboxing Content-Security-Policy, so an SVG a
// trial wrote cannot run script even when opened on its own.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "webui/routes.h"

namespace hone::webui {
namespace {

using nlohmann::json;

constexpr int64_t kMaxOutputFileBytes = 32 << 20;
constexpr size_t kMaxListed = 500;
constexpr const char* kOutputFileSecurity = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

// A name of a file directly in output/: 1..255 bytes, no '/', '\', '"' or control
// characters, not starting with '.' (so neither "." nor ".." nor hidden files).
bool IsOutputName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name[0] == '.') return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '"') return false;
  }
  return true;
}

std::string Extension(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// The content type by extension; `inline_shown` tells whether a browser may show it.
std::string ContentTypeOf(std::string_view name, bool* inline_shown) {
  const std::string ext = Extension(name);
  *inline_shown = true;
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  for (const char* text : {"txt", "yaml", "yml", "json", "log", "csv", "md"})
    if (ext == text) return "text/plain; charset=utf-8";
  *inline_shown = false;
  return "application/octet-stream";
}

// trials/<seq>/output of the experiment as a directory descriptor; fd -1 when the trial
// has no output directory. The trial directory and output/ must not be symlinks.
StatusOr<std::shared_ptr<OpenFile>> OpenOutputDir(const TrialTarget& t) {
  auto trial_dir = std::filesystem::path(t.entry.dir) / "trials" / std::to_string(t.seq);
  auto dir = std::make_shared<OpenFile>();
  OpenFile trial;
  trial.fd = ::open(trial_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (trial.fd >= 0) dir->fd = ::openat(trial.fd, "output", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir->fd >= 0 || errno == ENOENT) return dir;
  return FailedPrecondition("the output directory of trial " + std::to_string(t.seq) +
                            " cannot be opened (or is not a directory)");
}

// The regular files directly in `dir` with a valid name, sorted by name, at most kMaxListed.
json ListOutputs(int dir_fd, bool* truncated) {
  std::vector<std::pair<std::string, int64_t>> files;
  *truncated = false;
  int fd = ::dup(dir_fd);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (d == nullptr && fd >= 0) ::close(fd);
  while (d != nullptr) {
    struct dirent* e = ::readdir(d);
    if (e == nullptr) break;
    struct stat st {};
    if (!IsOutputName(e->d_name) || ::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    files.emplace_back(e->d_name, static_cast<int64_t>(st.st_size));
  }
  if (d != nullptr) ::closedir(d);
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxListed) {
    files.resize(kMaxListed);
    *truncated = true;
  }
  json out = json::array();
  for (const auto& [name, size] : files) {
    bool shown = false;
    out.push_back({{"name", name}, {"size", size}, {"type", ContentTypeOf(name, &shown)}});
  }
  return out;
}

// Opens output/<name>: a regular file of at most kMaxOutputFileBytes, not a symlink.
StatusOr<std::shared_ptr<OpenFile>> OpenOutputFile(const TrialTarget& t, int dir_fd, const std::string& name,
                                             int64_t* size) {
  auto file = std::make_shared<OpenFile>();
  const std::string what = "output file '" + name + "' of trial " + std::to_string(t.seq);
  if (dir_fd >= 0) file->fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (file->fd < 0) {
    if (dir_fd < 0 || errno == ENOENT) return NotFound("trial " + std::to_string(t.seq) + " has no " + what);
    return FailedPrecondition("the " + what + " cannot be opened (a symlink is never followed)");
  }
  struct stat st {};
  if (::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode)) return FailedPrecondition("the " + what + " is not a regular file");
  if (st.st_size > kMaxOutputFileBytes)
    return FailedPrecondition("the " + what + " is larger than " + std::to_string(kMaxOutputFileBytes >> 20) +
                              " MiB; read it from the trial's output directory");
  *size = st.st_size;
  return file;
}

void ServeOutputFile(httplib::Response& res, const std::string& name, std::shared_ptr<OpenFile> file, int64_t size) {
  bool shown = false;
  const std::string type = ContentTypeOf(name, &shown);
  res.set_header("Content-Security-Policy", kOutputFileSecurity);
  res.set_header("Content-Disposition", std::string(shown ? "inline" : "attachment") + "; filename=\"" + name + "\"");
  if (size == 0) return res.set_content("", type);
  StreamFile(res, std::move(file), size, type);
}

}  // namespace

void AddOutputRoutes(httplib::Server& server, ServerState& state) {
  server.Get(R"(/api/v1/experiments/([^/]+)/trials/([^/]+)/outputs)", [&state](const httplib::Request& req,
                                                                              httplib::Response& res) {
    auto target = ResolveTrialOrReply(state, req, res);
    if (!target) return;
    auto dir = OpenOutputDir(*target);
    if (!dir.ok()) return ReplyStatus(res, dir.status());
    bool truncated = false;
    json files = (*dir)->fd >= 0 ? ListOutputs((*dir)->fd, &truncated) : json::array();
    ReplyJson(res, {{"files", files}, {"truncated", truncated}});
  });

  server.Get(R"(/api/v1/experiments/([^/]+)/trials/([^/]+)/outputs/([^/]+))", [&state](const httplib::Request& req,
                                                                                      httplib::Response& res) {
    auto target = ResolveTrialOrReply(state, req, res);
    if (!target) return;
    const std::string name = req.matches[3].str();
    if (!IsOutputName(name))
      return ReplyError(res, 400, "an output file is named by a plain file name (no '/', not starting with '.')");
    auto dir = OpenOutputDir(*target);
    if (!dir.ok()) return ReplyStatus(res, dir.status());
    int64_t size = 0;
    auto file = OpenOutputFile(*target, (*dir)->fd, name, &size);
    if (!file.ok()) return ReplyStatus(res, file.status());
    ServeOutputFile(res, name, *file, size);
  });
}

}  // namespace hone::webui
