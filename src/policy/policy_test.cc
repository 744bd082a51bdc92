// File: src/policy/policy_test.cc
// The scan pipeline over dns::ZoneResolver: verdicts for good, spoofed and
// suspicious mail, temporary DNS failures (tempfail, never accept or reject),
// throttling, DNSBL zones, the default configuration text.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/policy.h"
#include "policy/throttle.h"
#include "policy/verdict_log.h"

namespace rampart::policy {
namespace {

constexpr const char* kZone = R"(
$ORIGIN test.
$TTL 300
good.test.            TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.good.test.     TXT "v=DMARC1; p=reject"
spoofed.test.         TXT "v=spf1 ip4:198.51.100.1 -all"
_dmarc.spoofed.test.  TXT "v=DMARC1; p=reject"
quar.test.            TXT "v=spf1 ip4:198.51.100.1 -all"
_dmarc.quar.test.     TXT "v=DMARC1; p=quarantine"
1.2.0.192.in-addr.arpa. PTR mx.good.test.
mx.good.test.         A 192.0.2.1
2.0.0.127.dnsbl.test. A 127.0.0.2
2.2.0.192.dnsbl.test.  A 127.0.0.2
bad.test.dbl.test.    A 127.0.1.2
bad.test.             TXT "v=spf1 ip4:192.0.2.0/24 -all"
provider.test.        TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.provider.test. TXT "v=DMARC1; p=reject"
bulk.test.            TXT "v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.bulk.test.     TXT "v=DMARC1; p=none"
)";

std::string message(const std::string& from, const std::string& extra = "") {
  return "From: Alice <alice@" + from + ">\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
         "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@" + from + ">\r\n" + extra +
         "\r\nHello Bob.\r\n";
}

struct Fixture : ::testing::Test {
  dns::ZoneResolver dns;
  FakeClock clock;
  std::shared_ptr<Throttle> throttle = std::make_shared<Throttle>(clock);
  PolicyConfig cfg;
  std::shared_ptr<Pipeline> pipe;

