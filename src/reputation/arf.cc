// File: src/reputation/arf.cc
// ARF (RFC 5965 / RFC 6591) parsing over the MIME parser.
#include "reputation/arf.h"

#include <filesystem>
#include <fstream>

#include "auth/authres/authres.h"
#include "core/strings.h"
#include "mime/message.h"

namespace rampart::reputation {

std::string_view arf_style_name(ArfStyle s) {
  switch (s) {
    case ArfStyle::kArf: return "arf";
    case ArfStyle::kHeadersOnly: return "headers-only";
    case ArfStyle::kJmrp: return "jmrp";
  }
  return "?";
}

namespace {

// The first bracketed IP literal in a Received field: "from x (x [192.0.2.1])".
std::optional<IpAddress> received_ip(std::string_view v) {
  size_t pos = 0;
  while ((pos = v.find('[', pos)) != std::string_view::npos) {
    const size_t end = v.find(']', pos + 1);
    if (end == std::string_view::npos) break;
    std::string_view lit = v.substr(pos + 1, end - pos - 1);
    if (istarts_with(lit, "IPv6:")) lit.remove_prefix(5);
    if (auto ip = IpAddress::parse(lit)) return *ip;
    pos = end + 1;
  }
  return std::nullopt;
}

// "<a@b>" or "a@b (comment)" -> "a@b".
std::string addr_value(std::string_view v) {
  v = trim(v);
  const size_t lt = v.find('<');
  if (lt != std::string_view::npos) {
    const size_t gt = v.find('>', lt);
    return std::string(v.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1));
  }
  const size_t sp = v.find_first_of(" \t(");
  return std::string(v.substr(0, sp));
}

std::string first_token_lower(std::string_view v) {
  v = trim(v);
  const size_t end = v.find_first_of(" \t;(");
  return to_lower(v.substr(0, end));
}

void read_original_headers(ArfReport& r) {
  const mime::HeaderSection h = mime::HeaderSection::parse(r.original);
  if (const auto* f = h.first("From")) r.from = f->value();
  if (const auto* f = h.first("Return-Path")) r.return_path = addr_value(f->value());
  if (const auto* f = h.first("List-Id")) r.list_id = addr_value(f->value());
  if (const auto* f = h.first("Feedback-ID")) r.feedback_id = std::string(trim(f->value()));
  if (const auto* f = h.first("Message-ID")) r.message_id = std::string(trim(f->value()));
  if (const auto* f = h.first("List-Unsubscribe-Post"))
    r.one_click = iequals(trim(f->value()), "List-Unsubscribe=One-Click");
  for (const auto* f : h.all("Authentication-Results")) r.authentication_results.push_back(f->value());
  for (const auto* f : h.all("DKIM-Signature")) {
    const std::string v = f->value();
    // d= tag, lightly: the signature is not verified here.
    size_t p = 0;
    while ((p = v.find("d=", p)) != std::string::npos) {
      if (p == 0 || v[p - 1] == ';' || v[p - 1] == ' ' || v[p - 1] == '\t') {
        const size_t e = v.find(';', p);
        r.dkim_signature_domains.push_back(to_lower(
            trim(std::string_view(v).substr(p + 2, e == std::string::npos ? std::string::npos : e - p - 2))));
        break;
      }
      p += 2;
    }
  }
  if (!r.source_ip) {
    if (const auto* f = h.first("Received")) {
      if (auto ip = received_ip(f->value())) {
        r.source_ip = *ip;
        r.source_ip_from_received = true;
        r.warnings.push_back("no Source-IP: " + ip->to_string() + " from the top Received field");
      }
    }
    if (!r.source_ip) {
      // Hotmail/JMRP originals carry X-Originating-IP or X-Sender-IP.
      for (const char* name : {"X-Originating-IP", "X-Sender-IP"})
        if (const auto* f = h.first(name)) {
          std::string v = f->value();
          std::string_view s = trim(v);
          if (!s.empty() && s.front() == '[') s.remove_prefix(1);
          if (!s.empty() && s.back() == ']') s.remove_suffix(1);
          if (auto ip = IpAddress::parse(s)) {
            r.source_ip = *ip;
            r.warnings.push_back(std::string("no Source-IP: taken from ") + name);
            break;
          }
        }
    }
    if (!r.source_ip) r.warnings.push_back("no Source-IP and none in the original");
  }
  if (const auto* f = h.first("X-HmXmrOriginalRecipient"); f && r.original_rcpt_to.empty())
    r.original_rcpt_to.push_back(addr_value(f->value()));
}

Status read_feedback_fields(ArfReport& r, std::string_view body) {
  std::string text(body);
  if (text.find('\n') == std::string::npos || text.substr(text.size() - 1) != "\n") text += "\r\n";
  text += "\r\n";  // end of the field block
  const mime::HeaderSection h = mime::HeaderSection::parse(text);
  if (h.size() == 0) return fail(Errc::kParse, "feedback-report part has no fields");
  for (const mime::HeaderField& f : h.fields()) {
    const std::string v = f.value();
    if (f.is("Feedback-Type"))
      r.feedback_type = first_token_lower(v);
    else if (f.is("User-Agent"))
      r.user_agent = v;
    else if (f.is("Version"))
      r.version = std::string(trim(v));
    else if (f.is("Source-IP")) {
      std::string_view s = trim(v);
      const size_t sp = s.find_first_of(" \t(");
      s = s.substr(0, sp);
      if (!s.empty() && s.front() == '[') s.remove_prefix(1);
      if (!s.empty() && s.back() == ']') s.remove_suffix(1);
      if (auto ip = IpAddress::parse(s))
        r.source_ip = *ip;
      else
        r.warnings.push_back("unreadable Source-IP \"" + std::string(trim(v)) + "\" ignored");
    } else if (f.is("Original-Mail-From"))
      r.original_mail_from = addr_value(v);
    else if (f.is("Original-Rcpt-To"))
      r.original_rcpt_to.push_back(addr_value(v));
    else if (f.is("Arrival-Date") || f.is("Received-Date"))
      r.arrival_date = v;
    else if (f.is("Reporting-MTA"))
      r.reporting_mta = v;
    else if (f.is("Reported-Domain"))
      r.reported_domains.push_back(to_lower(trim(v)));
    else if (f.is("Reported-URI"))
      r.reported_uris.push_back(v);
    else if (f.is("Incidents"))
      r.incidents = v;
    else if (f.is("Original-Envelope-Id"))
      r.original_envelope_id = v;
    else if (f.is("Auth-Failure"))
      r.auth_failure = first_token_lower(v);
    else if (f.is("Delivery-Result"))
      r.delivery_result = first_token_lower(v);
    else if (f.is("DKIM-Domain"))
      r.dkim_domain = to_lower(trim(v));
    else if (f.is("DKIM-Identity"))
      r.dkim_identity = v;
    else if (f.is("DKIM-Selector"))
      r.dkim_selector = v;
    else if (f.is("Identity-Alignment"))
      r.identity_alignment = v;
    else if (f.is("SPF-DNS"))
      r.spf_dns = v;
  }
  if (r.feedback_type.empty()) return fail(Errc::kParse, "no Feedback-Type in the feedback-report part");
  static constexpr std::string_view kKnown[] = {"abuse", "fraud",    "virus",
                                                "other", "not-spam", "auth-failure"};
  bool known = false;
  for (std::string_view k : kKnown) known |= r.feedback_type == k;
  if (!known) r.warnings.push_back("unregistered Feedback-Type \"" + r.feedback_type + "\" read as other");
  if (r.user_agent.empty()) r.warnings.push_back("no User-Agent");
  if (r.version.empty()) r.warnings.push_back("no Version");
  return {};
}

}  // namespace

