// File: src/mime/uuencode.h
// uuencoded files in message text (the pre-MIME way to attach a file, still
// sent by old clients, scripts and malware): "begin <mode> <name>", lines of
// data, a zero-length line, "end" -- and the base64 variant
// "begin-base64 <mode> <name>" ... "====" (POSIX uuencode -m).
//
//   std::vector<mime::UuFile> files = mime::find_uuencoded(text);
//   for (const mime::UuFile& f : files) list(f.name, f.size);   // text[f.begin, f.end) is the block
//   mime::UuLimits keep; keep.keep_data = true;                 // f.data holds the bytes
//
// Format (POSIX.1-2017, uuencode "Description of the output" / historical
// encoding): each data line starts with a length character (' ' + n, n = 0..45
// bytes, '`' for 0) followed by ceil(n/3)*4 characters, each carrying six
// bits as ' ' + value ('`' for 0). A line is data when its length character
// and characters agree with that (trailing spaces may be missing, one extra
// character is tolerated: some encoders add a checksum).
//
// A "begin" line starts a file only when a data line or the "end" line
// follows, so prose beginning with "begin 644 ..." is left alone. A file whose
// "end" line is missing ends at its last data line (terminated = false).
//
// DIAGNOSTICS: never fails; at most max_files files (later ones are left in
// the text) and max_data bytes kept per file (size still counts them all).
// Linear time: each line is looked at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mime/decode.h"

namespace rampart::mime {

struct UuFile {
  std::string name;         // as written on the begin line (bytes; the caller decodes the charset)
  uint32_t mode = 0;        // octal permission bits from the begin line
  bool base64 = false;      // "begin-base64"
  size_t begin = 0;         // offset of the begin line
  size_t end = 0;           // offset after the end line (or after the last data line)
  size_t size = 0;          // decoded bytes
  bool terminated = false;  // the "end" (or "====") line was there
  std::string data;         // decoded bytes when UuLimits::keep_data (at most max_data)
};

struct UuLimits {
  size_t max_files = 64;
  bool keep_data = false;
  size_t max_data = kNoLimit;
};

std::vector<UuFile> find_uuencoded(std::string_view text, const UuLimits& limits = {});

// The text with each file's [begin, end) range removed (a client shows these
// as attachments, not as text).
std::string without_uuencoded(std::string_view text, const std::vector<UuFile>& files);

}  // namespace rampart::mime