  void SetUp() override {
    dns::ZoneOptions zo;
    zo.origin = "test";
    auto z = dns::parse_zone(kZone, zo);
    ASSERT_TRUE(z) << z.error().message;
    dns.load(*z);
    cfg.authserv_id = "mx.example.net";
    cfg.dnsbl_ip.push_back({"dnsbl.test", "RBL_TEST", 4.0});
    cfg.dnsbl_domain.push_back({"dbl.test", "DBL_TEST", 3.0});
    build();
  }
  void build() { pipe = Pipeline::create(cfg, dns, clock, throttle); }
  Verdict scan(const std::string& ip, const std::string& mail_from, const std::string& msg,
               const std::string& user = "") {
    auto s = std::make_shared<ScanState>();
    s->env.ip = *IpAddress::parse(ip);
    s->env.has_ip = true;
    s->env.helo = "mx.good.test";
    s->env.mail_from = mail_from;
    s->env.rcpts = {"bob@example.net"};
    s->env.auth_user = user;
    s->set_message(msg);
    return pipe->scan_sync(s);
  }
  static bool has(const Verdict& v, const std::string& sym) {
    for (const auto& s : v.symbols)
      if (s.name == sym) return true;
    return false;
  }
};

TEST_F(Fixture, GoodMailAccepted) {
  Verdict v = scan("192.0.2.1", "alice@good.test", message("good.test"));
  EXPECT_EQ(v.action, Action::kAccept) << v.x_rampart;
  EXPECT_TRUE(has(v, "SPF_PASS"));
  EXPECT_TRUE(has(v, "DMARC_PASS"));
  EXPECT_TRUE(has(v, "FCRDNS_OK"));
  EXPECT_NE(v.authentication_results.find("mx.example.net;"), std::string::npos);
  EXPECT_NE(v.authentication_results.find("spf=pass"), std::string::npos) << v.authentication_results;
  EXPECT_NE(v.authentication_results.find("dmarc=pass"), std::string::npos);
  EXPECT_NE(v.authentication_results.find("iprev=pass"), std::string::npos);
  EXPECT_EQ(v.x_rampart.rfind("action=accept; score=", 0), 0u) << v.x_rampart;
}

TEST_F(Fixture, SpoofedDmarcRejectIsRejected) {
  Verdict v = scan("192.0.2.9", "ceo@spoofed.test", message("spoofed.test"));
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_EQ(v.smtp_reply.rfind("550 5.7.1 ", 0), 0u) << v.smtp_reply;
  EXPECT_TRUE(has(v, "SPF_FAIL"));
  EXPECT_TRUE(has(v, "DMARC_FAIL_REJECT"));
}

TEST_F(Fixture, DmarcQuarantine) {
  Verdict v = scan("192.0.2.1", "a@quar.test", message("quar.test"));
  EXPECT_EQ(v.action, Action::kQuarantine) << v.x_rampart;
}

TEST_F(Fixture, DnsTimeoutTempfailsNeverRejects) {
  dns.set_failure("_dmarc.spoofed.test", dns::RRType::ANY, dns::Status::kTimeout);
  dns.set_failure("spoofed.test", dns::RRType::ANY, dns::Status::kTimeout);
  Verdict v = scan("192.0.2.9", "ceo@spoofed.test", message("spoofed.test"));
  EXPECT_EQ(v.action, Action::kTempfail) << v.x_rampart;
  EXPECT_EQ(v.smtp_reply.rfind("451 4.7.1 ", 0), 0u);
}

// A reverse zone that does not answer is noted, it never holds mail.
TEST_F(Fixture, PtrTimeoutDoesNotTempfail) {
  dns.set_failure("1.2.0.192.in-addr.arpa", dns::RRType::ANY, dns::Status::kTimeout);
  Verdict v = scan("192.0.2.1", "alice@good.test", message("good.test"));
  EXPECT_NE(v.action, Action::kTempfail) << v.x_rampart;
  EXPECT_TRUE(has(v, "RDNS_TEMPFAIL")) << v.x_rampart;
  EXPECT_FALSE(has(v, "RDNS_NONE"));
  EXPECT_NE(v.authentication_results.find("iprev=temperror"), std::string::npos) << v.authentication_results;
}

TEST_F(Fixture, DnsblAndHeaderSanity) {
  Verdict v =
      scan("192.0.2.2", "x@bad.test", "From: a@bad.test\r\nFrom: b@bad.test\r\nSubject: x\r\n\r\nbody\r\n");
  EXPECT_TRUE(has(v, "RBL_TEST")) << v.x_rampart;
  EXPECT_TRUE(has(v, "DBL_TEST")) << v.x_rampart;
  EXPECT_TRUE(has(v, "MULTIPLE_FROM"));
  EXPECT_TRUE(has(v, "MISSING_DATE"));
  EXPECT_TRUE(has(v, "RDNS_NONE"));
  EXPECT_GE(v.score, cfg.add_header_score);
  EXPECT_NE(v.action, Action::kAccept);
}

TEST_F(Fixture, DnsblOutageDoesNotTempfailByDefault) {
  dns.set_failure("2.2.0.192.dnsbl.test", dns::RRType::ANY, dns::Status::kServFail);
  Verdict v = scan("192.0.2.2", "x@good.test", message("good.test"));
  EXPECT_NE(v.action, Action::kTempfail) << v.x_rampart;
  EXPECT_TRUE(has(v, "RBL_TEST_UNAVAILABLE"));
}

TEST_F(Fixture, ThrottlePerIpAndSaslUser) {
  cfg.per_ip = {true, 60, 5};
  cfg.per_sasl_user = {true, 60, 1};
  build();
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    Verdict v = scan("192.0.2.1", "alice@good.test", message("good.test"));
    if (v.action == Action::kTempfail) {
      ++refused;
      EXPECT_EQ(v.smtp_reply.rfind("451 4.7.1 Rate limit exceeded for client 192.0.2.1", 0), 0u)
          << v.smtp_reply;
    }
  }
  EXPECT_EQ(refused, 5);
  clock.advance(std::chrono::seconds(2));  // two tokens back
  EXPECT_EQ(scan("192.0.2.1", "alice@good.test", message("good.test")).action, Action::kAccept);
  // A SASL user from another network.
  EXPECT_EQ(scan("192.0.2.1", "alice@good.test", message("good.test"), "alice").action, Action::kAccept);
  Verdict v = scan("198.51.100.8", "alice@good.test", message("good.test"), "alice");
  EXPECT_EQ(v.action, Action::kTempfail);
  EXPECT_NE(v.smtp_reply.find("user alice"), std::string::npos) << v.smtp_reply;
}

