// File: src/policy/feedback_test.cc
// The reputation and content checks (feedback.h) over dns::ZoneResolver and a
// FakeClock: a sender becomes REP_SPAMMER after complaints, store errors
// never reject, the event a message stands for, ARF reports and learning.
#include "policy/feedback.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/executor.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"
#include "policy/throttle.h"
#include "reputation/test_util.h"

namespace rampart::policy {
namespace {

constexpr const char* kZone = R"(
$ORIGIN test.
$TTL 300
good.test.            TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.good.test.     TXT "v=DMARC1; p=none"
1.2.0.192.in-addr.arpa. PTR mx.good.test.
mx.good.test.         A 192.0.2.1
)";

std::string message(const std::string& extra = "", const std::string& body = "Hello Bob.\r\n") {
  return "From: Alice <alice@good.test>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
         "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n" +
         extra + "\r\n" + body;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FailingStore final : public reputation::Store {
 public:
  std::string_view name() const override { return "failing"; }
  Status merge(std::span<const reputation::Update>) override { return fail(Errc::kIo, "disk on fire"); }
  Result<std::optional<reputation::Counters>> get(std::string_view) override {
    return fail(Errc::kIo, "disk on fire");
  }
  Status put_state(std::string_view, std::string_view) override { return fail(Errc::kIo, "disk on fire"); }
  Result<std::optional<std::string>> get_state(std::string_view) override {
    return fail(Errc::kIo, "disk on fire");
  }
  Status for_each_key(const std::function<bool(std::string_view)>&) override { return {}; }
};

using reputation::testing::FlakyStore;

struct FeedbackFixture : ::testing::Test {
  dns::ZoneResolver dns;
  FakeClock clock;
  std::shared_ptr<Throttle> throttle = std::make_shared<Throttle>(clock);
  PolicyConfig cfg;
  FeedbackConfig fcfg;
  std::shared_ptr<Feedback> fb;
  std::shared_ptr<Pipeline> pipe;
  std::string tmp;

  void SetUp() override {
    dns::ZoneOptions zo;
    zo.origin = "test";
    auto z = dns::parse_zone(kZone, zo);
    ASSERT_TRUE(z) << z.error().message;
    dns.load(*z);
    cfg.authserv_id = "mx.example.net";
    cfg.per_ip.enabled = cfg.per_net.enabled = false;
    fcfg.flush_ms = 0;  // each scan's event at once (ScanEventsAreBatched tests batches)
    tmp = ::testing::TempDir() + "/feedback_test." + std::to_string(::getpid());
    std::filesystem::create_directories(tmp);
  }
  void TearDown() override { std::filesystem::remove_all(tmp); }
  void build(std::unique_ptr<reputation::Store> store = std::make_unique<reputation::MemoryStore>()) {
    fb = std::make_shared<Feedback>(fcfg, clock, cfg.authserv_id);
    fb->set_store(std::move(store));
    ASSERT_TRUE(fb->load_model());
    pipe = Pipeline::create(cfg, dns, clock, throttle);
    fb->add_checks(*pipe);
  }
  std::shared_ptr<ScanState> state(const std::string& msg) {
    auto s = std::make_shared<ScanState>();
    s->env.ip = *IpAddress::parse("192.0.2.1");
    s->env.has_ip = true;
    s->env.helo = "mx.good.test";
    s->env.mail_from = "alice@good.test";
    s->env.rcpts = {"bob@example.net", "carol@example.net"};
    s->set_message(msg);
    return s;
  }
  Verdict scan(const std::string& msg) { return pipe->scan_sync(state(msg)); }
  // POST /v1/reports; the ZoneResolver answers at once, so the answer is in
  // when post_report returns.
  Feedback::Answer report(std::string body) {
    std::optional<Feedback::Answer> got;
    fb->post_report(std::move(body), [&](Feedback::Answer a) { got = std::move(a); });
    EXPECT_TRUE(got.has_value());
    return got.value_or(Feedback::Answer{0, "", "no answer"});
  }
  static const Symbol* find(const Verdict& v, const std::string& sym) {
    for (const auto& s : v.symbols)
      if (s.name == sym) return &s;
    return nullptr;
  }
};

TEST_F(FeedbackFixture, EventOfScannedMessage) {
  build();
  auto s = state(message(
      "List-Unsubscribe: <https://good.test/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
      "Feedback-ID: 1:news:good\r\nList-Id: News <news.good.test>\r\n"));
  pipe->scan_sync(s);
  const reputation::Event e = event_of(*s, reputation::Verdict::kHam);
  ASSERT_TRUE(e.ip);
  EXPECT_EQ(e.ip->to_string(), "192.0.2.1");
  EXPECT_EQ(e.spf, reputation::AuthResult::kPass);
  EXPECT_EQ(e.dmarc, reputation::AuthResult::kPass);
  EXPECT_EQ(e.dkim, reputation::AuthResult::kNone);
  EXPECT_EQ(e.from, "alice@good.test");
  EXPECT_EQ(e.recipients, 2u);
  EXPECT_TRUE(e.fcrdns);
  EXPECT_TRUE(e.list_unsubscribe_one_click);
  EXPECT_EQ(e.feedback_id, "1:news:good");
  EXPECT_EQ(e.list_id, "news.good.test");
  EXPECT_EQ(e.verdict, reputation::Verdict::kHam);
}

TEST_F(FeedbackFixture, SpammerAfterComplaints) {
  build();
  Verdict first = scan(message());
  EXPECT_EQ(first.action, Action::kAccept);
  EXPECT_EQ(find(first, "REP_SPAMMER"), nullptr);
  // Thirty messages over an hour, then complaints about them.
  for (int i = 0; i < 30; ++i) {
    clock.advance(std::chrono::minutes(2));
    scan(message());
  }
  auto s = state(message());
  pipe->scan_sync(s);
  reputation::Event complaint = event_of(*s, reputation::Verdict::kNone);
  complaint.type = reputation::EventType::kComplaint;
  complaint.recipients = 1;
  for (int i = 0; i < 6; ++i) {  // min_complaints (5), read decayed
    clock.advance(std::chrono::minutes(1));
    ASSERT_TRUE(fb->engine()->record(complaint));
  }
  auto r = fb->engine()->report("domain:good.test");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cls, reputation::SenderClass::kSpammer) << r->to_json();
  Verdict v = scan(message());
  const Symbol* sym = find(v, "REP_SPAMMER");
  ASSERT_NE(sym, nullptr) << v.x_rampart;
  EXPECT_EQ(sym->score, Scores()("REP_SPAMMER"));
  EXPECT_NE(sym->reason.find("COMPLAINTS_BAD"), std::string::npos) << sym->reason;
  EXPECT_EQ(find(v, "REP_TRANSACTIONAL"), nullptr);
}

TEST_F(FeedbackFixture, EventsOutOfTheTimeWindowRefuseTheRequest) {
  build();
  const int64_t now = clock.unix_seconds();
  auto line = [](int64_t t, const std::string& ip) {
    return "{\"time\": " + std::to_string(t) + ", \"type\": \"bot\", \"ip\": \"" + ip + "\"}\n";
  };
  auto bot = [&](const std::string& ip) {
    auto r = fb->engine()->report("ip:" + ip);
    return r && r->to_json(true).find("BOT_DETECTED") != std::string::npos;
  };
  // Line 2 is 301 s ahead: 400 naming it, and line 1 is not applied either.
  Feedback::Answer a = fb->post_events(line(now, "198.51.100.1") + line(now + 301, "198.51.100.2"));
  EXPECT_EQ(a.status, 400) << a.json;
  EXPECT_NE(a.json.find("line 2: time "), std::string::npos) << a.json;
  EXPECT_NE(a.json.find("in the future"), std::string::npos) << a.json;
  EXPECT_EQ(a.json.find("line 1"), std::string::npos) << a.json;
  EXPECT_FALSE(bot("198.51.100.1"));
  // 74 years ahead, and older than the decay horizon: refused the same way.
  a = fb->post_events(line(now + 74LL * 365 * 86400, "198.51.100.3"));
  EXPECT_EQ(a.status, 400) << a.json;
  a = fb->post_events(line(now, "198.51.100.4") +
                      line(now - Feedback::kMaxEventAgeSeconds - 1, "198.51.100.4"));
  EXPECT_EQ(a.status, 400) << a.json;
  EXPECT_NE(a.json.find("line 2: time "), std::string::npos) << a.json;
  EXPECT_NE(a.json.find("decay horizon"), std::string::npos) << a.json;
  EXPECT_FALSE(bot("198.51.100.4"));
  // At the edges of the window: accepted.
  a = fb->post_events(line(now + 300, "198.51.100.5") +
                      line(now - Feedback::kMaxEventAgeSeconds, "198.51.100.6"));
  EXPECT_EQ(a.status, 200) << a.json;
  EXPECT_NE(a.json.find("\"accepted\": 2"), std::string::npos) << a.json;
  EXPECT_TRUE(bot("198.51.100.5"));
}

TEST_F(FeedbackFixture, GoodHistoryIsTransactional) {
  // The test messages pass DMARC on SPF alone (no DKIM signature): a
  // deployment that accepts that for a class sets aligned_good = 0.
  fcfg.thresholds.aligned_good = 0;
  build();
  // A good class needs transactional_volume (500) recipients (month) over
  // good_min_hours (five days) of clean mail: 2 recipients every 20
  // minutes for six days.
  for (int i = 0; i < 6 * 72; ++i) {
    clock.advance(std::chrono::minutes(20));
    scan(message());
  }
  Verdict v = scan(message());
  const Symbol* sym = find(v, "REP_TRANSACTIONAL");
  ASSERT_NE(sym, nullptr) << v.x_rampart;
  EXPECT_LT(sym->score, 0);
}

TEST_F(FeedbackFixture, StoreErrorNeverRejects) {
  build(std::make_unique<FailingStore>());
  Verdict v = scan(message());
  EXPECT_EQ(v.action, Action::kAccept);
  ASSERT_NE(find(v, "REP_UNAVAILABLE"), nullptr) << v.x_rampart;
  fcfg.tempfail = true;
  build(std::make_unique<FailingStore>());
  v = scan(message());
  EXPECT_EQ(v.action, Action::kTempfail);
  EXPECT_EQ(v.smtp_reply.substr(0, 3), "451");
  // ARF reports answer 503 (retry), not 400.
  const auto a = report(slurp("tests/data/arf/rfc5965-b2.eml"));
  EXPECT_EQ(a.status, 503) << a.json;
}

// On an event loop, the in-memory store is asked on the loop itself: the
// reputation check is done before run() returns, nothing is posted back
// (no hand-off to the service's reader thread and back: two wake-ups per
// message). Any other store still answers through the service, later, on
// the loop that asked.
TEST_F(FeedbackFixture, MemoryStoreLookupStaysOnTheLoop) {
  auto run_data = [&](ManualExecutor& loop, bool& finished) {
    ScopedExecutor on(&loop);
    auto st = state(message());
    for (Stage stage : {Stage::kConnect, Stage::kHelo, Stage::kMail, Stage::kRcpt})
      pipe->run(stage, st, [] {});
    pipe->run(Stage::kData, st, [&finished] { finished = true; });
    return st;
  };
  build();  // MemoryStore
  {
    ManualExecutor loop;
    bool finished = false;
    auto st = run_data(loop, finished);
    EXPECT_TRUE(finished) << "the memory store's lookup left the loop";
    EXPECT_EQ(loop.run_pending(), 0u);
    EXPECT_EQ(find(pipe->verdict(*st), "REP_UNAVAILABLE"), nullptr);
  }
  auto flaky = std::make_unique<FlakyStore>();
  flaky->failing = Errc::kOk;
  build(std::move(flaky));  // not "memory": through the service's reader
  {
    ManualExecutor loop;
    bool finished = false;
    auto st = run_data(loop, finished);
    EXPECT_FALSE(finished) << "a store that may block was asked on the loop";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!finished && std::chrono::steady_clock::now() < deadline) {
      ScopedExecutor on(&loop);
      if (loop.run_pending() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(finished) << "the reader's answer never came back to the loop";
    EXPECT_EQ(find(pipe->verdict(*st), "REP_UNAVAILABLE"), nullptr);
  }
}

// An original's Authentication-Results claiming our own authserv-id prove
// nothing (the report's sender wrote them); a listed other authserv-id is
// read.
TEST_F(FeedbackFixture, OwnAuthservIdInAnOriginalIsNeverTrusted) {
  fcfg.trusted_authserv_ids = {"mx.example.net", "relay.example.org"};  // ours listed too: still ignored
  build();
  const std::string original =
      "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=victim.example; dmarc=pass "
      "header.from=victim.example\r\nFrom: a@victim.example\r\nSubject: x\r\n\r\nhi\r\n";
  auto a = report(reputation::testing::arf_report(original));
  EXPECT_EQ(a.status, 200) << a.json;
  EXPECT_EQ(a.json.find("authentication-results mx.example.net"), std::string::npos) << a.json;
  EXPECT_EQ(a.json.find("victim.example"), std::string::npos) << a.json;  // nobody blamed by our word
  std::string other = original;
  other.replace(other.find("mx.example.net"), 14, "relay.example.org");
  a = report(reputation::testing::arf_report(other));
  EXPECT_EQ(a.status, 200) << a.json;
  EXPECT_NE(a.json.find("authentication-results relay.example.org"), std::string::npos) << a.json;
}

TEST_F(FeedbackFixture, ArfReports) {
  build();
  auto a = report(slurp("tests/data/arf/rfc5965-b2.eml"));
  EXPECT_EQ(a.status, 200) << a.json;
  EXPECT_NE(a.json.find("\"accepted\": 1"), std::string::npos) << a.json;
  EXPECT_NE(a.json.find("ip:192.0.2.1"), std::string::npos) << a.json;
  auto c = fb->engine()->store().get("ip:192.0.2.1");
  ASSERT_TRUE(c && *c);
  for (const char* bad : {"bad-no-original.eml", "bad-not-multipart.eml", "bad-no-feedback-type.eml"}) {
    auto b = report(slurp(std::string("tests/data/arf/") + bad));
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_NE(b.json.find("\"rejected\": 1"), std::string::npos) << b.json;
    EXPECT_NE(b.json.find("\"error\""), std::string::npos) << b.json;
    EXPECT_FALSE(b.reason.empty()) << bad;
  }
  EXPECT_EQ(fb->rejected().total(), 3u);
  EXPECT_EQ(report("").status, 400);
}

// The original of a report is authenticated again: a good DKIM signature
// blames the signing domain, an altered original only the IP.
// A reporter listed with verify = "dkim": its reports by mail must carry a
// DKIM signature that verifies with d= its domain.
TEST_F(FeedbackFixture, DkimVerifiedReporter) {
  auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(key);
  dns.add("fbl._domainkey.isp.example", dkim::testing::txt_record(dkim::testing::key_record(*key)));
  fcfg.reporters = {{"isp", "isp.example", true}};
  build();
  fb->set_resolver(dns);
  auto mailbox = [&](std::string body) {
    Feedback::Answer got{0, ""};
    fb->post_mailbox_report(std::move(body), [&](Feedback::Answer a) { got = std::move(a); });
    return got;
  };
  const std::string raw = reputation::testing::arf_report(message());  // From: fbl@isp.example
  dkim::SignOptions o;
  o.domain = "isp.example";
  o.selector = "fbl";
  auto sig = dkim::sign(raw, *key, o);
  ASSERT_TRUE(sig) << sig.error().message;
  auto a = mailbox(*sig + raw);
  EXPECT_EQ(a.status, 200) << a.json;
  a = mailbox(raw);  // unsigned
  EXPECT_EQ(a.status, 400) << a.json;
  EXPECT_NE(a.reason.find("without a valid DKIM signature of d=isp.example"), std::string::npos) << a.reason;
  std::string altered = *sig + raw;
  altered.replace(altered.find("Source-IP: 198.51.100.20"), 24, "Source-IP: 198.51.100.21");
  EXPECT_EQ(mailbox(altered).status, 400);  // signature broken by the change
  std::string other = raw;
  other.replace(other.find("fbl@isp.example"), 15, "fbl@elsewhere.example");
  a = mailbox(other);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.reason.find("not from a listed reporter"), std::string::npos) << a.reason;
  EXPECT_EQ(fb->rejected().total(), 3u);
}

TEST_F(FeedbackFixture, ArfOriginalDkimVerifiedAgain) {
  auto key = dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
  ASSERT_TRUE(key);
  dns.add("s1._domainkey.good.test", dkim::testing::txt_record(dkim::testing::key_record(*key)));
  build();
  fb->set_resolver(dns);
  const std::string original = message();
  dkim::SignOptions o;
  o.domain = "good.test";
  o.selector = "s1";
  auto sig = dkim::sign(original, *key, o);
  ASSERT_TRUE(sig) << sig.error().message;
  auto a = report(reputation::testing::arf_report(*sig + original));
  ASSERT_EQ(a.status, 200) << a.json;
  EXPECT_NE(a.json.find("\"auth\": \"dkim re-verified\""), std::string::npos) << a.json;
  EXPECT_NE(a.json.find("\"dkim\": \"pass\""), std::string::npos) << a.json;
  EXPECT_NE(a.json.find("\"domain:good.test\""), std::string::npos) << a.json;
  auto c = fb->engine()->store().get("domain:good.test");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(reputation::Metric::kComplaints, reputation::Window::kDay, clock.unix_seconds()), 1);

