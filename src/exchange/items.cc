// Data classes, item kinds and the grammar of each kind's value.
#include <algorithm>

#include "core/strings.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

namespace {
constexpr std::string_view kClassNames[kClassCount] = {"bot_ip", "spam_source", "domain_rep", "complaint_agg",
                                                       "phish_url"};
constexpr std::string_view kKindNames[] = {"ip", "net", "domain", "ip_hmac", "url_hmac", "mail_hmac"};

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

Result<std::string> canonical_domain(std::string_view v) {
  if (v.empty() || v.size() > 253) return fail(Errc::kParse, "domain: 1-253 characters");
  std::string out = to_lower(v);
  size_t labels = 0;
  for (std::string_view label : split(out, '.')) {
    ++labels;
    if (label.empty() || label.size() > 63) return fail(Errc::kParse, "domain: empty or over-long label");
    if (label.front() == '-' || label.back() == '-')
      return fail(Errc::kParse, "domain: label starts or ends with '-'");
    for (char c : label)
      if (!is_alnum(c) && c != '-' && c != '_')
        return fail(Errc::kParse, "domain: only letters, digits, '-', '_'");
  }
  if (labels < 2) return fail(Errc::kParse, "domain: at least two labels");
  return out;
}
}  // namespace

std::string_view class_name(DataClass c) { return kClassNames[static_cast<size_t>(c)]; }

std::optional<DataClass> parse_class(std::string_view s) {
  for (size_t i = 0; i < kClassCount; ++i)
    if (kClassNames[i] == s) return static_cast<DataClass>(i);
  return std::nullopt;
}

std::string_view kind_name(ItemKind k) { return kKindNames[static_cast<size_t>(k)]; }

std::optional<ItemKind> parse_kind(std::string_view s) {
  for (size_t i = 0; i < std::size(kKindNames); ++i)
    if (kKindNames[i] == s) return static_cast<ItemKind>(i);
  return std::nullopt;
}

bool class_admits(DataClass c, ItemKind k) {
  switch (c) {
    case DataClass::kBotIp:
    case DataClass::kSpamSource: return k == ItemKind::kIp || k == ItemKind::kNet || k == ItemKind::kIpHmac;
    case DataClass::kDomainRep: return k == ItemKind::kDomain;
    case DataClass::kComplaintAgg: return k == ItemKind::kDomain || k == ItemKind::kMailHmac;
    case DataClass::kPhishUrl: return k == ItemKind::kUrlHmac || k == ItemKind::kDomain;
  }
  return false;
}

Result<std::string> canonical_value(ItemKind kind, std::string_view value) {
  switch (kind) {
    case ItemKind::kIp: {
      auto ip = IpAddress::parse(value);
      if (!ip) return fail(Errc::kParse, "ip: " + ip.error().message);
      return ip->unmapped().to_string();
    }
    case ItemKind::kNet: {
      auto net = parse_cidr(value);
      if (!net) return fail(Errc::kParse, "net: " + net.error().message);
      return net->to_string();
    }
    case ItemKind::kDomain: return canonical_domain(value);
    case ItemKind::kIpHmac:
    case ItemKind::kUrlHmac:
    case ItemKind::kMailHmac:
      if (!is_hex64(value))
        return fail(Errc::kParse, std::string(kind_name(kind)) + ": 64 lower-case hex digits");
      return std::string(value);
  }
  return fail(Errc::kParse, "unknown kind");
}

}  // namespace rampart::exchange