TEST(Throttle, BurstThenRate) {
  FakeClock clock;
  Throttle t(clock, 3);
  RateLimit lim{true, 60, 3};
  EXPECT_TRUE(t.take("a", lim));
  EXPECT_TRUE(t.take("a", lim));
  EXPECT_TRUE(t.take("a", lim));
  EXPECT_FALSE(t.take("a", lim));
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(t.take("a", lim));
  EXPECT_FALSE(t.take("a", lim));
  // Bounded: the least recently used key goes.
  t.take("b", lim);
  t.take("c", lim);
  t.take("d", lim);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_DOUBLE_EQ(t.tokens("a", lim), 3.0);  // forgotten: starts full again
}

// A SharedBuckets backend in memory that can be switched off.
struct FakeBuckets final : SharedBuckets {
  std::map<std::string, double, std::less<>> left;
  bool down = false;
  int calls = 0;
  Result<bool> take(std::string_view key, const RateLimit& limit) override {
    ++calls;
    if (down) return fail(Errc::kTemporary, "fake backend down");
    auto it = left.find(key);
    if (it == left.end()) it = left.emplace(std::string(key), limit.burst).first;
    if (it->second < 1) return false;
    it->second -= 1;
    return true;
  }
};

TEST(Throttle, SharedBackendAndFailOpen) {
  FakeClock clock;
  Throttle t(clock);
  auto fake = std::make_unique<FakeBuckets>();
  FakeBuckets& b = *fake;
  t.set_shared(std::move(fake), std::chrono::seconds(5));
  RateLimit lim{true, 0.0001, 2};
  // The backend decides; no local bucket is made.
  b.left["ip:a"] = 1;
  EXPECT_TRUE(t.take("ip:a", lim));
  EXPECT_FALSE(t.take("ip:a", lim));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.refused(), 1u);
  EXPECT_EQ(t.shared_calls(), 2u);
  // Disabled limits never reach the backend.
  EXPECT_TRUE(t.take("ip:a", RateLimit{false, 1, 1}));
  EXPECT_EQ(b.calls, 2);
  // The backend fails: the local bucket answers (fail open, still limited by
  // the local burst), the failure is counted, the backend is left alone for
  // the fallback period.
  b.down = true;
  EXPECT_TRUE(t.take("ip:a", lim));
  EXPECT_EQ(t.shared_errors(), 1u);
  EXPECT_EQ(b.calls, 3);
  EXPECT_TRUE(t.take("ip:a", lim));
  EXPECT_FALSE(t.take("ip:a", lim));  // the local burst of 2 is spent
  EXPECT_EQ(b.calls, 3);
  EXPECT_EQ(t.fallbacks(), 3u);
  EXPECT_EQ(t.size(), 1u);
  // After the period the backend is asked again; still down: one more
  // error, one more call, and local answers again.
  clock.advance(std::chrono::seconds(5));
  EXPECT_FALSE(t.take("ip:a", lim));
  EXPECT_EQ(b.calls, 4);
  EXPECT_EQ(t.shared_errors(), 2u);
  // Back up: the backend's answer again (its bucket for ip:a is empty).
  b.down = false;
  clock.advance(std::chrono::seconds(5));
  EXPECT_FALSE(t.take("ip:a", lim));
  EXPECT_TRUE(t.take("ip:b", lim));
  EXPECT_EQ(b.calls, 6);
  EXPECT_EQ(t.shared_errors(), 2u);
}

// ip then net in one call: the second bucket is only charged when the first
// gave a token; disabled limits are skipped; locally and through a backend.
TEST(Throttle, TakePair) {
  FakeClock clock;
  for (bool shared : {false, true}) {
    Throttle t(clock);
    FakeBuckets* b = nullptr;
    if (shared) {
      auto fake = std::make_unique<FakeBuckets>();
      b = fake.get();
      t.set_shared(std::move(fake));
    }
    const RateLimit ip{true, 0.0001, 2}, net{true, 0.0001, 3}, off{false, 1, 1};
    EXPECT_EQ(t.take_pair("ip:a", ip, "net:n", net), 0) << shared;
    EXPECT_EQ(t.take_pair("ip:a", ip, "net:n", net), 0) << shared;
    EXPECT_EQ(t.take_pair("ip:a", ip, "net:n", net), 1) << shared;  // ip spent; net keeps its last token
    EXPECT_EQ(t.take_pair("ip:b", ip, "net:n", net), 0) << shared;
    EXPECT_EQ(t.take_pair("ip:c", ip, "net:n", net), 2) << shared;  // net spent
    EXPECT_EQ(t.take_pair("ip:d", off, "net:m", net), 0) << shared;
    EXPECT_EQ(t.take_pair("ip:a", ip, "net:m", off), 1) << shared;
    EXPECT_EQ(t.take_pair("ip:e", off, "net:n", net), 2) << shared;
    EXPECT_EQ(t.refused(), 4u) << shared;
    if (shared) {
      EXPECT_EQ(t.size(), 0u);  // the backend decided everything
      EXPECT_EQ(t.shared_calls(), 8u);
      b->down = true;  // fail open to the local buckets
      EXPECT_EQ(t.take_pair("ip:z", ip, "net:z", net), 0);
      EXPECT_EQ(t.shared_errors(), 1u);
    }
  }
}