  std::string altered = *sig + original;
  altered.replace(altered.find("Hello Bob."), 10, "Buy now!!!");
  auto b = report(reputation::testing::arf_report(altered));
  ASSERT_EQ(b.status, 200) << b.json;
  EXPECT_NE(b.json.find("\"dkim\": \"fail\""), std::string::npos) << b.json;
  EXPECT_EQ(b.json.find("domain:good.test"), std::string::npos) << b.json;
  EXPECT_NE(b.json.find("\"ip:198.51.100.20\""), std::string::npos) << b.json;
  c = fb->engine()->store().get("domain:good.test");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->value(reputation::Metric::kComplaints, reputation::Window::kDay, clock.unix_seconds()), 1);
}

// A message to a configured trap address or domain records a trap event on
// its sender identities and says so in a symbol; other recipients do not.
TEST_F(FeedbackFixture, SpamTrapRecipients) {
  fcfg.trap_addresses = {"Trap1@Example.NET"};
  fcfg.trap_domains = {"traps.example.org."};
  build();
  auto traps = [&]() {
    auto c = fb->engine()->store().get("ip:192.0.2.1");
    return c && *c ? (*c)->value(reputation::Metric::kTraps, reputation::Window::kMonth, clock.unix_seconds())
                   : -1.0;
  };
  Verdict v = scan(message());
  EXPECT_EQ(find(v, "REP_TRAP_HIT"), nullptr) << v.x_rampart;
  EXPECT_EQ(traps(), 0);
  EXPECT_TRUE(fb->is_trap("<trap1@example.net>"));
  EXPECT_TRUE(fb->is_trap("anyone@TRAPS.example.org"));
  EXPECT_FALSE(fb->is_trap("trap1@example.net.evil"));
  EXPECT_FALSE(fb->is_trap("x@sub.traps.example.org"));
  auto s = state(message());
  s->env.rcpts = {"<bob@example.net>", "<trap1@example.net>", "<x@traps.example.org>"};
  v = pipe->scan_sync(s);
  const Symbol* hit = find(v, "REP_TRAP_HIT");
  ASSERT_NE(hit, nullptr) << v.x_rampart;
  EXPECT_NE(hit->reason.find("trap1@example.net and 1 more"), std::string::npos) << hit->reason;
  EXPECT_EQ(traps(), 1);
  EXPECT_NE(fb->metrics().find("rampart_trap_hits_total 1"), std::string::npos);
}

