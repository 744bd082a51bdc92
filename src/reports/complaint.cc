#include "reports/complaint.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <functional>

#include "auth/dkim/dkim.h"
#include "core/strings.h"
#include "mime/address.h"
#include "mime/feedback_report.h"
#include "mime/header.h"

namespace rampart::reports {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool domain_matches(std::string_view domain, std::string_view configured) {
  if (domain.size() == configured.size()) return iequals(domain, configured);
  return domain.size() > configured.size() && domain[domain.size() - configured.size() - 1] == '.' &&
         iequals(domain.substr(domain.size() - configured.size()), configured);
}

std::string domain_of(std::string_view addr) {
  size_t at = addr.rfind('@');
  return at == std::string_view::npos ? std::string() : to_lower(addr.substr(at + 1));
}

// Replaces every ASCII-case-insensitive occurrence of `needle` in `text`.
std::string replace_icase(std::string_view text, std::string_view needle, std::string_view with) {
  if (needle.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (i + needle.size() <= text.size() && lower(text[i]) == lower(needle[0]) &&
        iequals(text.substr(i, needle.size()), needle)) {
      out += with;
      i += needle.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

bool covers(const dkim::SignatureResult& r, std::string_view domain, bool need_feedback_id) {
  if (r.result != dkim::Verdict::kPass || !r.signature || !iequals(r.domain, domain)) return false;
  const auto& h = r.signature->signed_headers;
  auto has = [&](std::string_view n) { return std::find(h.begin(), h.end(), n) != h.end(); };
  return has("cfbl-address") && (!need_feedback_id || has("cfbl-feedback-id"));
}

constexpr std::string_view kRecipientFields[] = {
    "To", "Cc", "Bcc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"};

}  // namespace

// Line ends as SMTP wants them: CRLF and LF become CRLF; a CR alone (which
// the header parser does not take for a line end) becomes a space, so the
// enclosed header section has exactly the fields the parser saw.
std::string clean_lines(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        out += "\r\n";
        ++i;
      } else {
        out += ' ';
      }
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

// The enclosed original: its header fields as the parser reads them (an
// mbox "From " line and anything past the header section's end left out),
// recipient fields naming one of the provider's addresses written again as
// bare addresses, those redacted: display names go too (they name the
// subscriber as surely as the local-part does). The body follows when
// `with_body`.
std::string enclosed_original(std::string_view message, bool with_body,
                              const std::function<bool(const std::string&)>& own, const Redactor& red) {
  const auto h = mime::HeaderSection::parse(message, mime::HeaderLimits{100000, 1 << 24, 16});
  std::string out;
  out.reserve(with_body ? message.size() + 64 : h.body_offset() + 64);
  for (const mime::HeaderField& f : h.fields()) {
    bool recipient = false;
    for (std::string_view n : kRecipientFields) recipient = recipient || f.is(n);
    std::vector<std::string> list;
    bool mine = false;
    if (recipient) {
      if (auto al = mime::parse_address_list(f.value())) {
        for (const auto& a : *al)
          for (const auto& mb : a.mailboxes) {
            const bool o = !mb.domain.empty() && own(mb.domain);
            mine = mine || o;
            list.push_back(o ? red.address(mb.addr_spec()) : mb.addr_spec());
          }
      } else if (auto one = mime::parse_addr_spec(f.value()); one && own(one->domain)) {
        mine = true;
        list.push_back(red.address(one->addr_spec()));
      } else if (!f.empty_value()) {
        // Unreadable: nothing of it is kept.
        mine = true;
        list.push_back("redacted");
      }
    }
    if (!mine) {
      out += clean_lines(f.raw);
      out += "\r\n";
      continue;
    }
    out += clean_lines(f.name);
    out += ": ";
    for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + list[i];
    out += "\r\n";
  }
  if (with_body) {
    out += "\r\n";
    out += clean_lines(h.body());
    if (!out.ends_with("\r\n")) out += "\r\n";
  }
  return out;
}

std::string Redactor::local_part(std::string_view local) const {
  const std::string l = to_lower(local);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(l.data()), l.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "redacted-";
  for (unsigned i = 0; i < 8 && i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string Redactor::address(std::string_view addr) const {
  size_t at = addr.rfind('@');
  if (at == std::string_view::npos) return local_part(addr);
  return local_part(addr.substr(0, at)) + std::string(addr.substr(at));
}

std::string Redactor::scrub(std::string_view text, const std::vector<std::string>& addresses) const {
  std::string out(text);
  for (const std::string& a : addresses) {
    if (a.find('@') == std::string::npos) continue;
    const std::string r = address(a);
    out = replace_icase(out, a, r);
    const size_t at = a.rfind('@');
    const std::string enc = a.substr(0, at) + "%40" + a.substr(at + 1);
    const std::string renc = r.substr(0, r.rfind('@')) + "%40" + a.substr(at + 1);
    out = replace_icase(out, enc, renc);
  }
  return out;
}

Result<CfblTarget> cfbl_target(const mime::HeaderSection& h,
                               const std::vector<dkim::SignatureResult>& dkim_results) {
  auto fields = h.all("CFBL-Address");
  if (fields.empty()) return fail(Errc::kNotFound, "no CFBL-Address field");
  if (fields.size() > 1) return fail(Errc::kNotFound, "more than one CFBL-Address field");
  std::string v = fields[0]->value();
  CfblTarget t;
  std::string_view addr = v;
  if (size_t semi = addr.find(';'); semi != std::string_view::npos) {
    std::string_view param = trim(addr.substr(semi + 1));
    addr = addr.substr(0, semi);
    if (iequals(param, "report=xarf"))
      t.xarf = true;
    else if (!iequals(param, "report=arf"))
      return fail(Errc::kNotFound,
                  "CFBL-Address: unknown parameter '" + std::string(param.substr(0, 40)) + "'");
  }
  auto mb = mime::parse_addr_spec(trim(addr));
  if (!mb || mb->domain.empty() || mb->domain_literal)
    return fail(Errc::kNotFound, "CFBL-Address is not an address");
  t.address = mb->addr_spec();
  t.domain = to_lower(mb->domain);
  auto fids = h.all("CFBL-Feedback-ID");
  if (fids.size() > 1) return fail(Errc::kNotFound, "more than one CFBL-Feedback-ID field");
  if (!fids.empty()) t.feedback_id = std::string(trim(fids[0]->value()));
  auto froms = h.all("From");
  if (froms.size() != 1) return fail(Errc::kNotFound, "not exactly one From field");
  auto from = mime::parse_mailbox_list(froms[0]->value());
  if (!from || from->size() != 1) return fail(Errc::kNotFound, "From does not name exactly one mailbox");
  const std::string from_domain = to_lower((*from)[0].domain);
  const bool need_fid = !fids.empty();
  auto signed_by = [&](std::string_view d) {
    return std::any_of(dkim_results.begin(), dkim_results.end(),
                       [&](const dkim::SignatureResult& r) { return covers(r, d, need_fid); });
  };
  if (!signed_by(from_domain))
    return fail(Errc::kNotFound, "no verified DKIM signature of the From domain " + from_domain +
                                     " covers CFBL-Address" + (need_fid ? " and CFBL-Feedback-ID" : ""));
  if (t.domain != from_domain && !signed_by(t.domain))
    return fail(Errc::kNotFound, "CFBL-Address domain " + t.domain +
                                     " differs from the From domain and signed nothing it covers");
  return t;
}

Result<Contact> Contact::parse(std::string_view match, std::string_view address) {
  Contact c;
  auto mb = mime::parse_addr_spec(trim(address));
  if (!mb || mb->domain.empty())
    return fail(Errc::kConfig, "'" + std::string(address) + "' is not an address");
  c.address = mb->addr_spec();
  match = trim(match);
  if (match.find('/') != std::string_view::npos || IpAddress::parse(match)) {
    std::string m(match);
    if (m.find('/') == std::string::npos) m += IpAddress::parse(match)->is_v4() ? "/32" : "/128";
    auto p = parse_cidr(m);
    if (!p) return fail(Errc::kConfig, p.error().message);
    c.network = *p;
    return c;
  }
  std::string d = to_lower(match);
  while (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") != std::string::npos)
    return fail(Errc::kConfig, "'" + std::string(match) + "' is neither a network nor a domain");
  c.domain = std::move(d);
  return c;
}

std::vector<std::string> Contacts::for_ip(const IpAddress& ip) const {
  std::vector<std::string> out;
  int best = -1;
  for (const Contact& c : contacts_) {
    if (!c.network || !c.network->contains(ip)) continue;
    const int len = static_cast<int>(c.network->len);
    if (len > best) {
      best = len;
      out.clear();
    }
    if (len == best && std::find(out.begin(), out.end(), c.address) == out.end()) out.push_back(c.address);
  }
  return out;
}

std::vector<std::string> Contacts::for_domain(std::string_view domain) const {
  std::vector<std::string> out;
  size_t best = 0;
  for (const Contact& c : contacts_) {
    if (c.domain.empty() || !domain_matches(domain, c.domain)) continue;
    if (c.domain.size() > best) {
      best = c.domain.size();
      out.clear();
    }
    if (c.domain.size() == best && std::find(out.begin(), out.end(), c.address) == out.end())
      out.push_back(c.address);
  }
  return out;
}

std::string_view admit_name(Admit a) {
  switch (a) {
    case Admit::kSend: return "send";
    case Admit::kDuplicate: return "duplicate";
    case Admit::kRateLimited: return "rate_limited";
  }
  return "?";
}

void Limiter::expire(int64_t now) {
  while (!seen_order_.empty() &&
         (seen_order_.front().first <= now - o_.dedup_seconds || seen_order_.size() > o_.max_keys)) {
    auto it = seen_.find(seen_order_.front().second);
    if (it != seen_.end() && it->second == seen_order_.front().first) seen_.erase(it);
    seen_order_.pop_front();
  }
  while (!all_.empty() && all_.front() <= now - 3600) all_.pop_front();
}

Admit Limiter::admit(std::string_view destination, std::string_view key, int64_t now) {
  expire(now);
  std::string k = to_lower(destination) + "\n" + std::string(key);
  if (seen_.count(k)) return Admit::kDuplicate;
  auto& d = per_dest_[to_lower(destination)];
  while (!d.empty() && d.front() <= now - 3600) d.pop_front();
  if (static_cast<int64_t>(d.size()) >= o_.per_destination_per_hour ||
      static_cast<int64_t>(all_.size()) >= o_.total_per_hour)
    return Admit::kRateLimited;
  d.push_back(now);
  all_.push_back(now);
  seen_[k] = now;
  seen_order_.emplace_back(now, std::move(k));
  if (per_dest_.size() > o_.max_keys) {
    // Forget destinations with nothing in their hour (bounded map).
    for (auto it = per_dest_.begin(); it != per_dest_.end();)
      it = (it->second.empty() || it->second.back() <= now - 3600) ? per_dest_.erase(it) : std::next(it);
  }
  expire(now);
  return Admit::kSend;
}

std::string message_key(std::string_view original) {
  auto h = mime::HeaderSection::parse(original);
  if (const auto* mid = h.first("Message-ID"); mid && !mid->empty_value())
    return "mid:" + std::string(trim(mid->value())).substr(0, 998);
  std::string_view head = original.substr(0, h.body_offset());
  return "hash:" + std::to_string(std::hash<std::string_view>{}(head));
}

std::string write_complaint_report(const ComplaintInput& in, const ReportOptions& o, const Redactor& red) {
  // The addresses to redact: the complainants, and the provider's own
  // addresses among the original's recipient fields.
  std::vector<std::string> addrs;
  auto add = [&](std::string a) {
    a = std::string(trim(a));
    if (a.size() > 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    if (a.find('@') == std::string::npos) return;
    if (std::find_if(addrs.begin(), addrs.end(), [&](const std::string& x) { return iequals(x, a); }) ==
        addrs.end())
      addrs.push_back(std::move(a));
  };
  for (const auto& r : in.recipients) add(r);
  std::function<bool(const std::string&)> own = [&](const std::string& domain) {
    if (o.own_domains.empty()) return true;
    return std::any_of(o.own_domains.begin(), o.own_domains.end(),
                       [&](const std::string& d) { return domain_matches(domain, d); });
  };
  const auto headers = mime::HeaderSection::parse(in.original);
  for (std::string_view name : kRecipientFields) {
    for (const mime::HeaderField* f : headers.all(name)) {
      auto list = mime::parse_address_list(f->value());
      if (list) {
        for (const auto& a : *list)
          for (const auto& mb : a.mailboxes)
            if (!mb.domain.empty() && own(mb.domain)) add(mb.addr_spec());
      } else if (auto one = mime::parse_addr_spec(f->value()); one && own(one->domain)) {
        add(one->addr_spec());
      }
    }
  }
  // Longest first, so that an address inside another is not cut in two.
  std::sort(addrs.begin(), addrs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });

  const bool headers_only = !o.include_body || in.original.size() > o.max_original;
  std::string original = red.scrub(enclosed_original(in.original, !headers_only, own, red), addrs);

  mime::FeedbackReport r;
  r.original = std::move(original);
  r.headers_only = headers_only;
  r.boundary = mime::feedback_boundary("=_rampart_fbl_", r.original);
  r.from = o.from;
  r.to = o.to;
  r.date_unix = o.now;
  const std::string ip = in.source_ip ? in.source_ip->unmapped().to_string() : std::string();
  r.subject = "Abuse report: spam " + (ip.empty() ? std::string() : "from " + ip + " ") +
              (in.reported_domain.empty() ? std::string() : "(" + in.reported_domain + ")");
  while (!r.subject.empty() && r.subject.back() == ' ') r.subject.pop_back();
  r.message_id = "fbl." + std::to_string(o.now) + "." + r.boundary.substr(14) + "@" +
                 (domain_of(o.from).empty() ? std::string("localhost") : domain_of(o.from));
  r.text = "This is an abuse report (RFC 5965) for a message";
  if (!ip.empty()) r.text += " received from " + ip;
  if (in.arrival_unix) r.text += " on " + mime::rfc5322_date(in.arrival_unix);
  r.text += ".\nA subscriber reported it as spam. The recipient's address is redacted (RFC 6590).\n";
  if (headers_only) r.text += "Only the header section of the message is enclosed.\n";

  auto& f = r.fields;
  f.emplace_back("Feedback-Type", "abuse");
  f.emplace_back("User-Agent", o.user_agent);
  f.emplace_back("Version", "1");
  if (!in.mail_from.empty()) f.emplace_back("Original-Mail-From", "<" + red.scrub(in.mail_from, addrs) + ">");
  for (const auto& rc : in.recipients)
    if (rc.find('@') != std::string::npos)
      f.emplace_back("Original-Rcpt-To", "<" + red.address(trim(rc)) + ">");
  if (in.arrival_unix) f.emplace_back("Arrival-Date", mime::rfc5322_date(in.arrival_unix));
  if (!o.reporting_mta.empty()) f.emplace_back("Reporting-MTA", "dns; " + o.reporting_mta);
  if (!ip.empty()) f.emplace_back("Source-IP", ip);
  f.emplace_back("Incidents", "1");
  if (!in.authentication_results.empty())
    f.emplace_back("Authentication-Results", red.scrub(in.authentication_results, addrs));
  if (!in.reported_domain.empty()) f.emplace_back("Reported-Domain", in.reported_domain);
  return mime::write_feedback_report(r);
}

}  // namespace rampart::reports
