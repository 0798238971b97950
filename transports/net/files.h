// files.h: the directories above an endpoint's path (FIFO, unix socket, lock file).
// Threading: pure function (file system calls only).
#pragma once

#include <sys/stat.h>

#include <string>

namespace sb::transports {

/// Creates every missing directory above `path` with `mode` (0750: a private run directory,
/// reachable by the owner's group only). Existing ones are left as they are; a failure shows
/// when the endpoint itself is then created, with its own message.
inline void make_parent_dirs(const std::string& path, mode_t mode = 0750) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1))
    ::mkdir(path.substr(0, slash).c_str(), mode);
}

}  // namespace sb::transports
