// File: src/core/result.h
// Result<T> = tl::expected<T, Error>, the type every module boundary returns.
//
//   Result<int> parse_port(std::string_view s) {
//     if (s.empty()) return fail(Errc::kParse, "empty port");
//     ...
//   }
//   auto r = parse_port(x);
//   if (!r) log_warn("{}", r.error().message);
//
// Error keeps a code, a category and a message. The category tells the caller
// whether trying again later can help (kTemporary) or not: that is what turns
// into 4xx versus 5xx at the SMTP edge.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace rampart {

enum class Errc {
  kOk = 0,
  kInvalidArgument,  // caller passed something unusable
  kParse,            // input bytes are malformed
  kNotFound,         // a lookup found nothing (not a failure of the lookup)
  kTemporary,        // try again later: timeouts, SERVFAIL, overload
  kPermanent,        // will fail the same way next time
  kLimit,            // a configured bound was hit (size, depth, count)
  kIo,               // filesystem / socket error
  kConfig,           // configuration is invalid
  kInternal,         // a bug: should not happen
};

enum class ErrorCategory { kTemporary, kPermanent, kInternal };

std::string_view errc_name(Errc c);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  ErrorCategory category() const {
    switch (code) {
      case Errc::kTemporary:
      case Errc::kIo: return ErrorCategory::kTemporary;
      case Errc::kInternal: return ErrorCategory::kInternal;
      default: return ErrorCategory::kPermanent;
    }
  }
  bool temporary() const { return category() != ErrorCategory::kPermanent; }
  std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace rampart
