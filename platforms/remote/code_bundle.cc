#include "platforms/remote/code_bundle.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace hone {
namespace fs = std::filesystem;

namespace {

struct IgnoreRule {
  std::string pattern;
  bool anchored = false;  // matches the relative path, not the name
  bool dir_only = false;
};

std::vector<IgnoreRule> ReadIgnoreRules(const std::string& dir) {
  std::vector<IgnoreRule> rules;
  for (const char* name : {".honeignore", ".nniignore"}) {
    std::ifstream in(dir + "/" + name);
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      IgnoreRule r;
      if (line.back() == '/') {
        r.dir_only = true;
        line.pop_back();
      }
      if (line.find('/') != std::string::npos) r.anchored = true;
      if (!line.empty() && line[0] == '/') line.erase(0, 1);
      if (line.empty()) continue;
      r.pattern = line;
      rules.push_back(r);
    }
  }
  return rules;
}

bool Ignored(const std::vector<IgnoreRule>& rules, const std::string& rel, bool is_dir) {
  std::string name = fs::path(rel).filename().string();
  for (const auto& r : rules) {
    if (r.dir_only && !is_dir) continue;
    const std::string& subject = r.anchored ? rel : name;
    if (fnmatch(r.pattern.c_str(), subject.c_str(), r.anchored ? FNM_PATHNAME : 0) == 0) return true;
  }
  return false;
}

// Two FNV-1a streams with different offsets: 128 bits, enough to name code copies.
struct Hasher {
  uint64_t a = 1469598103934665603ull, b = 0x84222325cbf29ce4ull;
  void Add(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      a = (a ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
      b = (b ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
      b ^= b >> 29;
    }
  }
  std::string Hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    return buf;
  }
};

Status HashFile(const fs::path& path, bool is_link, Hasher* h) {
  if (is_link) {
    std::string target = fs::read_symlink(path).string();
    h->Add(target.data(), target.size());
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read '" + path.string() + "'");
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) h->Add(buf, static_cast<size_t>(in.gcount()));
  return Status::Ok();
}

std::string SizeText(int64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

Status TooLarge(const CodeBundle& b, int64_t limit, std::vector<std::pair<int64_t, std::string>> sizes) {
  std::sort(sizes.rbegin(), sizes.rend());
  std::string largest;
  for (size_t i = 0; i < sizes.size() && i < 3; ++i)
    largest += (i ? ", " : "") + sizes[i].second + " (" + SizeText(sizes[i].first) + ")";
  return InvalidArgument("trialCodeDirectory '" + b.dir + "' holds " + SizeText(b.bytes) +
                         ", more than trainingService.trialCodeSizeLimit (" + SizeText(limit) +
                         ") allows to ship to remote hosts; largest: " + largest +
                         ". List data and outputs in .honeignore (or .nniignore), or raise the limit");
}

}  // namespace

StatusOr<CodeBundle> ReadCodeBundle(const std::string& dir, int64_t size_limit) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return InvalidArgument("trialCodeDirectory '" + dir + "' is not a directory");
  CodeBundle b;
  b.dir = fs::absolute(dir).lexically_normal().string();
  std::vector<IgnoreRule> rules = ReadIgnoreRules(b.dir);
  std::vector<std::pair<int64_t, std::string>> sizes;
  fs::recursive_directory_iterator it(b.dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    std::string rel = fs::relative(e.path(), b.dir).string();
    bool is_link = e.is_symlink(ec);
    bool is_dir = !is_link && e.is_directory(ec);
    if (Ignored(rules, rel, is_dir)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (is_dir || (!is_link && !e.is_regular_file(ec))) continue;
    int64_t size = is_link ? 0 : static_cast<int64_t>(e.file_size(ec));
    b.files.push_back(rel);
    b.bytes += size;
    sizes.emplace_back(size, rel);
  }
  if (ec) return IoError("cannot list trialCodeDirectory '" + b.dir + "': " + ec.message());
  if (b.bytes > size_limit) return TooLarge(b, size_limit, std::move(sizes));
  std::sort(b.files.begin(), b.files.end());
  Hasher h;
  for (const auto& rel : b.files) {
    h.Add(rel.c_str(), rel.size() + 1);
    fs::path p = fs::path(b.dir) / rel;
    Status st = HashFile(p, fs::is_symlink(p, ec), &h);
    if (!st.ok()) return st;
    h.Add("\0", 1);
  }
  b.hash = h.Hex();
  return b;
}

Status WriteFileList(const CodeBundle& bundle, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& f : bundle.files) out << f << '\0';
  out.close();
  if (!out) return IoError("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace hone
