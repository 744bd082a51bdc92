// Tests for DMARC reports: the aggregate collector (periods, merging,
// bounds), the appendix C XML (validated against tests/data/dmarc/rua.xsd
// with xmllint when it is installed) and RFC 6591 failure reports.
#include "auth/dmarc/report.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "dns/zone_resolver.h"
#include "mime/header.h"

namespace rampart::dmarc {
namespace {

struct Fixture {
  dns::ZoneResolver z;
  std::unique_ptr<Evaluator> ev;
  Fixture() {
    add("_dmarc.example.com",
        "v=DMARC1; p=reject; sp=quarantine; pct=50; fo=1; rua=mailto:agg@example.com; "
        "ruf=mailto:ruf@example.com");
    add("_dmarc.example.org", "v=DMARC1; p=none; adkim=s; rua=mailto:agg@example.org");
    Options opt;
    opt.random_percent = [] { return 75u; };  // never selected under pct=50
    ev = std::make_unique<Evaluator>(z, opt);
  }
  void add(const char* name, const char* text) {
    z.add(name, dns::Record{dns::RRType::TXT, 300, dns::Txt{{text}}});
  }
  Request request(const char* from, AuthResult spf, const char* spf_domain, AuthResult dkim,
                  const char* dkim_domain) {
    Request r;
    r.author = author_domains(std::vector<std::string>{from});
    r.spf = {spf, spf_domain, SpfScope::kMailFrom};
    if (dkim_domain)
      r.dkim.push_back({dkim, dkim_domain, "sel1", dkim == AuthResult::kFail ? "body hash" : ""});
    return r;
  }
};

MessageFacts facts(const char* ip, const char* env_from, const char* env_to = "") {
  return MessageFacts{*IpAddress::parse(ip), env_from, env_to};
}

bool have_xmllint() { return std::system("xmllint --version >/dev/null 2>&1") == 0; }

// Runs xmllint on `xml` against the RFC 7489 schema; returns its output ("" on success).
std::string validate(const std::string& xml, int* rc) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("rampart_dmarc_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "report.xml", out = dir / "out.txt";
  std::ofstream(file) << xml;
  std::string cmd =
      "xmllint --noout --schema tests/data/dmarc/rua.xsd " + file.string() + " >" + out.string() + " 2>&1";
  *rc = std::system(cmd.c_str());
  std::string text;
  if (FILE* fp = std::fopen(out.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) text.append(buf, n);
    std::fclose(fp);
  }
  fs::remove_all(dir);
  return text;
}

TEST(Aggregate, CollectsMergesAndPeriods) {
  Fixture f;
  FakeClock clock(1700000000);  // 2023-11-14 22:13:20 UTC
  AggregateCollector agg({"Receiver Inc", "dmarc@receiver.example", ""}, std::chrono::hours(24));

  auto pass = f.request("a@example.com", AuthResult::kPass, "example.com", AuthResult::kPass, "example.com");
  auto fail = f.request("a@news.example.com", AuthResult::kFail, "spoof.example", AuthResult::kNone, nullptr);
  Outcome op = f.ev->check_sync(pass), of = f.ev->check_sync(fail);
  ASSERT_EQ(op.verdict, Verdict::kPass);
  ASSERT_EQ(of.verdict, Verdict::kFail);
  ASSERT_TRUE(of.sampled_out);
  for (int i = 0; i < 3; ++i) agg.add(op, pass, facts("192.0.2.1", "example.com"), clock.unix_seconds());
  agg.add(of, fail, facts("198.51.100.7", "spoof.example", "receiver.example"), clock.unix_seconds());
  agg.add(op, pass, facts("2001:db8::1", "example.com"), clock.unix_seconds());
  // Outcomes without a record (none) are not reported.
  Outcome nothing;
  agg.add(nothing, pass, facts("192.0.2.9", "x"), clock.unix_seconds());
  EXPECT_EQ(agg.open_reports(), 1u);

  EXPECT_TRUE(agg.take_due(clock.unix_seconds()).empty());  // period not over
  clock.advance(std::chrono::hours(2));                     // past midnight UTC
  auto reports = agg.take_due(clock.unix_seconds());
  ASSERT_EQ(reports.size(), 1u);
  const AggregateReport& r = reports[0];
  EXPECT_EQ(r.begin, 1699920000);  // 2023-11-14 00:00:00 UTC
  EXPECT_EQ(r.end, 1699920000 + 86399);
  EXPECT_EQ(r.policy.domain, "example.com");
  EXPECT_EQ(r.policy.p, Policy::kReject);
  EXPECT_EQ(r.policy.sp, Policy::kQuarantine);
  EXPECT_EQ(r.policy.pct, 50u);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].count, 3u);
  EXPECT_TRUE(r.rows[0].dkim_pass);
  EXPECT_EQ(r.rows[1].disposition, Policy::kNone);  // sp=quarantine, sampled out -> none
  ASSERT_EQ(r.rows[1].reasons.size(), 1u);
  EXPECT_EQ(r.rows[1].reasons[0].type, OverrideType::kSampledOut);
  EXPECT_EQ(r.rows[1].header_from, "news.example.com");
  EXPECT_EQ(agg.open_reports(), 0u);