// Issue 12, "verdicts a postmaster would sign".
const Symbol* find(const Verdict& v, const std::string& name) {
  for (const auto& s : v.symbols)
    if (s.name == name) return &s;
  return nullptr;
}

// A subscriber on an access network (no PTR, outside the provider's SPF)
// submits mail From the provider's own domain (p=reject) after SASL login.
TEST_F(Fixture, AuthenticatedSubmissionIsJudgedAsOutbound) {
  Verdict v = scan("203.0.113.7", "alice@provider.test", message("provider.test"), "alice");
  EXPECT_EQ(v.action, Action::kAccept) << v.x_rampart;
  EXPECT_TRUE(has(v, "AUTH_SUBMISSION")) << v.x_rampart;
  for (const char* inbound : {"SPF_FAIL", "DMARC_FAIL_REJECT", "RDNS_NONE", "FCRDNS_FAIL", "SENDERID_FAIL",
                              "DKIM_NONE", "RBL_TEST", "DBL_TEST"})
    EXPECT_FALSE(has(v, inbound)) << inbound << ": " << v.x_rampart;
  EXPECT_EQ(v.authentication_results.find("spf="), std::string::npos) << v.authentication_results;
  // The same message without the login is the spoof it looks like.
  Verdict anon = scan("203.0.113.7", "alice@provider.test", message("provider.test"));
  EXPECT_EQ(anon.action, Action::kReject) << anon.x_rampart;
}

// The milter learns {auth_authen} at MAIL FROM: what the connect-stage
// checks found about the subscriber's address is dropped then.
TEST_F(Fixture, LoginSeenAtMailDropsWhatConnectFound) {
  auto s = std::make_shared<ScanState>();
  s->env.ip = *IpAddress::parse("192.0.2.2");  // no PTR, listed in dnsbl.test
  s->env.has_ip = true;
  bool done = false;
  pipe->run(Stage::kConnect, s, [&] { done = true; });
  while (!done) dns.wait(100);
  ASSERT_NE(s->symbols.size(), 0u);
  EXPECT_FALSE(s->auth.empty());  // iprev
  s->env.helo = "laptop";
  s->env.mail_from = "alice@provider.test";
  s->env.auth_user = "alice";
  s->env.rcpts = {"bob@example.net"};
  s->set_message(message("provider.test"));
  Verdict v = pipe->scan_sync(s);  // connect again is harmless: fcrdns and dnsbl_ip are inbound-only
  EXPECT_EQ(v.action, Action::kAccept) << v.x_rampart;
  EXPECT_FALSE(has(v, "RDNS_NONE")) << v.x_rampart;
  EXPECT_FALSE(has(v, "RBL_TEST")) << v.x_rampart;
  EXPECT_EQ(v.authentication_results.find("iprev"), std::string::npos) << v.authentication_results;
}

TEST_F(Fixture, SubmissionSignsOfACompromisedAccount) {
  auto s = std::make_shared<ScanState>();
  s->env.ip = *IpAddress::parse("203.0.113.7");
  s->env.has_ip = true;
  s->env.mail_from = "alice@provider.test";
  s->env.auth_user = "alice";
  for (int i = 0; i < 80; ++i) s->env.rcpts.push_back("r" + std::to_string(i) + "@example.net");
  s->set_message(message("bank.example"));
  Verdict v = pipe->scan_sync(s);
  const Symbol* many = find(v, "SUBMISSION_MANY_RCPTS");
  ASSERT_NE(many, nullptr) << v.x_rampart;
  EXPECT_EQ(many->score, cfg.scores("SUBMISSION_MANY_RCPTS"));
  EXPECT_TRUE(has(v, "SUBMISSION_FOREIGN_FROM")) << v.x_rampart;
  // The user's own rate limit applies (not the inbound checks).
  cfg.per_sasl_user = {true, 60, 1};
  build();
  EXPECT_NE(scan("203.0.113.7", "carol@provider.test", message("provider.test"), "carol").action,
            Action::kTempfail);
  Verdict again = scan("203.0.113.8", "carol@provider.test", message("provider.test"), "carol");
  EXPECT_EQ(again.action, Action::kTempfail) << again.x_rampart;
}

