// Reading aggregate reports: real reports as providers sent them
// (tests/data/dmarc/aggregate, from parsedmarc's samples: see NOTICE), gzip
// and zip attachments, the deviations real reporters make, bombs and XXE,
// a round trip through write_aggregate_xml, and a differential against the
// peer reader Mail::DMARC (Debian libmail-dmarc-perl) on every XML sample and
// on reports rampart writes.
#include "auth/dmarc/report_read.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace rampart::dmarc {
namespace {

const std::string kDir = "tests/data/dmarc/aggregate/";

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string gzip_bytes(std::string_view in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, in.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

TEST(ReportRead, MicrosoftNamespacesAndFields) {
  std::vector<std::string> w;
  auto r = parse_aggregate_xml(slurp(kDir + "outlook-xsd-namespaces.xml"), &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reporter.org_name, "Outlook.com");
  EXPECT_EQ(r->report_id, "cfeafefe4129445e8c81018bd9177197");
  EXPECT_EQ(r->begin, 1711756800);
  EXPECT_EQ(r->end, 1711843200);
  EXPECT_EQ(r->policy.domain, "example.com");
  EXPECT_EQ(r->policy.p, Policy::kNone);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].source_ip.to_string(), "100.24.188.149");
  EXPECT_EQ(r->rows[0].envelope_to, "hotmail.com");
  EXPECT_EQ(r->rows[0].spf.result, AuthResult::kFail);
  EXPECT_TRUE(w.empty()) << w.front();
}

TEST(ReportRead, DmarcbisExtraElementsAndReasons) {
  auto r = parse_aggregate_xml(slurp(kDir + "dmarcbis-extra-elements.xml"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->policy.p, Policy::kReject);
  EXPECT_EQ(r->policy.sp, Policy::kQuarantine);
  EXPECT_EQ(r->policy.adkim, Alignment::kStrict);
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].count, 5u);
  EXPECT_TRUE(r->rows[0].dkim_pass);
  ASSERT_EQ(r->rows[0].dkim.size(), 1u);
  EXPECT_EQ(r->rows[0].dkim[0].selector, "selector1");
  EXPECT_EQ(r->rows[1].disposition, Policy::kReject);
  ASSERT_EQ(r->rows[1].reasons.size(), 1u);
  EXPECT_EQ(r->rows[1].reasons[0].type, OverrideType::kOther);
  EXPECT_EQ(r->rows[1].reasons[0].comment, "sender not authorized");
}

TEST(ReportRead, EmptyReasonIsIgnoredWithAWarning) {
  std::vector<std::string> w;
  auto r = parse_aggregate_xml(slurp(kDir + "empty-reason.xml"), &w);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_TRUE(r->rows[0].reasons.empty());
  EXPECT_EQ(r->rows[0].dkim[0].human_result, "2048-bit key");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("empty reason"), std::string::npos);
}

