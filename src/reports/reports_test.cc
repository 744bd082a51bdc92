// Unit tests of src/reports: redaction, RFC 9477 CFBL checks over real DKIM
// signatures (keys from a ZoneResolver), contacts, limits, the report
// format read back by rampart's ARF reader, the SMTP client against an
// in-process fake relay (unit test only; the integration test uses Postfix).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/clock.h"
#include "dns/zone_resolver.h"
#include "mime/header.h"
#include "reports/complaint.h"
#include "reports/outbox.h"
#include "reports/smtp.h"

namespace rampart::reports {
namespace {

TEST(Redactor, StableKeyedAndCaseInsensitive) {
  Redactor a("secret-one-0123456789"), b("secret-two-0123456789");
  EXPECT_EQ(a.local_part("Alice"), a.local_part("alice"));
  EXPECT_NE(a.local_part("alice"), b.local_part("alice"));
  EXPECT_NE(a.local_part("alice"), a.local_part("bob"));
  EXPECT_EQ(a.local_part("alice").size(), 9u + 16u);
  EXPECT_EQ(a.address("alice@isp.example"), a.local_part("alice") + "@isp.example");
  const std::string t = "to ALICE@isp.example and https://u.example/?e=alice%40isp.example end";
  const std::string s = a.scrub(t, {"alice@isp.example"});
  EXPECT_EQ(s.find("alice"), std::string::npos) << s;
  EXPECT_EQ(s.find("ALICE"), std::string::npos) << s;
  EXPECT_NE(s.find(a.local_part("alice") + "@isp.example"), std::string::npos) << s;
  EXPECT_NE(s.find(a.local_part("alice") + "%40isp.example"), std::string::npos) << s;
}

struct Signed {
  dns::ZoneResolver dns;
  FakeClock clock{1700000000};
  std::vector<std::pair<std::string, dkim::PrivateKey>> keys;

  void key_for(const std::string& domain) {
    auto k = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    dns.add("s1._domainkey." + domain, dkim::testing::txt_record(dkim::testing::key_record(*k)));
    keys.emplace_back(domain, std::move(*k));
  }
  std::string sign(std::string msg, const std::string& domain, std::vector<std::string> h) {
    for (auto& [d, k] : keys)
      if (d == domain) {
        dkim::SignOptions o;
        o.domain = domain;
        o.selector = "s1";
        o.timestamp = 1700000000;
        o.headers = std::move(h);
        auto f = dkim::sign(msg, k, o);
        EXPECT_TRUE(f) << (f ? "" : f.error().message);
        return *f + msg;
      }
    ADD_FAILURE() << "no key for " << domain;
    return msg;
  }
  std::vector<dkim::SignatureResult> verify(const std::string& msg) {
    dkim::Verifier v(dns, clock);
    return v.verify_sync(msg);
  }
};

const std::string kNewsletter =
    "From: News <news@esp-customer.example>\r\n"
    "To: Alice Example <alice@isp.example>\r\n"
    "Subject: Deals\r\n"
    "Message-ID: <m1@esp-customer.example>\r\n"
    "CFBL-Address: fbl@esp-customer.example; report=arf\r\n"
    "CFBL-Feedback-ID: 111:222:333\r\n"
    "\r\n"
    "Hello alice@isp.example, unsubscribe at https://esp.example/u?e=alice%40isp.example\r\n";

TEST(Cfbl, SimpleCaseNeedsTheFromDomainsSignatureOverBothFields) {
  Signed s;
  s.key_for("esp-customer.example");
  auto ok = s.sign(kNewsletter, "esp-customer.example",
                   {"from", "to", "subject", "message-id", "cfbl-address", "cfbl-feedback-id"});
  auto r = s.verify(ok);
  auto t = cfbl_target(mime::HeaderSection::parse(ok), r);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->address, "fbl@esp-customer.example");
  EXPECT_EQ(t->feedback_id, "111:222:333");
  EXPECT_FALSE(t->xarf);

  // CFBL-Feedback-ID present but not signed: refused.
  auto no_fid = s.sign(kNewsletter, "esp-customer.example", {"from", "subject", "cfbl-address"});
  EXPECT_FALSE(cfbl_target(mime::HeaderSection::parse(no_fid), s.verify(no_fid)));
  // CFBL-Address not signed: refused.
  auto no_addr = s.sign(kNewsletter, "esp-customer.example", {"from", "subject"});
  auto e = cfbl_target(mime::HeaderSection::parse(no_addr), s.verify(no_addr));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("covers CFBL-Address"), std::string::npos) << e.error().message;
  // A signature that does not verify (the field changed after signing): refused.
  std::string tampered = ok;
  tampered.replace(tampered.find("fbl@esp-customer.example"), 3, "xyz");
  EXPECT_FALSE(cfbl_target(mime::HeaderSection::parse(tampered), s.verify(tampered)));
  // Two CFBL-Address fields (one added above the signed one): refused.
  std::string two = "CFBL-Address: evil@victim.example\r\n" + ok;
  EXPECT_FALSE(cfbl_target(mime::HeaderSection::parse(two), s.verify(two)));
}