  std::string xml = write_aggregate_xml(r);
  EXPECT_NE(xml.find("<source_ip>2001:db8:0:0:0:0:0:1</source_ip>"), std::string::npos);
  EXPECT_NE(xml.find("<count>3</count>"), std::string::npos);
  EXPECT_NE(xml.find("<type>sampled_out</type>"), std::string::npos);
  EXPECT_NE(xml.find("<envelope_to>receiver.example</envelope_to>"), std::string::npos);
  EXPECT_NE(xml.find("<scope>mfrom</scope>"), std::string::npos);
  ASSERT_TRUE(have_xmllint()) << "xmllint not installed (Debian libxml2-utils, scripts/install-deps.sh)";
  int rc = 0;
  std::string out = validate(xml, &rc);
  EXPECT_EQ(rc, 0) << out << "\n" << xml;
}

TEST(Aggregate, SchemaValidEdgeCases) {
  ASSERT_TRUE(have_xmllint()) << "xmllint not installed (Debian libxml2-utils, scripts/install-deps.sh)";
  AggregateReport r;
  r.reporter = {"Org & <Sons> \"quoted\"", "dmarc@receiver.example", "https://receiver.example/dmarc"};
  r.report_id = "id'1";
  r.begin = 0;
  r.end = 86399;
  r.errors = {"bad \x01 byte and \xff invalid utf-8 and caf\xc3\xa9"};
  Record rec = *parse_record("v=DMARC1; p=quarantine; adkim=s; fo=d:s");
  r.policy = policy_published("example.com", rec);
  AggregateRow row;
  row.source_ip = *IpAddress::parse("::ffff:192.0.2.1");  // written as IPv4
  row.count = 1;
  row.disposition = Policy::kQuarantine;
  row.reasons = {{OverrideType::kLocalPolicy, "local <rule>"}, {OverrideType::kForwarded, ""}};
  row.envelope_from = "";  // null sender
  row.header_from = "example.com";
  row.dkim = {{AuthResult::kSoftFail, "example.com", "", "weird"},
              {AuthResult::kPolicy, "x.example", "s", ""}};
  row.spf = {AuthResult::kPolicy, "", SpfScope::kHelo};
  r.rows.push_back(row);
  row.source_ip = *IpAddress::parse("2001:db8:ffff::abcd");
  r.rows.push_back(row);
  std::string xml = write_aggregate_xml(r);
  EXPECT_NE(xml.find("<source_ip>192.0.2.1</source_ip>"), std::string::npos);
  EXPECT_NE(xml.find("Org &amp; &lt;Sons&gt; &quot;quoted&quot;"), std::string::npos);
  int rc = 0;
  std::string out = validate(xml, &rc);
  EXPECT_EQ(rc, 0) << out << "\n" << xml;
}

TEST(Aggregate, InvalidXmlIsCaught) {
  // The validation itself works: a report missing a required element fails.
  ASSERT_TRUE(have_xmllint()) << "xmllint not installed (Debian libxml2-utils, scripts/install-deps.sh)";
  int rc = 0;
  validate("<?xml version=\"1.0\"?><feedback><version>1.0</version></feedback>", &rc);
  EXPECT_NE(rc, 0);
}

