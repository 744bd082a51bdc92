// File: src/server/milter/session_test.cc
// MilterSession driven command by command as Postfix would, over a
// ZoneResolver: negotiation, no-reply flags, headers added, DMARC reject,
// throttling at MAIL FROM, several messages per connection, ABORT, forged
// Authentication-Results removed, stage deadline -> 451 4.4.3, the replies
// at end of message in one send().
#include "server/milter/session.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#ifdef HAVE_RAMPART_ARC
#include "auth/arc/arc.h"
#endif
#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/throttle.h"

namespace rampart::server {
namespace {

constexpr const char* kZone = R"(
good.test.            300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.good.test.     300 TXT "v=DMARC1; p=reject"
spoofed.test.         300 TXT "v=spf1 ip4:198.51.100.1 -all"
_dmarc.spoofed.test.  300 TXT "v=DMARC1; p=reject"
1.2.0.192.in-addr.arpa. 300 PTR mx.good.test.
mx.good.test.         300 A 192.0.2.1
)";

struct Sink final : MilterSink {
  std::string bytes;
  bool closed = false;
  size_t sends = 0;          // send() calls: one per batch of replies
  size_t sent_at_close = 0;  // bytes given before close()
  void send(std::string_view b) override {
    bytes.append(b);
    ++sends;
  }
  void close() override {
    closed = true;
    sent_at_close = bytes.size();
  }
  std::vector<milter::Reply> take() {
    std::vector<milter::Reply> out;
    milter::Framer f;
    f.feed(bytes);
    bytes.clear();
    while (true) {
      auto p = f.next();
      if (!p || !*p) break;
      auto r = milter::decode_reply(**p);
      if (r) out.push_back(*r);
    }
    return out;
  }
};

// A resolver that never answers (for deadlines).
struct SilentResolver final : dns::Resolver {
  std::vector<Callback> held;
  void resolve(std::string_view, dns::RRType, Callback cb) override { held.push_back(std::move(cb)); }
};

// A resolver that answers from `inner` only when release() is called (every
// lookup completes later, from "the event loop", as unbound's do).
struct DeferredResolver final : dns::Resolver {
  explicit DeferredResolver(dns::Resolver& r) : inner(r) {}
  dns::Resolver& inner;
  std::vector<std::tuple<std::string, dns::RRType, Callback>> held;
  void resolve(std::string_view name, dns::RRType type, Callback cb) override {
    held.emplace_back(std::string(name), type, std::move(cb));
  }
  size_t release() {
    size_t n = 0;
    while (!held.empty()) {
      auto now = std::move(held);
      held.clear();
      for (auto& [name, type, cb] : now) inner.resolve(name, type, std::move(cb)), ++n;
    }
    return n;
  }
};

constexpr uint32_t kPostfixActions = 0x1ff;
constexpr uint32_t kPostfixProtocol = 0x1fffff;

struct SessionTest : ::testing::Test {
  dns::ZoneResolver dns;
  FakeClock clock;
  std::shared_ptr<policy::Throttle> throttle = std::make_shared<policy::Throttle>(clock);
  policy::PolicyConfig cfg;
  std::shared_ptr<policy::Pipeline> pipe;
  MilterStats stats;
  Sink sink;
  std::shared_ptr<MilterSession> s;

