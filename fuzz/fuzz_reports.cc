// File: fuzz/fuzz_reports.cc
// Fuzz target: outbound complaint reports (src/reports). The first byte picks
// the input: SMTP reply lines from a relay, a CFBL-Address/contact pair, or
// a complained-about message. For a message: the RFC 9477 check runs over a
// verified signature made up to cover it, the report is written, and then
// (1) the complaining subscriber's address appears nowhere in the report,
// neither as written nor %40-encoded, (2) rampart's own ARF reader reads the
// report back as an abuse report (when the message has a header field).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/dkim/dkim.h"
#include "core/strings.h"
#include "mime/address.h"
#include "mime/header.h"
#include "reports/complaint.h"
#include "reports/smtp.h"
#include "reputation/arf.h"

[[noreturn]] static void die(const char* why) {
  std::fprintf(stderr, "fuzz_reports: %s\n", why);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  if (size == 0 || size > 200000) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      for (std::string_view line : split(in, '\n')) {
        auto r = reports::parse_reply_line(line);
        if (r && (r->code < 200 || r->code > 599)) die("reply code out of range");
      }
      (void)reports::dot_stuff(in);
      return 0;
    }
    case 1: {
      size_t nl = in.find('\n');
      if (nl == std::string_view::npos) return 0;
      auto c = reports::Contact::parse(in.substr(0, nl), in.substr(nl + 1));
      if (c && c->address.find('@') == std::string::npos) die("contact without an address");
      if (c && !c->network && c->domain.empty()) die("contact matching nothing");
      return 0;
    }
    default: break;
  }
  const auto h = mime::HeaderSection::parse(in);
  std::vector<dkim::SignatureResult> dk(1);
  dk[0].result = dkim::Verdict::kPass;
  dk[0].signature.emplace();
  dk[0].signature->signed_headers = {"from", "cfbl-address", "cfbl-feedback-id"};
  if (const auto* f = h.first("From"))
    if (auto mb = mime::parse_mailbox_list(f->value()); mb && !mb->empty()) dk[0].domain = (*mb)[0].domain;
  dk[0].signature->domain = dk[0].domain;
  auto t = reports::cfbl_target(h, dk);
  if (t && (t->address.find('@') == std::string::npos || t->domain.empty()))
    die("CFBL target without an address");

  reports::Redactor red("fuzz-secret-0123456789");
  reports::ComplaintInput ci;
  ci.original = in;
  ci.recipients = {"alice@isp.example"};
  ci.source_ip = *IpAddress::parse("198.51.100.7");
  ci.mail_from = "bounce@esp.example";
  ci.arrival_unix = 1700000000;
  reports::ReportOptions o;
  o.from = "fbl-reports@isp.example";
  o.to = {"fbl@esp.example"};
  o.own_domains = {"isp.example"};
  o.include_body = (data[0] & 4) != 0;
  o.now = 1700000100;
  const std::string r = reports::write_complaint_report(ci, o, red);
  const std::string low = to_lower(r);
  if (low.find("alice@isp.example") != std::string::npos ||
      low.find("alice%40isp.example") != std::string::npos)
    die("the subscriber's address is in the report");
  // rampartd reports only messages with a header section (POST /v1/learn refuses others).
  if (h.size() == 0) return 0;
  auto back = reputation::parse_arf(r);
  if (!back) die(("the ARF reader refuses the report: " + back.error().message).c_str());
  if (back->feedback_type != "abuse" || !back->source_ip) die("the report reads back wrong");
  return 0;
}