// A bulk mailer sends from outside its SPF; its domain publishes p=none.
TEST_F(Fixture, DmarcNoneNeverRejectsAndSpfIsNotCountedTwice) {
  for (const char* ip : {"192.0.2.1", "192.0.2.9"}) {  // with and without FCrDNS
    Verdict v = scan(ip, "news@bulk.test", message("bulk.test"));
    EXPECT_NE(v.action, Action::kReject) << ip << ": " << v.x_rampart;
    EXPECT_NE(v.action, Action::kQuarantine) << ip << ": " << v.x_rampart;
    const Symbol* spf = find(v, "SPF_FAIL");
    ASSERT_NE(spf, nullptr) << v.x_rampart;
    EXPECT_EQ(spf->score, 0) << "SPF fail counted beside the DMARC fail made of it";
    const Symbol* d = find(v, "DMARC_FAIL_NONE");
    ASSERT_NE(d, nullptr) << v.x_rampart;
    EXPECT_EQ(d->score, cfg.scores("DMARC_FAIL_NONE"));
  }
  // Without a DMARC record SPF counts for itself.
  Verdict v = scan("192.0.2.9", "x@spoofed-nodmarc.test", message("spoofed-nodmarc.test"));
  EXPECT_FALSE(has(v, "DMARC_FAIL_NONE"));
}

TEST_F(Fixture, DmarcPassStandsForSpfAndDkim) {
  Verdict v = scan("192.0.2.1", "alice@good.test", message("good.test"));
  const Symbol* spf = find(v, "SPF_PASS");
  const Symbol* d = find(v, "DMARC_PASS");
  ASSERT_TRUE(spf && d) << v.x_rampart;
  EXPECT_EQ(spf->score, 0);
  EXPECT_EQ(d->score, cfg.scores("DMARC_PASS"));
  EXPECT_EQ(v.score, cfg.scores("DMARC_PASS")) << v.x_rampart;
}

// p=quarantine is quarantined, whatever SPF and DMARC add up to; only
// independent evidence reaching reject_score rejects.
TEST_F(Fixture, DmarcQuarantineSpoofIsQuarantinedNotRejected) {
  Verdict v = scan("192.0.2.9", "ceo@quar.test", message("quar.test"));
  EXPECT_EQ(v.action, Action::kQuarantine) << v.x_rampart;
  EXPECT_EQ(v.reason, "dmarc");
  // The same with the old double counting's weight on SPF (e.g. an operator's [scores]).
  cfg.scores.set("SPF_FAIL", 20);
  cfg.scores.set("SENDERID_FAIL", 20);
  build();
  EXPECT_EQ(scan("192.0.2.9", "ceo@quar.test", message("quar.test")).action, Action::kQuarantine);
  // Independent evidence (here: no reverse DNS weighted past reject_score) rejects.
  cfg.scores.set("RDNS_NONE", 15);
  build();
  Verdict r = scan("192.0.2.9", "ceo@quar.test", message("quar.test"));
  EXPECT_EQ(r.action, Action::kReject) << r.x_rampart;
}