TEST(Cfbl, ComplexCaseNeedsASecondSignatureOfTheAddressDomain) {
  Signed s;
  s.key_for("esp-customer.example");
  s.key_for("esp.example");
  std::string m = kNewsletter;
  m.replace(m.find("fbl@esp-customer.example"), 24, "fbl@esp.example");
  const std::vector<std::string> h = {"from", "subject", "cfbl-address", "cfbl-feedback-id"};
  auto one = s.sign(m, "esp-customer.example", h);
  auto e = cfbl_target(mime::HeaderSection::parse(one), s.verify(one));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("differs from the From domain"), std::string::npos);
  auto both = s.sign(one, "esp.example", h);
  auto t = cfbl_target(mime::HeaderSection::parse(both), s.verify(both));
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->domain, "esp.example");
  // Only the address domain's signature: the From domain never agreed.
  auto only = s.sign(m, "esp.example", h);
  EXPECT_FALSE(cfbl_target(mime::HeaderSection::parse(only), s.verify(only)));
}

TEST(Cfbl, SyntaxAndParameters) {
  Signed s;
  s.key_for("a.example");
  auto with = [&](const std::string& field) {
    std::string m = "From: x@a.example\r\nCFBL-Address: " + field + "\r\nSubject: s\r\n\r\nbody\r\n";
    m = s.sign(m, "a.example", {"from", "cfbl-address"});
    return cfbl_target(mime::HeaderSection::parse(m), s.verify(m));
  };
  auto x = with("fbl@a.example; report=xarf");
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->xarf);
  EXPECT_TRUE(with("fbl@a.example"));
  EXPECT_FALSE(with("fbl@a.example; report=pdf"));
  EXPECT_FALSE(with("not an address"));
  EXPECT_FALSE(with("fbl@[192.0.2.1]"));
}

TEST(Contacts, MostSpecificNetworkAndLongestDomain) {
  Contacts c;
  c.add(*Contact::parse("198.51.100.0/22", "abuse@big.example"));
  c.add(*Contact::parse("198.51.100.0/24", "abuse@small.example"));
  c.add(*Contact::parse("2001:db8::/32", "abuse@v6.example"));
  c.add(*Contact::parse("esp.example", "abuse@esp.example"));
  c.add(*Contact::parse("mail.esp.example", "postmaster@esp.example"));
  EXPECT_EQ(c.for_ip(*IpAddress::parse("198.51.100.7")), std::vector<std::string>{"abuse@small.example"});
  EXPECT_EQ(c.for_ip(*IpAddress::parse("198.51.101.7")), std::vector<std::string>{"abuse@big.example"});
  EXPECT_EQ(c.for_ip(*IpAddress::parse("2001:db8::1")), std::vector<std::string>{"abuse@v6.example"});
  EXPECT_TRUE(c.for_ip(*IpAddress::parse("192.0.2.1")).empty());
  EXPECT_EQ(c.for_domain("x.mail.esp.example"), std::vector<std::string>{"postmaster@esp.example"});
  EXPECT_EQ(c.for_domain("esp.example"), std::vector<std::string>{"abuse@esp.example"});
  EXPECT_TRUE(c.for_domain("notesp.example").empty());
  EXPECT_FALSE(Contact::parse("10.0.0.1/8", "a@b.example"));
  EXPECT_FALSE(Contact::parse("bad domain!", "a@b.example"));
  EXPECT_FALSE(Contact::parse("10.0.0.0/8", "not-an-address"));
}

TEST(Limiter, DuplicatesAndHourlyBudgets) {
  Limiter l({.per_destination_per_hour = 2, .total_per_hour = 3, .dedup_seconds = 86400, .max_keys = 1000});
  EXPECT_EQ(l.admit("a@x.example", "m1", 1000), Admit::kSend);
  EXPECT_EQ(l.admit("A@X.example", "m1", 1001), Admit::kDuplicate);
  EXPECT_EQ(l.admit("a@x.example", "m2", 1002), Admit::kSend);
  EXPECT_EQ(l.admit("a@x.example", "m3", 1003), Admit::kRateLimited);
  EXPECT_EQ(l.admit("b@y.example", "m1", 1004), Admit::kSend);
  EXPECT_EQ(l.admit("c@z.example", "m1", 1005), Admit::kRateLimited);   // total
  EXPECT_EQ(l.admit("a@x.example", "m3", 1000 + 3601), Admit::kSend);   // the hour slid
  EXPECT_EQ(l.admit("a@x.example", "m1", 1000 + 86401), Admit::kSend);  // dedup window over
  Limiter small({.per_destination_per_hour = 1000000,
                 .total_per_hour = 1000000,
                 .dedup_seconds = 86400,
                 .max_keys = 10});
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(small.admit("a@x.example", "m" + std::to_string(i), 5000), Admit::kSend);
  // Only the last 10 are remembered: the oldest came back as new.
  EXPECT_EQ(small.admit("a@x.example", "m99", 5000), Admit::kDuplicate);
  EXPECT_EQ(small.admit("a@x.example", "m0", 5000), Admit::kSend);
}