TEST(ReportRead, ElementsInAnyOrderAndHeloScope) {
  auto r = parse_aggregate_xml(slurp(kDir + "zoho-element-order.xml"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->rows.size(), 8u);
  EXPECT_EQ(r->rows[1].spf.scope, SpfScope::kHelo);
  EXPECT_EQ(r->rows[1].spf.result, AuthResult::kNone);
  EXPECT_EQ(r->rows[0].dkim[0].result, AuthResult::kPass);
  EXPECT_EQ(r->rows[7].count, 2u);
  EXPECT_EQ(r->reporter.extra_contact_info, "https://www.zoho.com/mail/help/adminconsole/dmarc-policy.html");
}

TEST(ReportRead, RealMailsWithZipAndGzipAttachments) {
  struct Case {
    const char* file;
    const char* org;
    const char* domain;
    int64_t begin;
    size_t min_rows;
  };
  for (const Case& c : {Case{"google-zip.eml", "google.com", "borschow.com", 1549929600, 1},
                        Case{"twilight-zip.eml", "google.com", "twlnet.com", 1549756800, 1},
                        Case{"mimecast-gzip.eml", "Mimecast", "ab.id.au", 1693353600, 1}}) {
    std::vector<std::string> w;
    auto reps = read_report_message(slurp(kDir + c.file), &w);
    ASSERT_TRUE(reps) << c.file << ": " << reps.error().message;
    ASSERT_EQ(reps->size(), 1u) << c.file;
    const AggregateReport& r = reps->front();
    EXPECT_EQ(r.reporter.org_name, c.org) << c.file;
    EXPECT_EQ(r.policy.domain, c.domain) << c.file;
    EXPECT_EQ(r.begin, c.begin) << c.file;
    EXPECT_GE(r.rows.size(), c.min_rows) << c.file;
    for (const auto& row : r.rows) EXPECT_GT(row.count, 0u) << c.file;
  }
}

TEST(ReportRead, UncompressedXmlAttachmentAndXmlBody) {
  const std::string xml = slurp(kDir + "outlook-xsd-namespaces.xml");
  const std::string mail =
      "From: dmarc@example.net\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee "
      "attached\r\n"
      "--b\r\nContent-Type: application/octet-stream; name=r.xml\r\n\r\n" +
      xml + "\r\n--b--\r\n";
  auto reps = read_report_message(mail);
  ASSERT_TRUE(reps) << reps.error().message;
  EXPECT_EQ(reps->front().reporter.org_name, "Outlook.com");
  // The XML as the whole body, typed text/xml.
  auto body = read_report_message("From: a@b.example\r\nContent-Type: text/xml\r\n\r\n" + xml);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->front().rows.size(), 1u);
  // A gzip typed as octet-stream and base64-encoded.
  const std::string gz = gzip_bytes(xml);
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string enc;
  for (size_t i = 0; i < gz.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(gz[i]) << 16;
    if (i + 1 < gz.size()) v |= static_cast<unsigned char>(gz[i + 1]) << 8;
    if (i + 2 < gz.size()) v |= static_cast<unsigned char>(gz[i + 2]);
    enc += b64[(v >> 18) & 63];
    enc += b64[(v >> 12) & 63];
    enc += i + 1 < gz.size() ? b64[(v >> 6) & 63] : '=';
    enc += i + 2 < gz.size() ? b64[v & 63] : '=';
  }
  auto g = read_report_message(
      "From: a@b.example\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      enc + "\r\n");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->front().report_id, "cfeafefe4129445e8c81018bd9177197");
}

TEST(ReportRead, MessageWithoutReportIsAnError) {
  auto r = read_report_message("From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kParse);
  auto bad = read_report_message(
      "From: a@b.example\r\nContent-Type: application/gzip; name=r.xml.gz\r\n\r\n\x1f\x8bnot really "
      "gzip\r\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("gzip"), std::string::npos) << bad.error().message;
}

TEST(ReportRead, DecompressionBombsStopAtTheCap) {
  const std::string zeros(8u << 20, '<');
  ReadLimits lim;
  lim.max_xml_bytes = 1u << 20;
  auto r = unpack_report(gzip_bytes(zeros), lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kLimit);
  // A zip whose member is larger than the cap.
  const std::string mail = slurp(kDir + "google-zip.eml");
  lim.max_xml_bytes = 200;
  auto z = read_report_message(mail, nullptr, lim);
  ASSERT_FALSE(z);
  EXPECT_NE(z.error().message.find("larger than"), std::string::npos) << z.error().message;
}

TEST(ReportRead, NoExternalEntitiesNoExpansion) {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">"
      "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
      "<feedback><report_metadata><org_name>&x;</org_name><email>&d;</email>"
      "<date_range><begin>1</begin><end>2</end></date_range></report_metadata></feedback>";
  auto r = parse_aggregate_xml(xml);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reporter.org_name.find("root:"), std::string::npos);
  EXPECT_LT(r->reporter.email.size(), 100u);
}

TEST(ReportRead, BrokenXmlIsReadAsFarAsItGoes) {
  std::string xml = slurp(kDir + "dmarcbis-extra-elements.xml");
  xml.resize(xml.find("<record>", xml.find("</record>")) + 20);  // cut inside the second record
  std::vector<std::string> w;
  auto r = parse_aggregate_xml(xml, &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(r->rows.size(), 1u);
  ASSERT_FALSE(w.empty());
  EXPECT_NE(w.front().find("not well-formed"), std::string::npos);
  EXPECT_FALSE(parse_aggregate_xml("<html><body>no</body></html>"));
  EXPECT_FALSE(parse_aggregate_xml("garbage"));
  EXPECT_FALSE(parse_aggregate_xml(""));
}

TEST(ReportRead, BadFieldsAreWarningsNotFailures) {
  const std::string xml =
      "<feedback><report_metadata><org_name>x</org_name><report_id>&lt;id-1&gt;</report_id>"
      "<date_range><begin>1</begin><end>2</end></date_range></report_metadata>"
      "<policy_published><domain>Example.COM</domain><p>bogus</p><pct>500</pct></policy_published>"
      "<record><row><source_ip>not-an-ip</source_ip><count>1</count></row></record>"
      "<record><row><source_ip>2001:db8::1</source_ip><count>x</count></row></record>"
      "<record><row><source_ip> 192.0.2.1 </source_ip><count>3</count><policy_evaluated>"
      "<disposition>Quarantine</disposition><dkim>fail</dkim><spf>pass</spf></policy_evaluated></row>"
      "<identities><header_from>Example.com</header_from></identities>"
      "<auth_results><spf><domain>example.com</domain><result>unknown</result></spf></auth_results></record>"
      "</feedback>";
  std::vector<std::string> w;
  auto r = parse_aggregate_xml(xml, &w);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->report_id, "id-1");
  EXPECT_EQ(r->policy.domain, "example.com");
  EXPECT_EQ(r->policy.pct, 100u);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].disposition, Policy::kQuarantine);
  EXPECT_EQ(r->rows[0].header_from, "example.com");
  EXPECT_EQ(r->rows[0].spf.result, AuthResult::kPermError);
  EXPECT_GE(w.size(), 4u);
}