// Scan events wait for the tick (or flush_events), then go in one merge; a
// failing store keeps them for the next flush.
TEST_F(FeedbackFixture, ScanEventsAreBatched) {
  fcfg.flush_ms = 100;
  fcfg.flush_events = 3;
  fcfg.max_pending = 4;
  auto store = std::make_unique<FlakyStore>();
  FlakyStore* counting = store.get();
  counting->fail_reads = false;  // the scan's lookups are not what fails here
  build(std::move(store));
  auto volume = [&]() {
    auto c = counting->mem.get("ip:192.0.2.1");
    return c && *c
               ? (*c)->value(reputation::Metric::kVolume, reputation::Window::kMonth, clock.unix_seconds())
               : 0.0;
  };
  scan(message());
  scan(message());
  EXPECT_EQ(fb->pending(), 2u);
  EXPECT_EQ(volume(), 0);
  fb->tick();  // not yet due
  EXPECT_EQ(fb->pending(), 2u);
  clock.advance(std::chrono::milliseconds(100));
  fb->tick();
  EXPECT_EQ(fb->pending(), 0u);
  EXPECT_NEAR(volume(), 4, 1e-3);  // 2 messages x 2 recipients
  EXPECT_EQ(counting->merges, 1);
  // flush_events: the third queued event writes all three at once.
  for (int i = 0; i < 3; ++i) scan(message());
  EXPECT_EQ(fb->pending(), 0u);
  EXPECT_EQ(counting->merges, 2);
  EXPECT_NEAR(volume(), 10, 1e-3);
  // The class is re-computed at the flush (read back as a report).
  auto r = fb->engine()->report("ip:192.0.2.1");
  ASSERT_TRUE(r);
  // A failing store: kept (bounded by max_pending, oldest dropped), then written.
  counting->failing = Errc::kTemporary;
  for (int i = 0; i < 2; ++i) scan(message());
  clock.advance(std::chrono::milliseconds(100));
  fb->tick();
  EXPECT_EQ(fb->pending(), 2u);
  for (int i = 0; i < 3; ++i) scan(message());  // 5 > max_pending 4: one dropped
  EXPECT_EQ(fb->pending(), 4u);
  EXPECT_NE(fb->metrics().find("rampart_reputation_events_dropped_total 1"), std::string::npos);
  counting->failing = Errc::kOk;
  ASSERT_TRUE(fb->flush());
  EXPECT_EQ(fb->pending(), 0u);
  EXPECT_NEAR(volume(), 18, 1e-3);
}

