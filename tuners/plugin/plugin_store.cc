#include "tuners/plugin/plugin_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace hone::plugin {

namespace fs = std::filesystem;
using nlohmann::json;

std::string PluginStorePath(const std::string& hone_home) { return hone_home + "/plugins.json"; }

StatusOr<std::vector<PluginEntry>> LoadPluginEntries(const std::string& hone_home) {
  std::string path = PluginStorePath(hone_home);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::vector<PluginEntry>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("plugins") || !j["plugins"].is_array())
    return IoError(path + ": not a plugin list (expected {\"plugins\": [...]})");
  std::vector<PluginEntry> out;
  for (const auto& p : j["plugins"]) {
    if (!p.is_object()) return IoError(path + ": each plugin must be an object");
    PluginEntry e;
    e.name = p.value("name", std::string());
    e.kind = p.value("kind", std::string("tuner")) == "assessor" ? PluginKind::kAssessor : PluginKind::kTuner;
    e.library = p.value("library", std::string());
    e.command = p.value("command", std::string());
    e.dir = p.value("dir", std::string());
    e.summary = p.value("summary", std::string());
    if (e.name.empty() || e.library.empty() == e.command.empty())
      return IoError(path + ": plugin entry needs a name and exactly one of library or command");
    out.push_back(std::move(e));
  }
  return out;
}

Status SavePluginEntries(const std::string& hone_home, const std::vector<PluginEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json p = {{"name", e.name}, {"kind", std::string(PluginKindName(e.kind))}};
    if (!e.library.empty()) p["library"] = e.library;
    if (!e.command.empty()) p["command"] = e.command;
    if (!e.dir.empty()) p["dir"] = e.dir;
    if (!e.summary.empty()) p["summary"] = e.summary;
    list.push_back(std::move(p));
  }
  std::error_code ec;
  fs::create_directories(hone_home, ec);
  std::string path = PluginStorePath(hone_home);
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError(tmp + ": cannot be written");
    out << json{{"plugins", list}}.dump(2) << "\n";
    if (!out) return IoError(tmp + ": write failed");
  }
  fs::rename(tmp, path, ec);
  if (ec) return IoError(path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace hone::plugin