  void SetUp() override {
    auto z = dns::parse_zone(kZone);
    ASSERT_TRUE(z) << z.error().message;
    dns.load(*z);
    cfg.authserv_id = "mx.example.net";
    start();
  }
  void start(dns::Resolver* r = nullptr, SessionOptions so = {}) {
    pipe = policy::Pipeline::create(cfg, r ? *r : dns, clock, throttle);
    s = std::make_shared<MilterSession>([this] { return pipe; }, sink, stats, so);
  }
  void cmd(milter::Command c) { s->on_command(std::move(c)); }
  void connect(const std::string& ip = "192.0.2.1") {
    cmd(milter::OptNeg{6, kPostfixActions, kPostfixProtocol});
    auto r = sink.take();
    ASSERT_EQ(r.size(), 1u);
    auto& o = std::get<milter::OptNeg>(r[0]);
    EXPECT_EQ(o.version, 6u);
    EXPECT_EQ(o.actions, milter::kAddHeaders | milter::kChangeHeaders | milter::kQuarantine);
    EXPECT_TRUE(o.protocol & milter::kNrConnect);
    EXPECT_TRUE(o.protocol & milter::kNrBody);
    EXPECT_FALSE(o.protocol & milter::kNrMail);
    cmd(milter::Macros{'C', {{"j", "mx.example.net"}}});
    cmd(milter::Connect{"client.example", '4', 40000, ip});
    cmd(milter::Helo{"mx.good.test"});
    EXPECT_TRUE(sink.take().empty());  // NR_CONN, NR_HELO
  }
  std::vector<milter::Reply> message(const std::string& from, const std::string& header_from,
                                     const std::vector<milter::Header>& extra = {}) {
    cmd(milter::Macros{'M', {{"i", "ABC"}}});
    cmd(milter::Mail{{"<" + from + ">"}});
    auto r = sink.take();
    if (r.size() != 1 || !std::holds_alternative<milter::Continue>(r[0])) return r;
    cmd(milter::Rcpt{{"<bob@example.net>"}});
    cmd(milter::Data{});
    cmd(milter::Header{"From", " <alice@" + header_from + ">"});
    cmd(milter::Header{"Subject", " hi"});
    cmd(milter::Header{"Date", " Mon, 1 Jan 2024 00:00:00 +0000"});
    cmd(milter::Header{"Message-ID", " <1@x>"});
    for (const auto& h : extra) cmd(h);
    cmd(milter::EndOfHeaders{});
    cmd(milter::Body{"Hello.\r\n"});
    EXPECT_TRUE(sink.take().empty());  // NR_BODY: body chunks are not answered
    cmd(milter::EndOfBody{});
    return sink.take();
  }
};

TEST_F(SessionTest, GoodMailGetsHeaders) {
  connect();
  auto r = message("alice@good.test", "good.test");
  ASSERT_EQ(r.size(), 3u);
  auto& xr = std::get<milter::InsertHeader>(r[0]);
  EXPECT_EQ(xr.name, "X-Rampart");
  EXPECT_EQ(xr.value.rfind(" action=accept", 0), 0u) << xr.value;  // leading space: HDR_LEADSPC
  auto& ar = std::get<milter::InsertHeader>(r[1]);
  EXPECT_EQ(ar.name, "Authentication-Results");
  EXPECT_EQ(ar.index, 0u);
  EXPECT_NE(ar.value.find("spf=pass"), std::string::npos) << ar.value;
  EXPECT_NE(ar.value.find("dmarc=pass"), std::string::npos) << ar.value;
  EXPECT_TRUE(std::holds_alternative<milter::Continue>(r[2]));
  EXPECT_EQ(stats.accepted, 1u);
}

TEST_F(SessionTest, SpoofedDmarcRejected) {
  connect("192.0.2.7");
  auto r = message("ceo@spoofed.test", "spoofed.test");
  ASSERT_EQ(r.size(), 1u);
  auto& y = std::get<milter::ReplyCode>(r[0]);
  EXPECT_EQ(y.text.rfind("550 5.7.1 ", 0), 0u) << y.text;
}

TEST_F(SessionTest, ManyMessagesAndAbort) {
  connect();
  for (int i = 0; i < 5; ++i) {
    auto r = message("alice@good.test", "good.test");
    ASSERT_FALSE(r.empty());
    EXPECT_TRUE(std::holds_alternative<milter::Continue>(r.back()));
  }
  cmd(milter::Mail{{"<alice@good.test>"}});
  EXPECT_EQ(sink.take().size(), 1u);
  cmd(milter::Abort{});
  auto r = message("alice@good.test", "good.test");
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(stats.messages, 7u);
  EXPECT_EQ(stats.accepted, 6u);
  cmd(milter::QuitNewConnection{});
  connect();
  cmd(milter::Quit{});
  EXPECT_TRUE(sink.closed);
}

TEST_F(SessionTest, ThrottledAtMailFrom) {
  cfg.per_ip = {true, 1, 2};
  start();
  connect();
  message("alice@good.test", "good.test");
  message("alice@good.test", "good.test");
  auto r = message("alice@good.test", "good.test");
  ASSERT_EQ(r.size(), 1u);
  auto& y = std::get<milter::ReplyCode>(r[0]);
  EXPECT_EQ(y.text.rfind("451 4.7.1 Rate limit exceeded for client 192.0.2.1", 0), 0u) << y.text;
  EXPECT_EQ(stats.throttled, 1u);
  // The metrics agree (issue 15): a throttled message is a tempfail verdict too.
  EXPECT_EQ(stats.tempfailed, stats.throttled);
}

TEST_F(SessionTest, SaslUserThrottle) {
  cfg.per_sasl_user = {true, 1, 1};
  start();
  connect();
  cmd(milter::Macros{'M', {{"{auth_authen}", "mallory"}}});
  cmd(milter::Mail{{"<alice@good.test>"}});
  EXPECT_TRUE(std::holds_alternative<milter::Continue>(sink.take().at(0)));
  cmd(milter::Abort{});
  cmd(milter::Macros{'M', {{"{auth_authen}", "mallory"}}});
  cmd(milter::Mail{{"<alice@good.test>"}});
  auto r = sink.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(std::get<milter::ReplyCode>(r[0]).text.find("user mallory"), std::string::npos);
}

// {auth_authen} is read with or without braces among the other macros an
// MTA sends (which are not kept), and holds for the following messages.
TEST_F(SessionTest, AuthMacroAmongOthers) {
  connect();
  cmd(milter::Macros{'M', {{"{mail_mailer}", "esmtp"}, {"auth_authen", "bob"}, {"{auth_type}", "PLAIN"}}});
  for (int i = 0; i < 2; ++i) {
    auto r = message("alice@good.test", "good.test");
    ASSERT_FALSE(r.empty());
    auto* xr = std::get_if<milter::InsertHeader>(&r[0]);
    ASSERT_NE(xr, nullptr);
    EXPECT_EQ(xr->name, "X-Rampart");
    EXPECT_NE(xr->value.find("AUTH_SUBMISSION"), std::string::npos) << xr->value;
  }
  cmd(milter::QuitNewConnection{});
  connect();
  auto r = message("alice@good.test", "good.test");
  ASSERT_FALSE(r.empty());
  auto* xr = std::get_if<milter::InsertHeader>(&r[0]);
  ASSERT_NE(xr, nullptr);
  EXPECT_EQ(xr->value.find("AUTH_SUBMISSION"), std::string::npos) << xr->value;  // a new connection
}

TEST_F(SessionTest, ForgedAuthenticationResultsRemoved) {
  connect();
  auto r = message("alice@good.test", "good.test",
                   {milter::Header{"Authentication-Results", " other.example; spf=pass"},
                    milter::Header{"Authentication-Results", " mx.example.net; dmarc=pass"}});
  ASSERT_EQ(r.size(), 4u);
  auto& m = std::get<milter::ChangeHeader>(r[0]);
  EXPECT_EQ(m.index, 2u);
  EXPECT_EQ(m.value, "");
}

// However many: 5,000 forged Authentication-Results claiming our
// authserv-id (any case) and every X-Rampart are deleted, from the last, by
// their index among the fields of their name; others stay.
TEST_F(SessionTest, EveryForgedFieldRemoved) {
  connect();
  std::vector<milter::Header> extra;
  for (int i = 0; i < 5000; ++i) {
    extra.push_back(milter::Header{"Authentication-Results",
                                   i % 2 ? " MX.example.net; dkim=pass" : " mx.example.net; spf=pass"});
    if (i % 1000 == 0) {
      extra.push_back(milter::Header{"Authentication-Results", " other.example; spf=pass"});
      extra.push_back(milter::Header{"x-rampart", " action=accept; score=-50"});
    }
  }
  auto r = message("alice@good.test", "good.test", extra);
  std::vector<uint32_t> ar, xr;
  size_t added = 0;
  for (const auto& rep : r) {
    if (auto* c = std::get_if<milter::ChangeHeader>(&rep)) {
      EXPECT_EQ(c->value, "");
      (c->name == "X-Rampart" ? xr : ar).push_back(c->index);
    }
    if (std::holds_alternative<milter::InsertHeader>(rep)) ++added;
  }
  ASSERT_EQ(ar.size(), 5000u);
  ASSERT_EQ(xr.size(), 5u);
  EXPECT_EQ(added, 2u);
  // The first forged field is index 1, then a foreign one (2) after it: 3, 4, ...
  EXPECT_EQ(ar.back(), 1u);
  EXPECT_EQ(ar[ar.size() - 2], 3u);
  EXPECT_EQ(ar.front(), 5005u);  // 5,000 ours + 5 foreign, the last is ours
  for (size_t i = 1; i < ar.size(); ++i) EXPECT_GT(ar[i - 1], ar[i]);
  EXPECT_EQ(xr, (std::vector<uint32_t>{5, 4, 3, 2, 1}));
  // The next message starts clean.
  r = message("alice@good.test", "good.test");
  for (const auto& rep : r) EXPECT_FALSE(std::holds_alternative<milter::ChangeHeader>(rep));
}

TEST(CapField, CutsAfterWholeElements) {
  EXPECT_EQ(cap_field("short", 10), "short");
  EXPECT_EQ(cap_field("mx; spf=pass; dkim=pass", 16), "mx; spf=pass");
  EXPECT_EQ(cap_field("mx; spf=pass; dkim=pass", 14), "mx; spf=pass");
  EXPECT_EQ(cap_field("abcdefghij", 4), "abcd");
  std::string big = "mx.example.net";
  for (int i = 0; i < 5000; ++i) big += "; dkim=pass header.d=d" + std::to_string(i) + ".example";
  const std::string c = cap_field(big);
  EXPECT_LE(c.size(), kMaxAddedField);
  EXPECT_GT(c.size(), kMaxAddedField - 64);
  EXPECT_EQ(c.back(), 'e');  // ends with a whole element ("...example")
}

TEST_F(SessionTest, CommandBeforeNegotiationCloses) {
  cmd(milter::Helo{"x"});
  EXPECT_TRUE(sink.closed);
  EXPECT_EQ(stats.protocol_errors, 1u);
}

// The replies at end of message (deleted fields, inserted fields, the
// verdict) reach the sink in one send(): one syscall and one wake-up of the
// MTA, whether the stage completes at once or later from the resolver.
TEST_F(SessionTest, EndOfMessageRepliesInOneSend) {
  connect();
  const size_t before = sink.sends;
  auto r = message("alice@good.test", "good.test",
                   {milter::Header{"Authentication-Results", " mx.example.net; dmarc=pass"}});
  ASSERT_EQ(r.size(), 4u);  // CHGHEADER, INSHEADER x2, CONTINUE
  EXPECT_TRUE(std::holds_alternative<milter::ChangeHeader>(r[0]));
  EXPECT_TRUE(std::holds_alternative<milter::Continue>(r[3]));
  EXPECT_EQ(sink.sends - before, 2u);  // MAIL, end of message (NR_BODY)

  DeferredResolver later(dns);
  start(&later);
  connect();
  while (later.release() > 0) {
  }
  cmd(milter::Mail{{"<alice@good.test>"}});
  EXPECT_GT(later.release(), 0u);  // SPF
  ASSERT_EQ(sink.take().size(), 1u);
  cmd(milter::Rcpt{{"<bob@example.net>"}});
  cmd(milter::Header{"From", " <alice@good.test>"});
  cmd(milter::Header{"Date", " Mon, 1 Jan 2024 00:00:00 +0000"});
  cmd(milter::Header{"Message-ID", " <2@x>"});
  cmd(milter::EndOfHeaders{});
  cmd(milter::EndOfBody{});
  const size_t mid = sink.sends;
  EXPECT_TRUE(sink.take().empty());
  EXPECT_GT(later.release(), 0u);  // DKIM, DMARC: completions from the resolver
  auto done = sink.take();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<milter::Continue>(done[2]));
  EXPECT_EQ(sink.sends - mid, 1u);
}