TEST_F(Fixture, MessageWithoutFromIsMarked) {
  Verdict v = scan("192.0.2.1", "alice@good.test",
                   "To: bob@example.net\r\nSubject: hi\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                   "Message-ID: <2@good.test>\r\n\r\nbody\r\n");
  EXPECT_TRUE(has(v, "MISSING_FROM")) << v.x_rampart;
  EXPECT_LT(v.score, cfg.add_header_score) << v.x_rampart;  // marked although the score is low
  EXPECT_EQ(v.action, Action::kAddHeader) << v.x_rampart;
  EXPECT_EQ(v.reason, "header_sanity");
}

TEST(PolicyConfig, ScoresTable) {
  struct Case {
    const char* toml;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"[scores]\nSPF_FAIL = 9\nDMARC_FAIL_NONE = 1.5\n", nullptr},
      {"[scores]\nSPF_FAILL = 9\n", "p.toml:2:1: scores.SPF_FAILL: unknown symbol"},
      {"[scores]\nSPF_FAIL = \"9\"\n", "scores.SPF_FAIL: expected a number, got a string"},
      {"[policy.spf]\nfail = 9.0\n", "policy.spf.fail: scores live in one table now: [scores] SPF_FAIL"},
      {"[reputation]\nscore_spammer = 9.0\n", "reputation.score_spammer: scores live in one table now"},
      {"[[policy.dnsbl.ip]]\nzone = \"z.test\"\nsymbol = \"RBL_Z\"\n[scores]\nRBL_Z = 7\n", nullptr},
  };
  for (const auto& c : cases) {
    auto cfg = Config::parse(c.toml, "p.toml");
    ASSERT_TRUE(cfg) << c.toml;
    auto p = PolicyConfig::from(*cfg);
    auto st = cfg->finish();
    if (!c.error) {
      ASSERT_TRUE(p) << c.toml << p.error().message;
      EXPECT_TRUE(st) << c.toml << st.error().message;
      continue;
    }
    const std::string msg = !p ? p.error().message : (!st ? st.error().message : "");
    EXPECT_NE(msg.find(c.error), std::string::npos) << c.toml << " -> " << msg;
  }
  auto cfg = Config::parse("[scores]\nSPF_FAIL = 9\n[[policy.dnsbl.ip]]\nzone = \"z.test\"\nweight = 2.5\n");
  auto p = PolicyConfig::from(*cfg);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scores("SPF_FAIL"), 9);
  EXPECT_EQ(p->scores("SPF_SOFTFAIL"), 2);
  EXPECT_EQ(p->scores("DNSBL_Z_TEST"), 2.5);
  // --print-config shows the whole table.
  const std::string eff = cfg->effective_toml();
  EXPECT_NE(eff.find("[scores]"), std::string::npos) << eff;
  EXPECT_NE(eff.find("SPF_FAIL = 9"), std::string::npos) << eff;
  EXPECT_NE(eff.find("DMARC_FAIL_QUARANTINE = 7.0"), std::string::npos) << eff;
}

TEST(PolicyConfig, DefaultTextMatchesDefaults) {
  auto cfg = Config::parse(default_config_text());
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto pc = PolicyConfig::from(*cfg);
  ASSERT_TRUE(pc);
  PolicyConfig d;
  EXPECT_EQ(pc->reject_score, d.reject_score);
  EXPECT_EQ(pc->quarantine_score, d.quarantine_score);
  EXPECT_EQ(pc->add_header_score, d.add_header_score);
  EXPECT_EQ(pc->scores.all(), d.scores.all());
  EXPECT_EQ(pc->scores("SPF_FAIL"), 6.0);
  EXPECT_EQ(pc->submission_max_rcpts, d.submission_max_rcpts);
  EXPECT_EQ(pc->dmarc_reject, d.dmarc_reject);
  EXPECT_EQ(pc->per_ip.burst, d.per_ip.burst);
  EXPECT_EQ(pc->per_sasl_user.per_minute, d.per_sasl_user.per_minute);
  EXPECT_EQ(pc->max_scan_bytes, d.max_scan_bytes);
  EXPECT_FALSE(pc->throttle_shared.has_value());
  EXPECT_EQ(pc->throttle_shared_timeout_ms, d.throttle_shared_timeout_ms);
  EXPECT_EQ(pc->throttle_shared_fallback_ms, d.throttle_shared_fallback_ms);
  auto sh = Config::parse("[throttle]\nshared = false\n");
  ASSERT_TRUE(sh);
  EXPECT_EQ(PolicyConfig::from(*sh)->throttle_shared, std::optional<bool>(false));
  EXPECT_TRUE(pc->dnsbl_ip.empty());
  auto bad = Config::parse("[policy]\nreject_score = 1.0\n");
  ASSERT_TRUE(bad);
  EXPECT_FALSE(PolicyConfig::from(*bad));
  auto z = Config::parse("[[policy.dnsbl.ip]]\nzone = \"zen.example.\"\nweight = 2.5\n");
  ASSERT_TRUE(z);
  auto pz = PolicyConfig::from(*z);
  ASSERT_TRUE(pz);
  ASSERT_EQ(pz->dnsbl_ip.size(), 1u);
  EXPECT_EQ(pz->dnsbl_ip[0].zone, "zen.example");
  EXPECT_EQ(pz->dnsbl_ip[0].symbol, "DNSBL_ZEN_EXAMPLE");
}

