// File: src/dnsbl/tsig.h
// TSIG (RFC 8945): keys as operators write them, signing of requests and
// responses (one message, or each message of a multi-message TCP answer) and
// verification of requests, with HMAC-SHA256 / SHA-384 / SHA-512 / SHA-1 from
// OpenSSL. Pure: bytes in, bytes out.
//
//   auto key = dnsbl::parse_tsig_key("xfr-key:hmac-sha256:BASE64");   // Result<TsigKey>
//   dnsbl::TsigCheck c = dnsbl::tsig_verify(query, keys, time(nullptr));
//   if (c.rcode) ... // FORMERR (1) or NOTAUTH (9) with c.error BADSIG/BADKEY/BADTIME/BADTRUNC
//   std::string mac = dnsbl::tsig_sign(response, *c.key, c.mac, true, 0, now);  // appends the TSIG RR
//
// DIAGNOSTICS: parse_tsig_key / parse_tsig_keyfile fail (kConfig) naming what
// is wrong (unknown algorithm, bad base64, missing part). tsig_verify never
// fails hard: it returns the rcode and TSIG error RFC 8945 5.2 prescribes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "core/result.h"

namespace rampart::dnsbl {

constexpr uint16_t kTypeTsig = 250;
constexpr uint16_t kTsigBadSig = 16, kTsigBadKey = 17, kTsigBadTime = 18, kTsigBadTrunc = 22;

struct TsigKey {
  std::string name;       // lower case, no trailing dot
  std::string algorithm;  // "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"
  std::string secret;     // raw bytes
};

// "NAME:ALG:BASE64" (or dig's "ALG:NAME:BASE64"; ALG without "hmac-" too).
Result<TsigKey> parse_tsig_key(std::string_view spec);
// BIND's `key "name" { algorithm hmac-sha256; secret "BASE64"; };` clauses
// (as tsig-keygen writes them), or Knot's `key:` section (as keymgr -t
// writes it: `- id: name` / `algorithm: ...` / `secret: ...`).
Result<std::vector<TsigKey>> parse_tsig_keyfile(std::string_view text);

// TSIG secrets (core/base64.h): whitespace skipped, '=' padding optional.
inline Result<std::string> base64_decode(std::string_view text) {
  return rampart::base64_decode(text, Base64Rules{Base64::kStandard, Base64Padding::kOptional, true});
}
inline std::string base64_encode(std::string_view bytes) { return rampart::base64_encode(bytes); }

// A TSIG record found as the last record of a message.
struct TsigRecord {
  size_t offset = 0;  // where the TSIG RR starts
  std::string key_name, algorithm;
  uint64_t time_signed = 0;
  uint16_t fudge = 0, original_id = 0, error = 0;
  std::string mac, other;
};

struct TsigCheck {
  bool present = false;          // the message had a TSIG record
  uint8_t rcode = 0;             // 0 verified (or no TSIG), 1 FORMERR, 9 NOTAUTH
  uint16_t error = 0;            // TSIG error for NOTAUTH (and BADTIME)
  const TsigKey* key = nullptr;  // the key, when known
  TsigRecord record;
  size_t unsigned_length = 0;  // the message without its TSIG record
};

// Finds the TSIG record (it must be the last additional record; one not
// last is FORMERR). Returns false when there is none or it cannot be parsed
// (*formerr then true).
bool find_tsig(std::span<const uint8_t> msg, TsigRecord* out, bool* formerr);

// Verifies a request (RFC 8945 5.2): known key and algorithm (else BADKEY),
// MAC over the message without the TSIG (original ID, ARCOUNT minus one) and
// the TSIG variables (else BADSIG), MAC not truncated (shorter: BADTRUNC, or
// FORMERR below 10 bytes / half the hash), time within the fudge (BADTIME).
TsigCheck tsig_verify(std::span<const uint8_t> msg, const std::vector<TsigKey>& keys, uint64_t now);

// Verifies a response to a request signed with `request_mac` (the NOTIFY
// sender uses it; `first`: full variables, else timers only after
// `request_mac` = the previous MAC).
bool tsig_verify_response(std::span<const uint8_t> msg, const TsigKey& key, std::string_view request_mac,
                          bool first, uint64_t now);

// Appends a TSIG record to `msg` (a complete DNS message) and bumps ARCOUNT.
// `prior_mac`: the request's MAC for the first response message, the
// previous message's MAC for the next ones of a TCP answer, empty for a
// request. `full`: all TSIG variables (requests and first messages), else
// the timers only (RFC 8945 5.3.1). `error` BADTIME adds the server time as
// other data; BADSIG/BADKEY are sent unsigned (empty MAC). Returns the MAC.
std::string tsig_sign(std::string& msg, const TsigKey& key, std::string_view prior_mac, bool full,
                      uint16_t error, uint64_t time_signed, uint16_t fudge = 300, uint64_t other_time = 0);

// The wire form of a dotted name (lower case).
std::string wire_name(std::string_view dotted);

}  // namespace rampart::dnsbl