TEST(Aggregate, Bounds) {
  Fixture f;
  AggregateCollector::Limits lim;
  lim.max_rows = 2;
  lim.max_reports = 1;
  AggregateCollector agg({"R", "r@x.example", ""}, std::chrono::hours(1), lim);
  auto req = f.request("a@example.com", AuthResult::kPass, "example.com", AuthResult::kNone, nullptr);
  Outcome o = f.ev->check_sync(req);
  agg.add(o, req, facts("192.0.2.1", "example.com"), 3600);
  agg.add(o, req, facts("192.0.2.2", "example.com"), 3600);
  agg.add(o, req, facts("192.0.2.3", "example.com"), 3600);  // row limit
  auto other = f.request("a@example.org", AuthResult::kPass, "example.org", AuthResult::kNone, nullptr);
  agg.add(f.ev->check_sync(other), other, facts("192.0.2.1", "example.org"), 3600);  // report limit
  EXPECT_EQ(agg.dropped(), 2u);
  auto all = agg.take_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].rows.size(), 2u);
  ASSERT_EQ(all[0].errors.size(), 1u);
  EXPECT_EQ(all[0].begin, 3600);
  EXPECT_EQ(all[0].end, 7199);
}

TEST(Aggregate, SeparateReportsPerDomainAndPeriod) {
  Fixture f;
  AggregateCollector agg({"R", "r@x.example", ""}, std::chrono::hours(1));
  auto a = f.request("a@example.com", AuthResult::kPass, "example.com", AuthResult::kNone, nullptr);
  auto b = f.request("a@example.org", AuthResult::kPass, "example.org", AuthResult::kNone, nullptr);
  Outcome oa = f.ev->check_sync(a), ob = f.ev->check_sync(b);
  agg.add(oa, a, facts("192.0.2.1", "example.com"), 100);
  agg.add(ob, b, facts("192.0.2.1", "example.org"), 100);
  agg.add(oa, a, facts("192.0.2.1", "example.com"), 3700);  // next hour
  EXPECT_EQ(agg.open_reports(), 3u);
  auto due = agg.take_due(3700);
  EXPECT_EQ(due.size(), 2u);
  EXPECT_NE(due[0].report_id, due[1].report_id);
  EXPECT_EQ(agg.open_reports(), 1u);
}

// --- failure reports ---------------------------------------------------------------

TEST(FailureReport, Rfc6591Format) {
  Fixture f;
  auto req = f.request("a@example.com", AuthResult::kFail, "spoof.example", AuthResult::kFail, "example.com");
  Outcome o = f.ev->check_sync(req);
  ASSERT_EQ(o.verdict, Verdict::kFail);
  EXPECT_TRUE(wants_failure_report(o, req));
  FailureReportInput in;
  in.reporter = "dmarc-noreply@receiver.example";
  in.recipients = {"ruf@example.com"};
  in.date_unix = 1700000000;
  in.arrival_unix = 1699999990;
  in.source_ip = *IpAddress::parse("198.51.100.7");
  in.original_mail_from = "bounce@spoof.example";
  in.original_rcpt_to = "user@receiver.example";
  in.delivery_result = "reject";
  in.spf_dns = {"txt : spoof.example : \"v=spf1 -all\""};
  in.message = "From: a@example.com\nTo: user@receiver.example\nSubject: hi\n\nbody line\n";
  std::string m = write_failure_report(o, req, in);

  // No bare LF anywhere.
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    }
  auto h = mime::HeaderSection::parse(m);
  ASSERT_NE(h.first("Content-Type"), nullptr);
  EXPECT_NE(h.first("Content-Type")->value().find("multipart/report; report-type=feedback-report"),
            std::string::npos);
  EXPECT_EQ(h.first("Date")->value(), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(h.first("To")->value(), "ruf@example.com");
  for (const char* field :
       {"Feedback-Type: auth-failure\r\n", "Version: 1\r\n", "Auth-Failure: dmarc\r\n",
        "Identity-Alignment: dkim\r\n", "Reported-Domain: example.com\r\n", "Source-IP: 198.51.100.7\r\n",
        "Original-Mail-From: <bounce@spoof.example>\r\n", "Original-Rcpt-To: <user@receiver.example>\r\n",
        "Arrival-Date: Tue, 14 Nov 2023 22:13:10 +0000\r\n", "Delivery-Result: reject\r\n",
        "DKIM-Domain: example.com\r\n", "DKIM-Identity: @example.com\r\n", "DKIM-Selector: sel1\r\n",
        "SPF-DNS: txt : spoof.example : \"v=spf1 -all\"\r\n",
        "Authentication-Results: dmarc=fail header.from=example.com\r\n", "Content-Type: message/rfc822\r\n",
        "Subject: hi\r\n\r\nbody line\r\n"})
    EXPECT_NE(m.find(field), std::string::npos) << field << "\n" << m;
  // Three parts and a closing boundary.
  std::string ct = h.first("Content-Type")->value();
  std::string boundary = ct.substr(ct.find("boundary=\"") + 10);
  boundary = boundary.substr(0, boundary.find('"'));
  size_t parts = 0;
  for (size_t p = m.find("\r\n--" + boundary + "\r\n"); p != std::string::npos;
       p = m.find("\r\n--" + boundary + "\r\n", p + 1))
    ++parts;
  EXPECT_EQ(parts, 3u);
  EXPECT_NE(m.find("\r\n--" + boundary + "--\r\n"), std::string::npos);

  // Headers only, 8-bit content, no aligned identifier.
  auto req2 = f.request("a@example.com", AuthResult::kFail, "spoof.example", AuthResult::kNone, nullptr);
  Outcome o2 = f.ev->check_sync(req2);
  in.headers_only = true;
  in.message = "From: a@example.com\r\nSubject: caf\xc3\xa9\r\n\r\nsecret body\r\n";
  std::string m2 = write_failure_report(o2, req2, in);
  EXPECT_NE(m2.find("Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: 8bit"),
            std::string::npos);
  EXPECT_EQ(m2.find("secret body"), std::string::npos);
  EXPECT_NE(m2.find("Identity-Alignment: none\r\n"), std::string::npos);
  EXPECT_EQ(m2.find("DKIM-Domain"), std::string::npos);
}

