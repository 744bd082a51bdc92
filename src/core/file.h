// File: src/core/file.h
// Small files written whole and durably: the one implementation of
// "write a temporary file, fsync it, rename it over the old one, fsync the
// directory" that stores, state files and key files share.
//
//   if (auto st = write_file_atomically(dir + "/state", text, 0640); !st) log(st.error().message);
//   write_all(fd, line);   // appends: whole, retrying short writes and EINTR
//   std::string text = read_file_or_empty(dir + "/state");  // "" when absent
//
// DIAGNOSTICS: Errc::kIo naming the file and the system's reason. After a
// failure the old file is untouched and the temporary file
// (<path>.tmp.<pid>) removed; a reader never sees a partial file.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart {

Status write_file_atomically(const std::string& path, std::string_view data, mode_t mode = 0600);
Status write_all(int fd, std::string_view data);
Status fsync_dir(const std::string& dir);
// A whole small file as written by write_file_atomically; "" when it does not
// exist or cannot be read (a first start reads nothing).
std::string read_file_or_empty(const std::string& path);

}  // namespace rampart