// QUIT after a verdict: the verdict is given to the sink before close().
TEST_F(SessionTest, RepliesBeforeQuitAreSentFirst) {
  connect();
  cmd(milter::Mail{{"<alice@good.test>"}});
  cmd(milter::Quit{});
  EXPECT_TRUE(sink.closed);
  EXPECT_GT(sink.sent_at_close, 0u);
  EXPECT_EQ(sink.sent_at_close, sink.bytes.size());
  ASSERT_EQ(sink.take().size(), 1u);
}

// A message past max_scan_bytes: SKIP when the MTA answers body chunks, and
// nothing at all (no unsolicited reply) when NR_BODY was agreed.
TEST_F(SessionTest, TooLargeBodySkipOnlyWithoutNrBody) {
  cfg.max_scan_bytes = 64;
  for (const bool nr_body : {false, true}) {
    start();
    const uint32_t offer = nr_body ? kPostfixProtocol : kPostfixProtocol & ~uint32_t{milter::kNrBody};
    cmd(milter::OptNeg{6, kPostfixActions, offer});
    auto o = sink.take();
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ((std::get<milter::OptNeg>(o[0]).protocol & milter::kNrBody) != 0, nr_body);
    cmd(milter::Connect{"client.example", '4', 40000, "192.0.2.1"});
    cmd(milter::Helo{"mx.good.test"});
    cmd(milter::Mail{{"<alice@good.test>"}});
    ASSERT_EQ(sink.take().size(), 1u);
    cmd(milter::Header{"From", " <alice@good.test>"});
    cmd(milter::EndOfHeaders{});
    cmd(milter::Body{"small\r\n"});
    auto small = sink.take();
    cmd(milter::Body{std::string(200, 'x') + "\r\n"});
    auto big = sink.take();
    if (nr_body) {
      EXPECT_TRUE(small.empty());
      EXPECT_TRUE(big.empty());
    } else {
      ASSERT_EQ(small.size(), 1u);
      EXPECT_TRUE(std::holds_alternative<milter::Continue>(small[0]));
      ASSERT_EQ(big.size(), 1u);
      EXPECT_TRUE(std::holds_alternative<milter::Skip>(big[0]));
    }
    cmd(milter::EndOfBody{});
    auto end = sink.take();
    ASSERT_FALSE(end.empty());
    EXPECT_TRUE(std::holds_alternative<milter::Continue>(end.back()));
  }
}