// Every section reader of rampartd's policy on one file, then the keys none read.
Status read_all(const Config& cfg) {
  auto p = PolicyConfig::from(cfg);
  auto d = DaemonConfig::from(cfg);
  auto f = cfg.finish();
  if (!p) return tl::unexpected(p.error());
  if (!d) return tl::unexpected(d.error());
  return f;
}

TEST(PolicyConfig, StrictKeysTypesAndValues) {
  struct Case {
    const char* toml;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"[throttle.ip]\nburst = 2\nper_minute = 30\n", nullptr},
      {"[throttle]\nexempt = [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.7\"]\n", nullptr},
      {"[throttle.ip]\nburst = \"2\"\n", "p.toml:2:1: throttle.ip.burst: expected a number, got a string"},
      {"[throttle.ip]\nburst = -1\n", "p.toml:2:1: throttle.ip.burst: -1 is out of range"},
      {"[throttle.ip]\nper_minute = 0\n", "throttle.ip.per_minute: must be > 0"},
      {"[throttle.ip]\nper_minute = 0.00001\n", nullptr},
      {"[throttle.ip]\nbrust = 2\n", "p.toml:2:1: throttle.ip.brust: unknown key"},
      {"[polcy]\nreject_score = 20.0\n", "p.toml:1:2: polcy: unknown table"},
      {"[throttle]\nexempt = [\"10.0.0.0/x\"]\n", "throttle.exempt: bad prefix length in \"10.0.0.0/x\""},
      {"[throttle]\nexempt = [\"10.0.0.1/8\"]\n", "did you mean 10.0.0.0/8?"},
      {"[throttle]\nexempt = \"10.0.0.0/8\"\n", "throttle.exempt: expected an array of strings"},
      {"[throttle]\nshared = \"yes\"\n", "throttle.shared: expected a boolean"},
      {"[throttle]\nshared_timeout_ms = 0\n", "throttle.shared_timeout_ms: 0 is out of range"},
      {"[policy]\nreject_score = 1.0\n", "add_header_score <= quarantine_score <= reject_score"},
      {"[policy]\nmax_scan_bytes = 10\n", "policy.max_scan_bytes: 10 is out of range"},
      {"[policy]\nauthserv_id = \"a b\"\n", "policy.authserv_id: expected a host name"},
      {"[policy.spf]\nenabled = 1\n", "policy.spf.enabled: expected a boolean"},
      {"[[policy.dnsbl.ip]]\nweight = 2\n", "policy.dnsbl.ip[0].zone: expected a DNS zone"},
      {"[[policy.dnsbl.ip]]\nzone = \"z.test\"\nwieght = 2\n",
       "p.toml:3:1: policy.dnsbl.ip[0].wieght: unknown key"},
      {"[policy.dnsbl]\nip = \"z.test\"\n", "policy.dnsbl.ip: expected an array of tables"},
      // Found by fuzz_config once UBSan/abort findings were fatal: a quote in
      // a symbol printed [scores] as TOML that did not parse again.
      {"[[policy.dnsbl.ip]]\nzone = \"z.test\"\nsymbol = \"ZB'L_Z\"\n",
       "p.toml:3:1: policy.dnsbl.ip[0].symbol: a symbol is 1-64 letters, digits or '_'"},
      {"[[policy.dnsbl.ip]]\nzone = \"z.test\"\nsymbol = \"ZEN_IP\"\n", nullptr},
      {"[dns]\nnameservers = [\"::1\", \"127.0.0.1:5353\"]\n", nullptr},
      {"[dns]\nnameservers = [\"ns.example\"]\n", "dns.nameservers: \"ns.example\": not an IP address"},
      {"[dns]\ntimeout_ms = 2.5\n", "dns.timeout_ms: expected an integer, got a number"},
  };
  for (const auto& c : cases) {
    auto cfg = Config::parse(c.toml, "p.toml");
    ASSERT_TRUE(cfg) << c.toml;
    auto st = read_all(*cfg);
    if (!c.error) {
      EXPECT_TRUE(st) << c.toml << ": " << (st ? "" : st.error().message);
      continue;
    }
    ASSERT_FALSE(st) << c.toml;
    EXPECT_NE(st.error().message.find(c.error), std::string::npos) << c.toml << " -> " << st.error().message;
  }
  // The exemption is the network, not every IPv4 client (atoi("x") was 0: /0).
  auto cfg = Config::parse("[throttle]\nexempt = [\"10.0.0.0/8\"]\n");
  auto pc = PolicyConfig::from(*cfg);
  ASSERT_TRUE(pc);
  ASSERT_EQ(pc->throttle_exempt.size(), 1u);
  EXPECT_TRUE(pc->throttle_exempt[0].contains(*IpAddress::parse("10.9.9.9")));
  EXPECT_FALSE(pc->throttle_exempt[0].contains(*IpAddress::parse("192.0.2.1")));
}

}  // namespace
}  // namespace rampart::policy