Result<ArfReport> parse_arf(std::string_view raw, const ArfLimits& limits) {
  if (raw.size() > limits.max_bytes)
    return fail(Errc::kLimit, "report of " + std::to_string(raw.size()) + " bytes is over the limit");
  mime::MessageLimits ml;
  ml.extract_text = false;
  ml.max_parts = 100;
  const mime::Message m = mime::Message::parse(raw, ml);
  const auto& parts = m.parts();
  ArfReport r;
  const mime::Part* feedback = nullptr;
  const mime::Part* original = nullptr;  // message/rfc822 part (kMessage)
  const mime::Part* headers_only = nullptr;
  for (size_t i = 1; i < parts.size(); ++i) {
    const mime::Part& p = parts[i];
    if (p.depth != 1) continue;  // top-level parts of the report only
    const auto& ct = p.content_type;
    if (ct.is("message", "feedback-report") && !feedback)
      feedback = &p;
    else if ((ct.is("message", "rfc822") || ct.is("message", "global")) && !original)
      original = &p;
    else if ((ct.is("text", "rfc822-headers") || ct.is("message", "rfc822-headers")) && !headers_only)
      headers_only = &p;
  }
  const bool multipart = m.root().kind == mime::PartKind::kMultipart;
  const bool whole_is_message = m.root().kind == mime::PartKind::kMessage;
  if (!multipart && !whole_is_message) return fail(Errc::kParse, "not a multipart report");
  if (multipart && !m.root().content_type.is("multipart", "report") && feedback)
    r.warnings.push_back("feedback report in " + m.root().content_type.mime_type() +
                         ", not multipart/report");

  if (feedback) {
    const std::string body = m.decode_body(*feedback, 1 << 20);
    if (auto st = read_feedback_fields(r, body); !st) return tl::unexpected(st.error());
  } else {
    // Microsoft JMRP style: the original alone.
    r.style = ArfStyle::kJmrp;
    r.feedback_type = "abuse";
    r.warnings.push_back("no message/feedback-report part: JMRP style, read as abuse");
    if (whole_is_message) original = &m.root();
  }

  if (original && !original->children.empty()) {
    const mime::Part& inner = parts[original->children[0]];
    r.original.assign(inner.raw);
    r.original_complete = true;
  } else if (headers_only) {
    r.original = m.decode_body(*headers_only, 4 << 20);
    r.original_complete = false;
    if (r.style == ArfStyle::kArf) r.style = ArfStyle::kHeadersOnly;
    if (headers_only->content_type.is("message", "rfc822-headers"))
      r.warnings.push_back("original as message/rfc822-headers (RFC 6522 says text/rfc822-headers)");
  } else {
    return fail(Errc::kParse, "no original message or headers (message/rfc822 or text/rfc822-headers part)");
  }
  if (r.style == ArfStyle::kJmrp && !original)
    return fail(Errc::kParse, "not a feedback report: no report part");
  const mime::HeaderSection oh = mime::HeaderSection::parse(r.original);
  if (oh.size() == 0) return fail(Errc::kParse, "original has no header fields");
  if (!r.original_complete && r.style != ArfStyle::kJmrp)
    r.warnings.push_back("original message as headers only: DKIM cannot be verified again");
  read_original_headers(r);
  return r;
}