// DKIM over a message larger than max_scan_bytes (issue 11): the body hashes
// stream over every chunk, so a signed 12 MiB message at the default cap (10
// MiB) gets a real dkim=pass/fail, and DMARC is judged on it. The sender's
// SPF fails: DKIM is its only alignment under p=reject.
struct BigSignedTest : SessionTest {
  dkim::PrivateKey key;
  void SetUp() override {
    SessionTest::SetUp();
    key = *dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    dns.add("signed.test", dkim::testing::txt_record("v=spf1 ip4:198.51.100.1 -all"));
    dns.add("_dmarc.signed.test", dkim::testing::txt_record("v=DMARC1; p=reject"));
    dns.add("s1._domainkey.signed.test", dkim::testing::txt_record(dkim::testing::key_record(key)));
  }
  static constexpr const char* kHead =
      "From: Alice <alice@signed.test>\r\nTo: bob@example.net\r\nSubject: big\r\n"
      "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <big@signed.test>\r\n\r\n";
  static std::string body(size_t bytes) {
    std::string b;
    b.reserve(bytes + 64);
    for (size_t i = 0; b.size() < bytes; ++i)
      b += "line " + std::to_string(i) + " of a message over the cap\r\n";
    return b;
  }
  // "DKIM-Signature: ...\r\n" for kHead + `b`.
  std::string sign(const std::string& b, bool body_length = false) {
    dkim::SignOptions o;
    o.domain = "signed.test";
    o.selector = "s1";
    o.body_length = body_length;
    auto f = dkim::sign(std::string(kHead) + b, key, o);
    EXPECT_TRUE(f);
    return f ? *f : std::string();
  }
  // Sends the signed message through the session as Postfix does (header
  // fields one by one, the body in 64 KiB chunks, NR_BODY); the replies at
  // end of message.
  // `fields`: whole fields ("Name: value\r\n", folded or not) sent before
  // the message's own.
  std::vector<milter::Reply> send(const std::string& fields, const std::string& b) {
    connect("192.0.2.9");  // outside signed.test's SPF record
    cmd(milter::Mail{{"<alice@signed.test>"}});
    auto r = sink.take();
    EXPECT_EQ(r.size(), 1u);
    cmd(milter::Rcpt{{"<bob@example.net>"}});
    cmd(milter::Data{});
    for (size_t at = 0; at < fields.size();) {
      size_t end = fields.find("\r\n", at);
      while (end + 2 < fields.size() && (fields[end + 2] == ' ' || fields[end + 2] == '\t'))
        end = fields.find("\r\n", end + 2);
      const std::string f = fields.substr(at, end - at);
      const size_t colon = f.find(':');
      cmd(milter::Header{f.substr(0, colon), f.substr(colon + 1)});
      at = end + 2;
    }
    cmd(milter::Header{"From", " Alice <alice@signed.test>"});
    cmd(milter::Header{"To", " bob@example.net"});
    cmd(milter::Header{"Subject", " big"});
    cmd(milter::Header{"Date", " Mon, 1 Jan 2024 00:00:00 +0000"});
    cmd(milter::Header{"Message-ID", " <big@signed.test>"});
    cmd(milter::EndOfHeaders{});
    constexpr size_t kChunk = 64 * 1024;
    for (size_t at = 0; at < b.size(); at += kChunk) cmd(milter::Body{b.substr(at, kChunk)});
    EXPECT_TRUE(sink.take().empty());
    cmd(milter::EndOfBody{});
    return sink.take();
  }
  static std::string auth_results(const std::vector<milter::Reply>& r) {
    for (const auto& x : r)
      if (auto* h = std::get_if<milter::InsertHeader>(&x); h && h->name == "Authentication-Results")
        return h->value;
    return {};
  }
  static bool rejected(const std::vector<milter::Reply>& r) {
    return r.size() == 1 && std::holds_alternative<milter::ReplyCode>(r[0]) &&
           std::get<milter::ReplyCode>(r[0]).text.rfind("550 5.7.1 ", 0) == 0;
  }
};

