#include "dns/resolver.h"

#include <poll.h>

namespace rampart::dns {

std::string_view rrtype_name(RRType t) {
  switch (t) {
    case RRType::A: return "A";
    case RRType::NS: return "NS";
    case RRType::CNAME: return "CNAME";
    case RRType::SOA: return "SOA";
    case RRType::PTR: return "PTR";
    case RRType::MX: return "MX";
    case RRType::TXT: return "TXT";
    case RRType::AAAA: return "AAAA";
    case RRType::SPF: return "SPF";
    case RRType::ANY: return "ANY";
  }
  return "TYPE?";
}

std::string_view status_name(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNxDomain: return "nxdomain";
    case Status::kNoData: return "nodata";
    case Status::kServFail: return "servfail";
    case Status::kTimeout: return "timeout";
    case Status::kMalformed: return "malformed";
  }
  return "?";
}

std::string Txt::text() const {
  std::string out;
  for (const auto& s : strings) out += s;
  return out;
}

void Resolver::wait(int timeout_ms) {
  int f = fd();
  if (f >= 0) {
    pollfd p{f, POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
  }
  process();
}

AnswerPtr Resolver::resolve_sync(std::string_view name, RRType type) {
  AnswerPtr out;
  bool done = false;
  resolve(name, type, [&](AnswerPtr a) {
    out = std::move(a);
    done = true;
  });
  while (!done) wait(50);
  return out;
}

}  // namespace rampart::dns
