// File: src/dnsbl/live.cc
// Live zones written as rbldnsd data sets (see live.h).
#include "dnsbl/live.h"

#include <set>

#include "core/ip.h"
#include "core/strings.h"

namespace rampart::dnsbl {

namespace {

std::string a_text(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string value_text(uint32_t a, const std::string& txt) {
  return " :" + a_text(a) + ":" + live_txt(txt) + "\n";
}

void warn(LoadReport* report, const LiveZone& z, const std::string& key, const std::string& why) {
  if (report) report->warnings.push_back(z.apex + ": " + key + ": " + why);
}

bool ldh(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  for (auto label : split(d, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string live_txt(std::string_view text, size_t max) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (out.size() >= max) break;
    if (u < 0x20 || u == 0x7f) {
      out.push_back(' ');
    } else if (c == '$') {
      out += "$$";
    } else {
      out.push_back(c);
    }
  }
  if (out.size() > max) out.resize(max);
  // Do not end inside a UTF-8 sequence (or half a "$$").
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  size_t dollars = 0;
  for (size_t i = out.size(); i > 0 && out[i - 1] == '$'; --i) ++dollars;
  if (dollars % 2) out.pop_back();
  return out;
}

std::vector<std::pair<std::string, std::string>> live_zone_texts(const LiveZone& z, LoadReport* report) {
  std::string head = "$SOA " + std::to_string(z.ttl) + " " + (z.ns.empty() ? z.apex : z.ns.front()) +
                     " hostmaster." + z.apex + " " + std::to_string(z.serial) + " 1h 10m 1w " +
                     std::to_string(z.ttl) + "\n";
  if (!z.ns.empty()) {
    head += "$NS " + std::to_string(z.ttl);
    for (const auto& n : z.ns) head += " " + n;
    head += "\n";
  }
  head += "$TTL " + std::to_string(z.ttl) + "\n";
  const std::string test_txt = "RFC 5782 test entry";
  if (z.data == LiveData::kDomain) {
    std::string text = head + "test" + value_text(z.test_a, test_txt);
    for (const auto& e : z.entries) {
      std::string d = to_lower(e.key);
      if (!d.empty() && d.back() == '.') d.pop_back();
      if (!ldh(d)) {
        warn(report, z, e.key, "not a domain name");
        continue;
      }
      if (e.excluded) {
        text += "!." + d + "\n";
        continue;
      }
      if (d == "invalid" || d.ends_with(".invalid")) {
        warn(report, z, e.key, "INVALID is never listed (RFC 5782 5)");
        continue;
      }
      text += "." + d + value_text(e.a, e.txt);
    }
    return {{"dnset", std::move(text)}};
  }
  // IP zones: the test entries first (the first of duplicate prefixes wins).
  std::string v4 = head + "127.0.0.2" + value_text(z.test_a, test_txt);
  std::string v6 = "$TTL " + std::to_string(z.ttl) + "\n::ffff:7f00:2/128" + value_text(z.test_a, test_txt);
  const IpAddress never4 = IpAddress::v4(0x7f000001);
  const IpAddress never6 = *IpAddress::parse("::ffff:7f00:1");
  for (const auto& e : z.entries) {
    auto p = parse_cidr(e.key);
    if (!p) {
      warn(report, z, e.key, p.error().message);
      continue;
    }
    // parse_cidr unmaps ::ffff:a.b.c.d prefixes; the IPv6 test address is
    // written as such above, so check both forms.
    if (p->contains(never4) || (p->net.is_v6() && never6.matches(p->net, p->len))) {
      warn(report, z, e.key, "would list 127.0.0.1 (RFC 5782 5): skipped");
      continue;
    }
    const std::string line = e.excluded
                                 ? "!" + p->net.to_string() + "/" + std::to_string(p->len) + "\n"
                                 : p->net.to_string() + "/" + std::to_string(p->len) + value_text(e.a, e.txt);
    (p->net.is_v4() ? v4 : v6) += line;
  }
  return {{"ip4trie", std::move(v4)}, {"ip6trie", std::move(v6)}};
}

Result<ZoneSetPtr> build_live_zones(const std::vector<LiveZone>& zones, LoadReport* report) {
  std::vector<std::pair<std::string, DatasetPtr>> parts;
  std::set<std::string> seen;
  for (const auto& z : zones) {
    if (z.apex.empty()) return fail(Errc::kInvalidArgument, "live zone without a name");
    if (!seen.insert(to_lower(z.apex)).second)
      return fail(Errc::kInvalidArgument, "live zone " + z.apex + " given twice");
    for (auto& [type, text] : live_zone_texts(z, report)) {
      auto ds = load_dataset_text(type, {text}, report);
      if (!ds) return tl::unexpected(ds.error());
      parts.emplace_back(z.apex, std::move(*ds));
    }
  }
  return ZoneSet::build(parts);
}

}  // namespace rampart::dnsbl
