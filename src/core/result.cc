#include "core/result.h"

namespace rampart {

std::string_view errc_name(Errc c) {
  switch (c) {
    case Errc::kOk: return "ok";
    case Errc::kInvalidArgument: return "invalid-argument";
    case Errc::kParse: return "parse";
    case Errc::kNotFound: return "not-found";
    case Errc::kTemporary: return "temporary";
    case Errc::kPermanent: return "permanent";
    case Errc::kLimit: return "limit";
    case Errc::kIo: return "io";
    case Errc::kConfig: return "config";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string s(errc_name(code));
  s += ": ";
  s += message;
  return s;
}

}  // namespace rampart
