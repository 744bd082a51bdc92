// File: src/dns/zone_file.h
// RFC 1035 section 5 master-file parser into a Zone: $ORIGIN, $TTL, '@',
// relative and absolute names, owner inheritance (blank first column),
// parentheses across lines, ';' comments, optional class IN and TTL (either
// order, with s/m/h/d/w units), quoted strings with \" and \DDD escapes and
// several strings per TXT record; types A, AAAA, MX, TXT, SPF, PTR, CNAME,
// NS and SOA (the apex SOA is kept in Zone::soa).
//
//   dns::ZoneOptions opt;
//   opt.file_name = "example.zone";
//   auto zone = dns::parse_zone(R"(
//     $ORIGIN example.com.
//     $TTL 300
//     @      IN TXT "v=spf1 " "ip4:192.0.2.0/24 -all"
//     mail      A   192.0.2.25
//            MX  10 mail
//   )", opt);
//   if (!zone) log_warn("{}", zone.error().message);  // "example.zone:4: ..."
//
// DIAGNOSTICS: Errc::kParse "file:line: reason" for bad syntax, unknown
// types or classes, bad addresses, names or numbers; Errc::kLimit for a line
// longer than max_line or more than max_records records; Errc::kIo when
// load_zone_file cannot read the file. $INCLUDE and $GENERATE are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "dns/zone.h"

namespace rampart::dns {

struct ZoneOptions {
  std::string origin;              // initial $ORIGIN; relative names need one
  uint32_t default_ttl = 3600;     // TTL when neither $TTL nor a record gives one
  std::string file_name = "zone";  // used in error messages
  size_t max_line = 8192;          // physical line length
  size_t max_records = 1000000;
};

Result<Zone> parse_zone(std::string_view text, const ZoneOptions& options = {});
// Reads the file (at most 64 MiB) and parses it; file_name defaults to `path`.
Result<Zone> load_zone_file(const std::string& path, ZoneOptions options = {});

// Parses a TTL ("300", "1h30m", "2d"); nullopt on syntax error or > 2^31-1.
std::optional<uint32_t> parse_ttl(std::string_view s);

}  // namespace rampart::dns