namespace rampart::policy {
namespace {

TEST(VerdictLog, OneLineWithEverythingAndNothingForged) {
  ScanState s;
  s.env.queue_id = "4Xy3z1";
  s.env.client_name = "mx.example.org";
  s.env.ip = *IpAddress::parse("192.0.2.1");
  s.env.has_ip = true;
  s.env.helo = "mx.example.org";
  s.env.mail_from = "alice@example.org";
  s.env.rcpts = {"bob@example.net", "carol@example.net"};
  Verdict v;
  v.action = Action::kReject;
  v.score = 16.5;
  v.smtp_reply = "550 5.7.1 Rejected";
  v.symbols = {{"SPF_FAIL", 6.0, "192.0.2.1 not permitted", "spf", false},
               {"X", 1.0, "a \"quote\"\nforged: line", "x", false}};
  const std::string line = verdict_log_line(s, v);
  EXPECT_EQ(
      line,
      "4Xy3z1: client=mx.example.org[192.0.2.1], helo=<mx.example.org>, from=<alice@example.org>, "
      "to=<bob@example.net>, nrcpt=2, action=reject, score=16.50, reply=\"550 5.7.1 Rejected\", "
      "symbols=SPF_FAIL(6.00 \"192.0.2.1 not permitted\"), X(1.00 \"a \\\"quote\\\"\\x0aforged: line\")");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  ScanState anon;
  Verdict a;
  a.action = Action::kAccept;
  EXPECT_EQ(
      verdict_log_line(anon, a).rfind("NOQUEUE: id=" + anon.log_id() +
                                          ", client=unknown[local], helo=<>, from=<>, nrcpt=0, action=accept",
                                      0),
      0u);
  EXPECT_EQ(anon.log_id().size(), 12u);
  EXPECT_EQ(s.log_id(), "4Xy3z1");  // the queue id once known
  // A flood of symbols is cut, not logged whole.
  for (int i = 0; i < 1000; ++i)
    a.symbols.push_back({"SYMBOL_" + std::to_string(i), 0.0, std::string(50, 'r'), "x", false});
  EXPECT_LT(verdict_log_line(anon, a).size(), 4300u);
}

// Pass rates count messages, not entries: one good DKIM signature of two
// passes the message; an unknown result is "other"; absent methods are not counted.
TEST(AuthTally, OnePerMessageAndMethod) {
  AuthTally t;
  auto res = [](std::string m, std::string r) {
    authres::ResInfo i;
    i.method = std::move(m);
    i.result = std::move(r);
    return i;
  };
  ScanState a;
  a.auth = {res("spf", "softfail"), res("dkim", "fail"), res("dkim", "pass"), res("dmarc", "fail"),
            res("iprev", "pass")};
  t.count(a);
  ScanState b;
  b.auth = {res("spf", "pass"), res("dkim", "permerror"), res("dkim", "fail"), res("arc", "bogus")};
  t.count(b);
  t.count(ScanState{});
  auto at = [&](std::string_view m, std::string_view r) {
    size_t mi = 0, ri = 0;
    while (AuthTally::kMethods[mi] != m) ++mi;
    while (AuthTally::kResults[ri] != r) ++ri;
    return t.get(mi, ri);
  };
  EXPECT_EQ(at("spf", "softfail"), 1u);
  EXPECT_EQ(at("spf", "pass"), 1u);
  EXPECT_EQ(at("dkim", "pass"), 1u);
  EXPECT_EQ(at("dkim", "fail"), 0u);
  EXPECT_EQ(at("dkim", "permerror"), 1u);
  EXPECT_EQ(at("dmarc", "fail"), 1u);
  EXPECT_EQ(at("arc", "other"), 1u);
  uint64_t total = 0;
  for (size_t m = 0; m < AuthTally::kMethods.size(); ++m)
    for (size_t r = 0; r < AuthTally::kResults.size(); ++r) total += t.get(m, r);
  EXPECT_EQ(total, 6u);
}

}  // namespace
}  // namespace rampart::policy