AggregateReport sample_report() {
  AggregateReport r;
  r.reporter = {"Receiver & Co <ops>", "dmarc@receiver.example", "https://receiver.example/dmarc"};
  r.report_id = "rampart-1700000000-example.com";
  r.begin = 1700000000;
  r.end = 1700086399;
  r.policy.domain = "example.com";
  r.policy.p = Policy::kQuarantine;
  r.policy.sp = Policy::kReject;
  r.policy.pct = 50;
  AggregateRow a;
  a.source_ip = *IpAddress::parse("192.0.2.10");
  a.count = 12;
  a.disposition = Policy::kNone;
  a.dkim_pass = true;
  a.header_from = "example.com";
  a.envelope_from = "bounce.example.com";
  a.dkim.push_back({AuthResult::kPass, "example.com", "s1", ""});
  a.dkim.push_back({AuthResult::kFail, "esp.example", "k2", "body hash mismatch"});
  a.spf = {AuthResult::kSoftFail, "bounce.example.com", SpfScope::kMailFrom};
  AggregateRow b;
  b.source_ip = *IpAddress::parse("2001:db8::25");
  b.count = 3;
  b.disposition = Policy::kQuarantine;
  b.reasons.push_back({OverrideType::kMailingList, "list <x> & \"y\""});
  b.header_from = "example.com";
  b.spf = {AuthResult::kNone, "mx.spoof.example", SpfScope::kHelo};
  r.rows = {a, b};
  return r;
}

TEST(ReportRead, RoundTripThroughTheWriter) {
  const AggregateReport in = sample_report();
  auto out = parse_aggregate_xml(write_aggregate_xml(in));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->reporter.org_name, in.reporter.org_name);
  EXPECT_EQ(out->report_id, in.report_id);
  EXPECT_EQ(out->policy.pct, 50u);
  EXPECT_EQ(out->policy.sp, Policy::kReject);
  ASSERT_EQ(out->rows.size(), 2u);
  EXPECT_EQ(out->rows[1].source_ip, in.rows[1].source_ip);
  EXPECT_EQ(out->rows[1].reasons[0].comment, in.rows[1].reasons[0].comment);
  EXPECT_EQ(out->rows[0].dkim.size(), 2u);
  EXPECT_EQ(out->rows[0].dkim[1].human_result, "body hash mismatch");
  EXPECT_EQ(out->rows[0].spf.result, AuthResult::kSoftFail);
  EXPECT_EQ(out->rows[1].spf.scope, SpfScope::kHelo);
  EXPECT_EQ(aggregate_report_json(*out), aggregate_report_json(in));
}

