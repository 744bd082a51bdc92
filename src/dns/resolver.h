// File: src/dns/resolver.h
// The Resolver interface every check uses for DNS, and the Answer it returns.
//
//   resolver.resolve("example.com", RRType::TXT, [](AnswerPtr a) {
//     switch (a->status) {
//       case Status::kOk:       /* a->records hold the TXT records */ break;
//       case Status::kNxDomain: /* name does not exist */ break;
//       case Status::kNoData:   /* name exists, no TXT */ break;
//       default:                /* kServFail, kTimeout, kMalformed: try later */ break;
//     }
//   });
//   AnswerPtr a = resolver.resolve_sync("example.com", RRType::MX);  // CLI/tests
//
// resolve() is asynchronous: the callback runs exactly once, either before
// resolve() returns (cache hit, fake) or later from process(). Never both.
// DIAGNOSTICS: answers keep NXDOMAIN, no-data and temporary failure apart,
// so callers can map them to none/permerror versus temperror (4xx).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ip.h"

namespace rampart::dns {

enum class RRType : uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  SPF = 99,
  ANY = 255,
};

std::string_view rrtype_name(RRType t);

enum class Status {
  kOk,         // records present
  kNxDomain,   // RCODE 3: the name does not exist
  kNoData,     // the name exists but has no record of this type
  kServFail,   // RCODE 2 or any server-side failure: temporary
  kTimeout,    // no answer in time: temporary
  kMalformed,  // an answer that could not be parsed: temporary
};

std::string_view status_name(Status s);

struct Mx {
  uint16_t preference = 0;
  std::string exchange;  // lower-case, no trailing dot
};

// TXT rdata keeps its character-strings apart; text() joins them (RFC 7208 3.3).
struct Txt {
  std::vector<std::string> strings;
  std::string text() const;
};

struct Record {
  RRType type = RRType::A;
  uint32_t ttl = 0;
  // A/AAAA -> IpAddress; PTR/CNAME/NS -> std::string (domain, no trailing dot);
  // MX -> Mx; TXT/SPF -> Txt.
  std::variant<IpAddress, std::string, Mx, Txt> data;

  const IpAddress* ip() const { return std::get_if<IpAddress>(&data); }
  const std::string* name() const { return std::get_if<std::string>(&data); }
  const Mx* mx() const { return std::get_if<Mx>(&data); }
  const Txt* txt() const { return std::get_if<Txt>(&data); }
};

struct Answer {
  Status status = Status::kServFail;
  // Only records of the queried type, CNAMEs already followed.
  std::vector<Record> records;
  bool secure = false;  // DNSSEC validated
  bool bogus = false;   // DNSSEC validation failed (why in `error`)
  std::string error;    // human-readable reason for non-kOk statuses
  uint32_t min_ttl = 0;

  bool ok() const { return status == Status::kOk; }
  bool temporary() const {
    return status == Status::kServFail || status == Status::kTimeout || status == Status::kMalformed;
  }
};

using AnswerPtr = std::shared_ptr<const Answer>;

class Resolver {
 public:
  using Callback = std::function<void(AnswerPtr)>;
  virtual ~Resolver() = default;

  // Asynchronous lookup; see the file comment for the callback contract.
  // `name` is a domain name without trailing dot, any case.
  virtual void resolve(std::string_view name, RRType type, Callback cb) = 0;

  // The answer if it is available without waiting (a cache hit), else
  // nullptr; never starts a query. Counts as a lookup where resolve() would.
  // Lets coroutine callers skip suspension on the hot, warm path.
  virtual AnswerPtr lookup_now(std::string_view /*name*/, RRType /*type*/) { return nullptr; }

  // Blocking lookup (CLI, tests). Default: resolve() then process() until done.
  virtual AnswerPtr resolve_sync(std::string_view name, RRType type);

  // Event-loop integration: a file descriptor that becomes readable when
  // process() has work, or -1 if the resolver never defers callbacks.
  virtual int fd() const { return -1; }
  // Runs due callbacks and expires timed-out queries. Non-blocking.
  virtual void process() {}
  // Blocks up to `timeout_ms` for progress, then process(). For simple loops.
  virtual void wait(int timeout_ms);
  // Number of lookups whose callbacks have not run yet.
  virtual size_t pending() const { return 0; }
};

}  // namespace rampart::dns
