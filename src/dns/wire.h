// File: src/dns/wire.h
// DNS wire format (RFC 1035 4, RFC 6891 EDNS0): build and parse queries,
// parse responses into an Answer, encode responses. Pure: bytes in, bytes or
// Answer out, no I/O, no exceptions; every length is checked against what
// remains of the message.
//
//   dns::QueryOptions opt;
//   opt.dnssec_ok = true;                               // adds OPT with DO
//   auto q = dns::build_query(0x1234, "example.com", RRType::TXT, opt);
//   // ... send *q, receive `reply` ...
//   dns::Answer a = dns::parse_response(reply, RRType::TXT, "example.com");
//   if (a.ok()) for (auto& r : a.records) use(r.txt()->strings);
//
//   // Server side:
//   auto query = dns::parse_query(packet);             // Result<Query>
//   dns::Response resp = dns::Response::to(*query);     // echoes id, RD, question
//   resp.answers.push_back({query->name, record});
//   auto bytes = dns::encode_response(resp, 512);       // sets TC when too large
//
// DIAGNOSTICS: parse_response never fails outright; it maps RCODE 3 to
// kNxDomain, RCODE 0 without records of the type to kNoData, RCODE 2, 5 and
// others to kServFail and anything unparseable to kMalformed, with the reason
// in Answer::error. Names come back in the canonical spelling of name.h
// (lower-case, no trailing dot, visible octets as themselves except '.' and
// '\', every other octet as \DDD); names given to the encoders may use any
// presentation-form escapes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dns/resolver.h"
#include "dns/zone.h"

namespace rampart::dns {

constexpr uint16_t kClassIn = 1;
constexpr uint16_t kTypeOpt = 41;
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxUdpPlain = 512;

enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5
};

struct QueryOptions {
  bool recursion_desired = true;
  bool edns = false;       // add an OPT record (RFC 6891)
  bool dnssec_ok = false;  // DO bit; implies edns
  uint16_t udp_size = 1232;
};

// A query with one question. Fails (kInvalidArgument) on a name that is not
// valid (label > 63, name > 253, empty label).
Result<std::vector<uint8_t>> build_query(uint16_t id, std::string_view name, RRType type,
                                         const QueryOptions& options = {});
Result<std::vector<uint8_t>> build_query(uint16_t id, std::string_view name, uint16_t type,
                                         const QueryOptions& options = {});

// A parsed query (server side).
struct Query {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  std::string name;  // lower-case, no trailing dot
  uint16_t type = 0;
  uint16_t qclass = 0;
  bool edns = false;
  uint16_t udp_size = 512;  // from OPT, at least 512
  bool dnssec_ok = false;
};

// Fails with kParse when the message is not a query with exactly one
// well-formed question.
Result<Query> parse_query(std::span<const uint8_t> msg);

struct Header {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false, ad = false, cd = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
};
Result<Header> parse_header(std::span<const uint8_t> msg);

// Parses a response to a query for (qname, qtype). An empty qname means the
// name in the question section. CNAME chains in the answer section are
// followed (at most kMaxCnameChain); Answer::records holds only records of
// `qtype` at the end of the chain. min_ttl is the smallest TTL of those
// records and the CNAMEs followed; for kNxDomain/kNoData it is the negative
// TTL from the authority SOA (min of its TTL and MINIMUM, RFC 2308 5), or 0
// when there is none.
Answer parse_response(std::span<const uint8_t> msg, RRType qtype, std::string_view qname = {});

struct Response {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool aa = true, tc = false, rd = false, ra = false;
  Rcode rcode = Rcode::kNoError;
  bool has_question = true;
  std::string qname;
  uint16_t qtype = 1;
  uint16_t qclass = kClassIn;
  std::vector<ResourceRecord> answers;  // A/AAAA/MX/TXT/SPF/PTR/CNAME/NS
  std::optional<Soa> authority_soa;     // for NXDOMAIN / NODATA
  bool edns = false;                    // add an OPT record
  uint16_t edns_udp_size = 1232;

  // A response skeleton echoing the query's id, opcode, RD and question.
  static Response to(const Query& q);
};

// Encodes with name compression. When the message would exceed `max_size`,
// the answer and authority sections are dropped and TC is set (RFC 2181 9).
// Fails (kInvalidArgument) on an invalid name, a record whose data does not
// fit its type, or a TXT string over 255 octets.
Result<std::vector<uint8_t>> encode_response(const Response& response, size_t max_size = 65535);

}  // namespace rampart::dns