TEST(Report, ArfWithRedactionAndHeadersOnly) {
  Redactor red("k-0123456789abcdef");
  const std::string orig =
      "Received: from mx.esp.example (mx.esp.example [198.51.100.7])\r\n"
      "\tby mx.isp.example for <alice@isp.example>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "Delivered-To: alice@isp.example\r\n" +
      kNewsletter;
  ComplaintInput in;
  in.original = orig;
  in.recipients = {"alice@isp.example"};
  in.source_ip = *IpAddress::parse("198.51.100.7");
  in.mail_from = "bounce@esp.example\r\nX-Injected: yes";
  in.arrival_unix = 1700000000;
  in.reported_domain = "esp-customer.example";
  ReportOptions o;
  o.from = "fbl-reports@isp.example";
  o.to = {"fbl@esp-customer.example"};
  o.reporting_mta = "mx.isp.example";
  o.own_domains = {"isp.example"};
  o.now = 1700000100;
  const std::string r = write_complaint_report(in, o, red);
  EXPECT_EQ(r.find("alice"), std::string::npos) << r;
  EXPECT_EQ(r.find("Alice Example"), std::string::npos) << r;
  EXPECT_EQ(r.find("\r\nX-Injected"), std::string::npos) << r;
  EXPECT_EQ(r.find("unsubscribe at"), std::string::npos) << "body enclosed by default";
  EXPECT_NE(r.find("Feedback-Type: abuse\r\n"), std::string::npos);
  EXPECT_NE(r.find("Source-IP: 198.51.100.7\r\n"), std::string::npos);
  EXPECT_NE(r.find("Original-Rcpt-To: <" + red.address("alice@isp.example") + ">\r\n"), std::string::npos);
  EXPECT_NE(r.find("To: " + red.address("alice@isp.example") + "\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("CFBL-Feedback-ID: 111:222:333\r\n"), std::string::npos);
  EXPECT_NE(r.find("Message-ID: <m1@esp-customer.example>\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Type: text/rfc822-headers"), std::string::npos);
  for (size_t i = 0; i + 1 < r.size(); ++i)
    if (r[i] == '\n') {
      ASSERT_EQ(r[i - 1], '\r') << "bare LF at " << i;
    }

  o.include_body = true;
  const std::string full = write_complaint_report(in, o, red);
  EXPECT_EQ(full.find("alice"), std::string::npos) << full;
  EXPECT_NE(full.find("unsubscribe at https://esp.example/u?e=" + red.local_part("alice") + "%40isp.example"),
            std::string::npos)
      << full;
  EXPECT_NE(full.find("Content-Type: message/rfc822"), std::string::npos);
  o.max_original = 100;
  EXPECT_NE(write_complaint_report(in, o, red).find("text/rfc822-headers"), std::string::npos);
}

TEST(Report, OtherDomainsAddressesAreKeptAndMessageKeys) {
  Redactor red("k-0123456789abcdef");
  ComplaintInput in;
  const std::string orig = "From: a@esp.example\r\nTo: list@other.example, bob@isp.example\r\n\r\nx\r\n";
  in.original = orig;
  ReportOptions o;
  o.from = "r@isp.example";
  o.to = {"abuse@esp.example"};
  o.own_domains = {"isp.example"};
  const std::string r = write_complaint_report(in, o, red);
  EXPECT_NE(r.find("To: list@other.example, " + red.address("bob@isp.example")), std::string::npos) << r;
  EXPECT_EQ(message_key("Message-ID: <a@b>\r\n\r\nx"), "mid:<a@b>");
  EXPECT_EQ(message_key("Subject: a\r\n\r\nx"), message_key("Subject: a\r\n\r\ny"));
  EXPECT_NE(message_key("Subject: a\r\n\r\nx"), message_key("Subject: b\r\n\r\nx"));
}

TEST(Smtp, ReplyLinesAndDotStuffing) {
  auto r = parse_reply_line("250-PIPELINING");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 250);
  EXPECT_FALSE(r->last);
  EXPECT_TRUE(parse_reply_line("354")->last);
  EXPECT_FALSE(parse_reply_line("25"));
  EXPECT_FALSE(parse_reply_line("150 x"));
  EXPECT_FALSE(parse_reply_line("250x"));
  EXPECT_FALSE(parse_reply_line("abc def"));
  EXPECT_EQ(dot_stuff(".a\n.\r\nb"), "..a\r\n..\r\nb\r\n");
  EXPECT_EQ(dot_stuff("a\r\n"), "a\r\n");
}

// A scripted relay: answers each command with the next canned reply.
class FakeRelay {
 public:
  explicit FakeRelay(std::vector<std::string> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 1);
    th_ = std::thread([this] { serve(); });
  }
  ~FakeRelay() {
    ::shutdown(fd_, SHUT_RDWR);
    th_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string received() {
    th_.join();
    th_ = std::thread([] {});
    return got_;
  }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    size_t i = 0;
    auto say = [&] {
      if (i < replies_.size()) {
        const std::string& s = replies_[i++];
        if (s == "HANG") {
          // Silent until the client gives up.
          char t[256];
          while (::recv(c, t, sizeof t, 0) > 0) {
          }
          return false;
        }
        (void)::send(c, s.data(), s.size(), MSG_NOSIGNAL);
        return true;
      }
      return false;
    };
    say();  // greeting
    std::string buf;
    bool data = false;
    char tmp[4096];
    for (;;) {
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      got_.append(tmp, static_cast<size_t>(n));
      for (;;) {
        if (data) {
          size_t end = buf.find("\r\n.\r\n");
          if (end == std::string::npos) break;
          buf.erase(0, end + 5);
          data = false;
          if (!say()) goto done;
          continue;
        }
        size_t nl = buf.find("\r\n");
        if (nl == std::string::npos) break;
        std::string cmd = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (cmd == "QUIT") goto done;
        if (!say()) goto done;
        if (cmd == "DATA" && replies_[i - 1].starts_with("354")) data = true;
      }
    }
  done:
    ::close(c);
  }
  std::vector<std::string> replies_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread th_;
  std::string got_;
};