// The flat lines tests/dmarc/mail_dmarc_read.pl prints for Mail::DMARC.
std::multiset<std::string> flat(const AggregateReport& r) {
  std::multiset<std::string> s;
  s.insert("meta org=" + r.reporter.org_name + " email=" + r.reporter.email + " id=" + r.report_id +
           " begin=" + std::to_string(r.begin) + " end=" + std::to_string(r.end));
  s.insert("policy domain=" + r.policy.domain + " p=" + std::string(policy_name(r.policy.p)));
  for (const AggregateRow& row : r.rows) {
    const std::string ip = report_ip(row.source_ip);
    s.insert("rec ip=" + ip + " count=" + std::to_string(row.count) + " disposition=" +
             std::string(policy_name(row.disposition)) + " dkim=" + (row.dkim_pass ? "pass" : "fail") +
             " spf=" + (row.spf_pass ? "pass" : "fail") + " header_from=" + row.header_from);
    for (const DkimInput& d : row.dkim)
      s.insert("dkim ip=" + ip + " domain=" + d.domain + " selector=" + d.selector +
               " result=" + std::string(auth_result_name(d.result)));
    s.insert("spf ip=" + ip + " domain=" + row.spf.domain +
             " result=" + std::string(auth_result_name(row.spf.result)));
  }
  return s;
}

std::multiset<std::string> peer_read(const std::string& path) {
  const std::string out = (std::filesystem::temp_directory_path() / "rampart_mail_dmarc.out").string() +
                          std::to_string(::getpid());
  const std::string cmd = "perl tests/dmarc/mail_dmarc_read.pl " + path + " >" + out + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::multiset<std::string> s;
  std::ifstream f(out);
  for (std::string line; std::getline(f, line);) s.insert(line);
  std::filesystem::remove(out);
  return s;
}

bool have_mail_dmarc() { return std::system("perl -MMail::DMARC::Report::Receive -e1 >/dev/null 2>&1") == 0; }

// Mail::DMARC reads every sample as rampart does (the peer reads only
// un-namespaced XPaths, which every sample here satisfies).
TEST(ReportReadPeer, MailDmarcReadsTheSamplesAsWeDo) {
  ASSERT_TRUE(have_mail_dmarc()) << "libmail-dmarc-perl missing: scripts/install-deps.sh installs it";
  for (const char* f : {"outlook-xsd-namespaces.xml", "dmarcbis-extra-elements.xml", "empty-reason.xml",
                        "zoho-element-order.xml"}) {
    auto ours = parse_aggregate_xml(slurp(kDir + f));
    ASSERT_TRUE(ours) << f;
    EXPECT_EQ(flat(*ours), peer_read(kDir + f)) << f;
  }
}

// What rampart writes, Mail::DMARC reads back to the same values.
TEST(ReportReadPeer, MailDmarcReadsWhatWeWrite) {
  ASSERT_TRUE(have_mail_dmarc());
  const AggregateReport in = sample_report();
  const auto path =
      std::filesystem::temp_directory_path() / ("rampart_written_" + std::to_string(::getpid()) + ".xml");
  {
    std::ofstream f(path);
    f << write_aggregate_xml(in);
  }
  // One known defect of the peer, not of the report: RFC 7489 appendix C
  // allows several results per method (`<xs:element name="dkim"
  // type="DKIMAuthResultType" minOccurs="0" maxOccurs="unbounded"/>`), and
  // Mail::DMARC 1.20211209 reads each <dkim> of a record through the XPath
  // "./auth_results/dkim/domain" of the record, so every one comes out as a
  // copy of the first. Expect exactly that, and everything else equal.
  std::multiset<std::string> expect = flat(in);
  expect.erase("dkim ip=192.0.2.10 domain=esp.example selector=k2 result=fail");
  expect.insert("dkim ip=192.0.2.10 domain=example.com selector=s1 result=pass");
  EXPECT_EQ(peer_read(path.string()), expect);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rampart::dmarc