TEST_F(FeedbackFixture, ContentModelLearnsAndSaves) {
  fcfg.model = tmp + "/email.model";
  fcfg.min_learned = 4;
  fcfg.save_interval_s = 3600;
  build();
  ASSERT_NE(fb->classifier(), nullptr);
  EXPECT_FALSE(std::filesystem::exists(fcfg.model));
  const std::string spam = message("", "Buy cheap pills now!!! viagra casino winner free money\r\n");
  const std::string ham = message("", "Minutes of the meeting about the quarterly budget review.\r\n");
  EXPECT_EQ(fb->post_learn("maybe", spam, "").status, 400);
  EXPECT_EQ(fb->post_learn("spam", "", "").status, 400);
  EXPECT_EQ(fb->post_learn("spam", spam, "not-an-ip").status, 400);
  for (int i = 0; i < 20; ++i) {
    auto a = fb->post_learn("spam", spam, "192.0.2.99");
    ASSERT_EQ(a.status, 200) << a.json;
    EXPECT_NE(a.json.find("\"reputation\": \"complaint\""), std::string::npos) << a.json;
    ASSERT_EQ(fb->post_learn("ham", ham, "").status, 200);
  }
  Verdict vs = scan(spam);
  const Symbol* cs = find(vs, "CONTENT_SPAM");
  ASSERT_NE(cs, nullptr) << vs.x_rampart;
  EXPECT_GT(cs->score, 0);
  EXPECT_LE(cs->score, Scores()("CONTENT_SPAM"));
  Verdict vh = scan(ham);
  const Symbol* ch = find(vh, "CONTENT_HAM");
  ASSERT_NE(ch, nullptr) << vh.x_rampart;
  EXPECT_LT(ch->score, 0);
  // Not yet the interval: saved only when forced (SIGTERM).
  EXPECT_FALSE(std::filesystem::exists(fcfg.model));
  ASSERT_TRUE(fb->save_model(true));
  ASSERT_TRUE(std::filesystem::exists(fcfg.model));
  // The saved model loads; a corrupt file is refused, and on reload the old
  // model stays in use.
  auto reopened = classify::Classifier::open(fcfg.model);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(reopened->model().spams(), 20u);
  {
    std::ofstream out(fcfg.model, std::ios::binary | std::ios::trunc);
    out << "RMPCLSMD garbage";
  }
  std::filesystem::last_write_time(fcfg.model,
                                   std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  auto st = fb->reload_model();
  EXPECT_FALSE(st);
  ASSERT_NE(fb->classifier(), nullptr);
  EXPECT_NE(find(scan(spam), "CONTENT_SPAM"), nullptr);
  // At start-up a corrupt model disables the check.
  auto fresh = std::make_shared<Feedback>(fcfg, clock, cfg.authserv_id);
  EXPECT_FALSE(fresh->load_model());
  EXPECT_EQ(fresh->classifier(), nullptr);
}

TEST(FeedbackConfigTest, DefaultsAndErrors) {
  auto cfg = Config::parse(default_config_text());
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto fc = FeedbackConfig::from(*cfg);
  ASSERT_TRUE(fc) << fc.error().message;
  FeedbackConfig d;
  EXPECT_EQ(fc->reputation, d.reputation);
  EXPECT_EQ(fc->tempfail, d.tempfail);
  EXPECT_EQ(fc->model, d.model);
  EXPECT_EQ(fc->min_learned, d.min_learned);
  EXPECT_EQ(fc->save_interval_s, d.save_interval_s);
  EXPECT_EQ(fc->thresholds.complaint_bad, d.thresholds.complaint_bad);
  EXPECT_EQ(fc->thresholds.bulk_daily_volume, d.thresholds.bulk_daily_volume);
  // The store keys are checked by reputation::store_spec (store_factory_test).
  auto traps = Config::parse("[reputation]\ntrap_addresses = [\"no-at-sign\"]\n");
  ASSERT_TRUE(traps);
  EXPECT_FALSE(FeedbackConfig::from(*traps));
  auto poll = Config::parse("[reputation]\nreports_poll_ms = 0\n");
  ASSERT_TRUE(poll);
  EXPECT_FALSE(FeedbackConfig::from(*poll));
}

}  // namespace
}  // namespace rampart::policy