OriginalAuth auth_from_headers(const ArfReport& r, const std::vector<std::string>& trusted) {
  OriginalAuth a;
  a.how = "none";
  for (const std::string& v : r.authentication_results) {
    auto ar = authres::parse(v);
    if (!ar) continue;
    bool ok = false;
    for (const std::string& t : trusted) ok |= iequals(t, ar->authserv_id);
    if (!ok) continue;
    a.how = "authentication-results " + ar->authserv_id;
    for (const authres::ResInfo& ri : ar->results) {
      const AuthResult res = parse_auth_result(ri.result);
      if (ri.method == "spf" && a.spf == AuthResult::kNone)
        a.spf = res;
      else if (ri.method == "dmarc" && a.dmarc == AuthResult::kNone)
        a.dmarc = res;
      else if (ri.method == "dkim") {
        if (res == AuthResult::kPass) {
          a.dkim = AuthResult::kPass;
          std::string d = ri.property("header", "d");
          if (d.empty()) d = domain_of(ri.property("header", "i"));
          if (!d.empty()) a.dkim_pass_domains.push_back(to_lower(d));
        } else if (a.dkim == AuthResult::kNone) {
          a.dkim = res;
        }
      }
    }
    break;  // the top-most trusted field only
  }
  return a;
}

Result<Event> to_event(const ArfReport& r, const OriginalAuth& auth, int64_t now) {
  if (r.feedback_type == "auth-failure")
    return fail(Errc::kInvalidArgument, "auth-failure report (RFC 6591) is not a complaint");
  Event e;
  e.type = r.feedback_type == "not-spam" ? EventType::kNotSpam : EventType::kComplaint;
  e.time = now;
  e.ip = r.source_ip;
  e.mail_from = r.original_mail_from.empty() ? r.return_path : r.original_mail_from;
  e.from = r.from;
  e.spf = auth.spf;
  e.dkim = auth.dkim;
  e.dmarc = auth.dmarc;
  e.dkim_domains = auth.dkim_pass_domains;
  e.list_unsubscribe_one_click = r.one_click;
  e.feedback_id = r.feedback_id;
  e.list_id = r.list_id;
  e.recipients = 1;
  const bool verified =
      auth.spf == AuthResult::kPass || auth.dkim == AuthResult::kPass || auth.dmarc == AuthResult::kPass;
  if (!e.ip && !verified)
    return fail(Errc::kInvalidArgument,
                "the original has no identity to blame (no source IP, nothing verified)");
  return e;
}

void RejectedReports::keep(std::string_view raw, std::string reason, int64_t time) {
  ++total_;
  if (raw.size() > max_bytes_) raw = raw.substr(0, max_bytes_);
  entries_.push_back(Entry{time, std::move(reason), std::string(raw), total_});
  bytes_ += entries_.back().raw.size();
  while (!entries_.empty() && (entries_.size() > max_reports_ || bytes_ > max_bytes_)) {
    bytes_ -= entries_.front().raw.size();
    entries_.pop_front();
  }
}

const RejectedReports::Entry* RejectedReports::find(uint64_t seq) const {
  if (entries_.empty() || seq < entries_.front().seq || seq > entries_.back().seq) return nullptr;
  const Entry& e = entries_[static_cast<size_t>(seq - entries_.front().seq)];
  return e.seq == seq ? &e : nullptr;
}

Status RejectedReports::write_to(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, "rejected reports: " + dir + ": " + ec.message());
  size_t n = 0;
  for (const Entry& e : entries_) {
    const std::string base = dir + "/" + std::to_string(e.time) + "-" + std::to_string(n++);
    std::ofstream m(base + ".eml", std::ios::binary), r(base + ".reason");
    m << e.raw;
    r << e.reason << "\n";
    if (!m || !r) return fail(Errc::kIo, "rejected reports: cannot write " + base);
  }
  return {};
}

}  // namespace rampart::reputation
