// CodeBundle: the trial code directory as shipped to remote hosts: its files minus what
// `.honeignore` / `.nniignore` exclude, their total size and a content hash that names
// the copy on each host (`<remoteDir>/code/<hash>`), so unchanged code ships once.
//
// Ignore files hold one glob per line (fnmatch; '#' comments, blank lines skipped). A
// pattern with a '/' inside matches the path relative to the directory (a leading '/'
// anchors it there), one without matches any file or directory name; a trailing '/'
// matches directories only. An ignored directory is skipped whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

struct CodeBundle {
  std::string dir;                 // absolute local directory
  std::vector<std::string> files;  // relative paths of regular files and symlinks, sorted
  int64_t bytes = 0;
  std::string hash;                // 32 hex digits over paths and contents
};

// kInvalidArgument when `dir` is not a directory or holds more than `size_limit` bytes
// (the message names the limit, the size, the largest files and the ignore files).
StatusOr<CodeBundle> ReadCodeBundle(const std::string& dir, int64_t size_limit);

// Writes bundle.files NUL-separated to `path` (for `tar --null -T path`).
Status WriteFileList(const CodeBundle& bundle, const std::string& path);

}  // namespace hone