SmtpOptions opts(uint16_t port) {
  SmtpOptions o;
  o.port = port;
  o.helo = "filter.isp.example";
  o.timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(Smtp, SendsAWholeTransaction) {
  FakeRelay relay({"220 relay\r\n", "250-relay\r\n250 8BITMIME\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
                   "250 queued\r\n"});
  auto st = smtp_send(opts(relay.port()), "r@isp.example", {"fbl@esp.example"}, "Subject: x\r\n\r\n.dot\r\n");
  ASSERT_TRUE(st) << st.error().message;
  const std::string got = relay.received();
  EXPECT_NE(got.find("EHLO filter.isp.example\r\n"), std::string::npos);
  EXPECT_NE(got.find("MAIL FROM:<r@isp.example>\r\n"), std::string::npos);
  EXPECT_NE(got.find("RCPT TO:<fbl@esp.example>\r\n"), std::string::npos);
  EXPECT_NE(got.find("\r\n..dot\r\n.\r\n"), std::string::npos);
}

TEST(Smtp, RefusalsAndDeadlines) {
  {
    FakeRelay relay({"220 relay\r\n", "250 relay\r\n", "250 ok\r\n", "550 no such user\r\n"});
    auto st = smtp_send(opts(relay.port()), "r@isp.example", {"x@esp.example"}, "S: x\r\n\r\nb\r\n");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kPermanent) << st.error().message;
  }
  {
    FakeRelay relay({"421 busy\r\n"});
    auto st = smtp_send(opts(relay.port()), "r@isp.example", {"x@esp.example"}, "S: x\r\n\r\nb\r\n");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kTemporary);
  }
  {
    FakeRelay relay({"220 relay\r\n", "HANG"});
    auto o = opts(relay.port());
    o.timeout = std::chrono::milliseconds(300);
    auto st = smtp_send(o, "r@isp.example", {"x@esp.example"}, "S: x\r\n\r\nb\r\n");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kTemporary);
    EXPECT_NE(st.error().message.find("deadline"), std::string::npos) << st.error().message;
  }
  {
    FakeRelay relay({"220 " + std::string(5000, 'x') + "\r\n"});
    auto st = smtp_send(opts(relay.port()), "r@isp.example", {"x@esp.example"}, "S: x\r\n\r\nb\r\n");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("longer than"), std::string::npos) << st.error().message;
  }
  {
    // 8-bit content and no 8BITMIME: refused before MAIL FROM.
    FakeRelay relay({"220 relay\r\n", "250 relay\r\n"});
    auto st = smtp_send(opts(relay.port()), "r@isp.example", {"x@esp.example"}, "S: \xc3\xa9\r\n\r\nb\r\n");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kPermanent);
  }
  EXPECT_FALSE(smtp_send(opts(1), "r@isp.example\r\nRCPT TO:<x@y>", {"x@esp.example"}, "S: x\r\n\r\nb"));
}

}  // namespace
}  // namespace rampart::reports
