#include "dns/format.h"

namespace rampart::dns {

std::string record_to_string(const Record& r) {
  std::string out(rrtype_name(r.type));
  out.push_back(' ');
  if (const IpAddress* ip = r.ip()) {
    out += ip->to_string();
  } else if (const std::string* n = r.name()) {
    out += *n;
  } else if (const Mx* mx = r.mx()) {
    out += std::to_string(mx->preference) + " " + mx->exchange;
  } else if (const Txt* t = r.txt()) {
    bool first = true;
    for (const auto& s : t->strings) {
      if (!first) out.push_back(' ');
      first = false;
      out.push_back('"');
      for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
          out.push_back('\\');
          out.push_back(c);
        } else if (u < 0x20 || u > 0x7E) {
          out.push_back('\\');
          out.push_back(static_cast<char>('0' + u / 100));
          out.push_back(static_cast<char>('0' + (u / 10) % 10));
          out.push_back(static_cast<char>('0' + u % 10));
        } else {
          out.push_back(c);
        }
      }
      out.push_back('"');
    }
  }
  return out;
}

std::string answer_to_string(const Answer& a) {
  std::string out(status_name(a.status));
  if (a.status != Status::kOk) {
    if (!a.error.empty()) out += " (" + a.error + ")";
    return out;
  }
  out += " ttl=" + std::to_string(a.min_ttl) + ":";
  bool first = true;
  for (const auto& r : a.records) {
    out += first ? " " : "; ";
    first = false;
    out += record_to_string(r);
  }
  return out;
}

}  // namespace rampart::dns
