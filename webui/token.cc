#include "webui/token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace hone::webui {
namespace {

constexpr size_t kTokenLength = 64;

bool IsHexToken(std::string_view s) {
  if (s.size() != kTokenLength) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

StatusOr<std::string> ReadToken(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  if (n < 0) return IoError("cannot read " + path + ": " + std::strerror(errno));
  std::string token(buf, static_cast<size_t>(n));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (!IsHexToken(token))
    return FailedPrecondition(path + ": expected 64 lowercase hex characters; delete the file to get a new token");
  return token;
}

}  // namespace

std::string TokenPath(const std::string& home) { return (std::filesystem::path(home) / "webui.token").string(); }

StatusOr<std::string> LoadOrCreateToken(const std::string& home) {
  const std::string path = TokenPath(home);
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadToken(path);
    return IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  std::random_device rd;  // the kernel's CSPRNG on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  while (token.size() < kTokenLength) {
    uint32_t r = rd();
    for (int i = 0; i < 8; ++i, r >>= 4) token += kHex[r & 0xf];
  }
  std::string line = token + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::fchmod(fd, 0600);  // whatever the umask
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return IoError("cannot write " + path);
  }
  return token;
}

bool BearerMatches(std::string_view header, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.substr(0, kBearer.size()) != kBearer) return false;
  std::string_view given = header.substr(kBearer.size());
  if (given.size() != token.size() || token.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

}  // namespace hone::webui
