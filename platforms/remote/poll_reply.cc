#include "platforms/remote/poll_reply.h"

#include <sstream>

namespace hone {

StatusOr<std::vector<PollRecord>> ParsePollReply(const std::string& text) {
  std::vector<PollRecord> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos || text.compare(pos, 3, "@T ") != 0)
      return Internal("unexpected poll reply at byte " + std::to_string(pos));
    std::istringstream header(text.substr(pos + 3, nl - pos - 3));
    PollRecord r;
    std::string exit;
    long long n = -1, m = -1;
    if (!(header >> r.seq >> exit >> n >> m) || n < 0 || m < 0)
      return Internal("malformed poll header: " + text.substr(pos, nl - pos));
    int has_output = 0;
    if (header >> has_output) r.has_output = has_output == 1;
    if (exit != "-") {
      try {
        r.exit_status = std::stoi(exit);
      } catch (...) {
        return Internal("malformed exit status in poll reply: " + exit);
      }
    }
    pos = nl + 1;
    if (text.size() - pos < static_cast<size_t>(n + m)) return Internal("poll reply cut short");
    r.stdout_bytes = text.substr(pos, n);
    r.stderr_bytes = text.substr(pos + n, m);
    pos += n + m;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hone