TEST(FailureReport, FailureOptions) {
  Fixture f;
  f.add("_dmarc.fo0.example", "v=DMARC1; p=none; ruf=mailto:r@fo0.example");
  f.add("_dmarc.fod.example", "v=DMARC1; p=none; fo=d; ruf=mailto:r@fod.example");
  f.add("_dmarc.fos.example", "v=DMARC1; p=none; fo=s; ruf=mailto:r@fos.example");
  f.add("_dmarc.noruf.example", "v=DMARC1; p=none");
  auto check = [&](const char* from, AuthResult spf, const char* spf_d, AuthResult dkim, const char* dkim_d) {
    auto req = f.request(from, spf, spf_d, dkim, dkim_d);
    return wants_failure_report(f.ev->check_sync(req), req);
  };
  // fo=0: only when DMARC fails.
  EXPECT_TRUE(check("a@fo0.example", AuthResult::kFail, "fo0.example", AuthResult::kNone, nullptr));
  EXPECT_FALSE(check("a@fo0.example", AuthResult::kPass, "fo0.example", AuthResult::kFail, "fo0.example"));
  // fo=1 (example.com): when any mechanism fails to give an aligned pass.
  EXPECT_TRUE(check("a@example.com", AuthResult::kPass, "example.com", AuthResult::kFail, "example.com"));
  EXPECT_FALSE(check("a@example.com", AuthResult::kPass, "example.com", AuthResult::kPass, "example.com"));
  // fo=d: any DKIM failure, aligned or not, even when DMARC passes.
  EXPECT_TRUE(check("a@fod.example", AuthResult::kPass, "fod.example", AuthResult::kFail, "other.example"));
  EXPECT_FALSE(check("a@fod.example", AuthResult::kPass, "fod.example", AuthResult::kNone, nullptr));
  // fo=s: any SPF failure.
  EXPECT_TRUE(check("a@fos.example", AuthResult::kFail, "x.example", AuthResult::kPass, "fos.example"));
  EXPECT_FALSE(check("a@fos.example", AuthResult::kPass, "x.example", AuthResult::kPass, "fos.example"));
  // No ruf: never.
  EXPECT_FALSE(check("a@noruf.example", AuthResult::kFail, "x.example", AuthResult::kNone, nullptr));
}

TEST(FailureReport, HeaderInjectionIsNeutralised) {
  Fixture f;
  auto req = f.request("a@example.com", AuthResult::kFail, "spoof.example", AuthResult::kNone, nullptr);
  Outcome o = f.ev->check_sync(req);
  FailureReportInput in;
  in.reporter = "r@receiver.example\r\nBcc: victim@example.net";
  in.original_mail_from = "x\r\nInjected: yes";
  in.message = "Subject: x\r\n\r\n--=_rampart_dmarc_ trick\r\n";
  std::string m = write_failure_report(o, req, in);
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(m.find("\r\nInjected:"), std::string::npos);
}

TEST(Dates, Rfc5322) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

}  // namespace
}  // namespace rampart::dmarc