TEST_F(BigSignedTest, WholeBodyHashedPastTheCap) {
  ASSERT_EQ(cfg.max_scan_bytes, size_t{10} << 20);  // the default
  const std::string b = body(size_t{12} << 20);
  const std::string sig = sign(b);
  auto r = send(sig, b);
  const std::string ar = auth_results(r);
  EXPECT_NE(ar.find("dkim=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("spf=fail"), std::string::npos) << ar;
  ASSERT_FALSE(r.empty());
  EXPECT_TRUE(std::holds_alternative<milter::Continue>(r.back()));
  EXPECT_EQ(stats.accepted, 1u);
}

TEST_F(BigSignedTest, OneByteChangedPastTheCapFails) {
  std::string b = body(size_t{12} << 20);
  const std::string sig = sign(b);
  const size_t at = b.find("line", size_t{11} << 20);  // past the cap: never buffered
  ASSERT_NE(at, std::string::npos);
  b[at] = 'L';
  auto r = send(sig, b);
  // dkim=fail (body hash mismatch) leaves DMARC failing: p=reject.
  EXPECT_TRUE(rejected(r));
}

TEST_F(BigSignedTest, BodyLengthOverTheCap) {
  std::string b = body(size_t{11} << 20);
  const std::string sig = sign(b, /*body_length=*/true);
  ASSERT_NE(sig.find("l="), std::string::npos);
  b += body(size_t{1} << 20);  // appended after signing: outside l=
  auto r = send(sig, b);
  const std::string ar = auth_results(r);
  EXPECT_NE(ar.find("dkim=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=pass"), std::string::npos) << ar;

  // A byte changed inside l=, past the cap: fails.
  start();
  std::string c = body(size_t{11} << 20);
  c[c.find("line", size_t{10} << 20)] = 'L';
  c += body(size_t{1} << 20);
  EXPECT_TRUE(rejected(send(sig, c)));
}

#ifdef HAVE_RAMPART_ARC
// The ARC-Message-Signature's body hash streams the same way: a 12 MiB
// message sealed by a forwarder gets arc=pass, and a byte changed past the
// cap breaks the AMS (arc=fail).
TEST_F(BigSignedTest, ArcSealedPastTheCap) {
  dns.add("arc._domainkey.signed.test", dkim::testing::txt_record(dkim::testing::key_record(key)));
  // DKIM with l= over the first 5 MiB (it passes whatever follows), the ARC
  // set over all 12 MiB.
  const std::string head = body(size_t{5} << 20);
  const std::string sig = sign(head, /*body_length=*/true);
  std::string b = head + body(size_t{7} << 20);
  arc::SealOptions o;
  o.domain = "signed.test";
  o.selector = "arc";
  o.authserv_id = "fwd.signed.test";
  o.authentication_results = "dkim=pass header.d=signed.test";
  arc::Validator sealer(dns);
  auto out = sealer.seal_sync(sig + kHead + b, key, o);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_TRUE(out->added) << out->reason;
  std::string ar = auth_results(send(out->fields() + sig, b));
  EXPECT_NE(ar.find("arc=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dkim=pass"), std::string::npos) << ar;

  start();
  b[b.find("line", size_t{11} << 20)] = 'L';  // past the cap, outside l=
  ar = auth_results(send(out->fields() + sig, b));
  EXPECT_NE(ar.find("dkim=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("arc=fail"), std::string::npos) << ar;
  EXPECT_NE(ar.find("body hash"), std::string::npos) << ar;
}
#endif

// Chunks cut anywhere and bare LF line ends (as the verifier reads a whole
// message: LF counts as CRLF), with a small cap and no NR_BODY: the session
// does not SKIP the rest of a signed body, it needs it for the hash.
TEST_F(BigSignedTest, OddChunksBareLfAndNoSkip) {
  cfg.max_scan_bytes = 1000;
  std::string b = body(20000);
  const std::string sig = sign(b);
  std::string lf;  // every second line end a bare LF
  bool odd = false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (b[i] == '\r' && i + 1 < b.size() && b[i + 1] == '\n' && (odd = !odd)) continue;
    lf += b[i];
  }
  ASSERT_LT(lf.size(), b.size());
  start();
  cmd(milter::OptNeg{6, kPostfixActions, kPostfixProtocol & ~uint32_t{milter::kNrBody}});
  sink.take();
  cmd(milter::Connect{"client.example", '4', 40000, "192.0.2.9"});
  cmd(milter::Helo{"mx.signed.test"});
  cmd(milter::Mail{{"<alice@signed.test>"}});
  sink.take();
  cmd(milter::Rcpt{{"<bob@example.net>"}});
  cmd(milter::Data{});
  const size_t colon = sig.find(':');
  cmd(milter::Header{"DKIM-Signature", sig.substr(colon + 1, sig.size() - colon - 3)});
  cmd(milter::Header{"From", " Alice <alice@signed.test>"});
  cmd(milter::Header{"To", " bob@example.net"});
  cmd(milter::Header{"Subject", " big"});
  cmd(milter::Header{"Date", " Mon, 1 Jan 2024 00:00:00 +0000"});
  cmd(milter::Header{"Message-ID", " <big@signed.test>"});
  cmd(milter::EndOfHeaders{});
  sink.take();
  size_t at = 0;
  for (size_t n = 1; at < lf.size(); n = n * 3 % 997 + 1) {
    cmd(milter::Body{lf.substr(at, n)});
    at += n;
    for (const auto& x : sink.take()) EXPECT_FALSE(std::holds_alternative<milter::Skip>(x));
  }
  cmd(milter::EndOfBody{});
  const std::string ar = auth_results(sink.take());
  EXPECT_NE(ar.find("dkim=pass"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=pass"), std::string::npos) << ar;
}

TEST_F(SessionTest, StageDeadlineTempfails) {
  SilentResolver silent;
  SessionOptions so;
  so.stage_timeout = std::chrono::milliseconds(0);
  start(&silent, so);
  cmd(milter::OptNeg{6, kPostfixActions, kPostfixProtocol});
  sink.take();
  cmd(milter::Connect{"c", '4', 1, "192.0.2.1"});  // FCrDNS waits forever
  cmd(milter::Helo{"h"});
  cmd(milter::Mail{{"<a@good.test>"}});
  EXPECT_TRUE(sink.take().empty());
  s->tick(std::chrono::steady_clock::now() + std::chrono::seconds(1));  // connect: no reply (NR)
  s->tick(std::chrono::steady_clock::now() + std::chrono::seconds(1));  // MAIL: SPF waits -> 451
  auto r = sink.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<milter::ReplyCode>(r[0]).text.rfind("451 4.4.3", 0), 0u);
  EXPECT_EQ(stats.timeouts, 2u);
  // Late answers (here: timeouts) are ignored by the session; answering them
  // also lets the suspended lookups finish (no coroutine frame is left behind).
  auto late = std::make_shared<dns::Answer>();
  late->status = dns::Status::kTimeout;
  while (!silent.held.empty()) {
    auto cbs = std::move(silent.held);
    silent.held.clear();
    for (auto& cb : cbs) cb(late);
  }
  EXPECT_TRUE(sink.take().empty());
  EXPECT_TRUE(s->idle());
}

}  // namespace
}  // namespace rampart::server
