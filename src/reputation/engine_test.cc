// File: src/reputation/engine_test.cc
#include "reputation/engine.h"

#include <gtest/gtest.h>

#include <vector>

#include "auth/dmarc/orgdomain.h"
#include "reputation/event_json.h"

namespace rampart::reputation {
namespace {

Event newsletter(int64_t t, uint32_t rcpts) {
  Event e;
  e.time = t;
  e.ip = *IpAddress::parse("198.51.100.20");
  e.mail_from = "bounces@mail.news.example";
  e.from = "letters@news.example";
  e.dkim_domains = {"news.example"};
  e.spf = e.dkim = e.dmarc = AuthResult::kPass;
  e.list_unsubscribe_one_click = true;
  e.fcrdns = true;
  e.recipients = rcpts;
  return e;
}

TEST(Engine, NewsletterBecomesBulkThenCompromised) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  int64_t t = 1700000000;
  // Six days of a compliant newsletter (a good class needs good_min_hours
  // of clean mail, and must be held 72 h before bad evidence reads as a
  // compromise rather than a spammer).
  for (int i = 0; i < 6 * 48; ++i, t += 1800) ASSERT_TRUE(engine.record(newsletter(t, 300)));
  auto r = engine.report("domain:news.example", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kBulk) << r->to_json();
  EXPECT_GT(r->score, 0);
  const int64_t bulk_since = r->classified_at;
  EXPECT_GT(bulk_since, 1700000000);
  // Complaints pile up: a good identity turned bad.
  for (int i = 0; i < 250; ++i) {
    Event c = newsletter(t + i * 20, 1);
    c.type = EventType::kComplaint;
    ASSERT_TRUE(engine.record(c));
  }
  r = engine.report("domain:news.example", t + 250 * 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kCompromised) << r->to_json();
  EXPECT_GT(r->classified_at, bulk_since);
  EXPECT_NE(r->to_json().find("\"class\": \"compromised\""), std::string::npos);
  EXPECT_NE(r->to_json().find("COMPLAINTS_BAD"), std::string::npos);
}

// The class listener (live DNSBL zones): each transition once, after the
// state is written, with the new class's reasons; nothing while the class
// is held.
TEST(Engine, ClassListenerHearsEachTransitionOnce) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  std::vector<ClassChange> heard;
  engine.set_class_listener(
      [&](std::span<const ClassChange> cs) { heard.insert(heard.end(), cs.begin(), cs.end()); });
  Event bot;
  bot.type = EventType::kBot;
  bot.time = 1700000000;
  bot.ip = *IpAddress::parse("192.0.2.7");
  ASSERT_TRUE(engine.record(bot));
  ASSERT_EQ(heard.size(), 2u);  // ip: and its net:
  EXPECT_EQ(heard[0].identity, "ip:192.0.2.7");
  EXPECT_EQ(heard[1].identity, "net:192.0.2.0/24");
  EXPECT_EQ(heard[0].from, SenderClass::kUnknown);
  EXPECT_EQ(heard[0].to, SenderClass::kSpammer);
  EXPECT_EQ(heard[0].at, 1700000000);
  ASSERT_FALSE(heard[0].reasons.empty());
  EXPECT_EQ(heard[0].reasons[0].code, "BOT_DETECTED");
  // Again: the class is held, no transition.
  bot.time += 60;
  ASSERT_TRUE(engine.record(bot));
  EXPECT_EQ(heard.size(), 2u);
  // The state the listener heard of is the stored one.
  auto st = store.get_state("ip:192.0.2.7");
  ASSERT_TRUE(st && *st);
  EXPECT_EQ(ClassState::decode(**st)->cls, SenderClass::kSpammer);
}

// Evidence from the members' exchange: a shared event re-classifies its
// subject alone; the class names the members and says it was learned (so it
// is not published again as this member's own); a retraction ends it.
TEST(Engine, SharedEvidenceNamesTheMembersAndIsNotOwn) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  std::vector<ClassChange> heard;
  engine.set_class_listener(
      [&](std::span<const ClassChange> cs) { heard.insert(heard.end(), cs.begin(), cs.end()); });
  SharedEvidence ev, own;  // what the exchange holds, changed by the test
  engine.set_shared_evidence([&](std::string_view id, int64_t) -> std::optional<SharedEvidence> {
    if (id == "ip:192.0.2.99") return own;
    if (id != "ip:192.0.2.7") return std::nullopt;
    return ev;
  });
  Event e;
  e.type = EventType::kShared;
  e.time = 1700000000;
  e.subject = "ip:192.0.2.7";
  e.origin = Provenance{"A", 3, 1699999990};
  e.weight = 0.5;
  // Half the threshold: the reason is there, the class is not bad.
  ev.weight = 0.5;
  ev.bot = true;
  ev.by = {Provenance{"A", 3, 1699999990}};
  ev.trust = {0.5};
  ASSERT_TRUE(engine.record(e));
  EXPECT_TRUE(heard.empty());
  auto r = engine.report("ip:192.0.2.7");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kUnknown) << r->to_json();
  EXPECT_NE(
      r->to_json().find("EXCHANGE: reported as a bot by members of the exchange: A@1699999990 (batch 3"),
      std::string::npos)
      << r->to_json();
  // A second member: bad, learned from A and C, only ip: (no net: for one address).
  ev.weight = 1.1;
  ev.by.push_back(Provenance{"C", 9, 1700000005});
  ev.trust.push_back(0.6);
  e.origin = Provenance{"C", 9, 1700000005};
  e.time = 1700000010;
  ASSERT_TRUE(engine.record(e));
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].identity, "ip:192.0.2.7");
  EXPECT_EQ(heard[0].to, SenderClass::kCompromised);
  ASSERT_EQ(heard[0].learned_from.size(), 2u);
  EXPECT_EQ(heard[0].learned_from[0].member, "A");
  EXPECT_EQ(heard[0].learned_from[1].seq, 9u);
  r = engine.report("ip:192.0.2.7");
  EXPECT_EQ(r->cls, SenderClass::kCompromised);
  EXPECT_NE(r->to_json().find("\"shared_by\": [{\"member\": \"A\", \"seq\": 3"), std::string::npos)
      << r->to_json();
  // Its own evidence too (a flow detector here): a class change of its own is not learned.
  Event bot;
  bot.type = EventType::kBot;
  bot.time = 1700000020;
  bot.ip = *IpAddress::parse("192.0.2.99");
  ev.by.clear();
  ASSERT_TRUE(engine.record(bot));
  ASSERT_EQ(heard.size(), 3u);  // ip:192.0.2.99 and net:192.0.2.0/24
  EXPECT_TRUE(heard[1].learned_from.empty());
  // Every member withdrew: the class ends at once (not held for a month).
  ev = SharedEvidence{};
  ev.retracted = true;
  e.time = 1700000030;
  e.weight = 0;
  ASSERT_TRUE(engine.record(e));
  ASSERT_EQ(heard.size(), 4u);
  EXPECT_EQ(heard[3].identity, "ip:192.0.2.7");
  EXPECT_EQ(heard[3].to, SenderClass::kUnknown);
  EXPECT_EQ(engine.report("ip:192.0.2.7")->cls, SenderClass::kUnknown);
  // A retraction never ends a class this member's own evidence gives.
  own.retracted = true;
  Event about_own = e;
  about_own.subject = "ip:192.0.2.99";
  ASSERT_TRUE(engine.record(about_own));
  EXPECT_EQ(heard.size(), 4u);
  EXPECT_EQ(engine.report("ip:192.0.2.99")->cls, SenderClass::kSpammer);
  // A shared event round-trips through JSON with its provenance.
  auto j = parse_event_json(event_to_json(e));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->type, EventType::kShared);
  EXPECT_EQ(j->subject, "ip:192.0.2.7");
  ASSERT_TRUE(j->origin);
  EXPECT_EQ(*j->origin, (Provenance{"C", 9, 1700000005}));
  // Subjects the engine keeps no identity for give none.
  e.subject = "net:192.0.2.0/23";
  EXPECT_TRUE(identities_of(e, *psl).empty());
  e.subject = "net:192.0.2.0/24";
  ASSERT_EQ(identities_of(e, *psl).size(), 1u);
  e.subject = "domain:mail.news.example";
  EXPECT_EQ(identities_of(e, *psl)[0].key, "domain:news.example");
}

// A retraction ends only a class the members' reports gave: a class this
// member earned itself (long ago, merely held now, its counters clean)
// stays, even when members reported the identity too while it was held.
TEST(Engine, RetractionNeverEndsAClassOfItsOwn) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  SharedEvidence ev;
  engine.set_shared_evidence([&](std::string_view id, int64_t) -> std::optional<SharedEvidence> {
    if (id != "ip:192.0.2.50" && id != "ip:192.0.2.51") return std::nullopt;
    return ev;
  });
  // Classed a spammer by this member's own evidence a month ago; the
  // counters of that month are gone, the class is held.
  ASSERT_TRUE(store.put_state("ip:192.0.2.50", "spammer 1697400000"));
  Event e;
  e.type = EventType::kShared;
  e.subject = "ip:192.0.2.50";
  e.origin = Provenance{"A", 4, 1699999990};
  // Members report it while it is held: still this member's own class.
  ev.weight = 1.2;
  ev.by = {Provenance{"A", 4, 1699999990}};
  ev.trust = {1.2};
  e.time = 1700000000;
  ASSERT_TRUE(engine.record(e));
  auto st = store.get_state("ip:192.0.2.50");
  ASSERT_TRUE(st && *st);
  EXPECT_FALSE(ClassState::decode(**st)->learned) << **st;
  // The member withdraws: nothing ends.
  ev = SharedEvidence{};
  ev.retracted = true;
  e.time = 1700000060;
  e.weight = 0;
  ASSERT_TRUE(engine.record(e));
  auto r = engine.report("ip:192.0.2.50");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_EQ(r->to_json().find("RETRACTED"), std::string::npos) << r->to_json();
  st = store.get_state("ip:192.0.2.50");
  EXPECT_EQ(ClassState::decode(**st)->since, 1697400000) << **st;
  // The same story for a class the members gave (learned, kept in the
  // stored state): the retraction ends it.
  ev = SharedEvidence{};
  ev.weight = 1.2;
  ev.by = {Provenance{"A", 5, 1700000100}};
  ev.trust = {1.2};
  e.subject = "ip:192.0.2.51";
  e.time = 1700000120;
  e.weight = 1.2;
  ASSERT_TRUE(engine.record(e));
  st = store.get_state("ip:192.0.2.51");
  ASSERT_TRUE(st && *st);
  auto learned = ClassState::decode(**st);
  ASSERT_TRUE(learned);
  EXPECT_EQ(learned->cls, SenderClass::kSpammer);
  EXPECT_TRUE(learned->learned) << **st;
  ev = SharedEvidence{};
  ev.retracted = true;
  e.time = 1700000180;
  e.weight = 0;
  ASSERT_TRUE(engine.record(e));
  EXPECT_EQ(engine.report("ip:192.0.2.51")->cls, SenderClass::kUnknown);
}

// Batches of events give the counters and classes one event at a time gives
// (the class changes at the batch's last event about the identity).
TEST(Engine, RecordBatchMatchesOneByOne) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  FakeClock clock(1700000000);
  MemoryStore one, batched;
  Engine a(one, clock, Thresholds{}, *psl), b(batched, clock, Thresholds{}, *psl);
  std::vector<Event> batch;
  int64_t t = 1700000000;
  for (int i = 0; i < 6 * 48; ++i, t += 1800) {
    ASSERT_TRUE(a.record(newsletter(t, 300)));
    batch.push_back(newsletter(t, 300));
    if (batch.size() == 16) {
      ASSERT_TRUE(b.record_batch(batch));
      batch.clear();
    }
  }
  ASSERT_TRUE(b.record_batch(batch));
  ASSERT_TRUE(b.record_batch({}));  // nothing to do
  for (const char* id :
       {"domain:news.example", "ip:198.51.100.20", "net:198.51.100.0/24", "dkim:news.example"}) {
    auto ra = a.report(id, t), rb = b.report(id, t);
    ASSERT_TRUE(ra && rb) << id;
    EXPECT_EQ(ra->cls, rb->cls) << id;
    EXPECT_EQ(rb->cls, SenderClass::kBulk) << id;
    for (size_t i = 0; i < ra->counters.v.size(); ++i)
      EXPECT_FLOAT_EQ(ra->counters.v[i], rb->counters.v[i]) << id;
    // Class changes are seen at batch ends: within a batch (8 h) of one by one.
    EXPECT_LE(rb->classified_at - ra->classified_at, 16 * 1800) << id;
    EXPECT_GE(rb->classified_at, ra->classified_at) << id;
  }
}

// ops_into() reuses its batches from one call to the next (the writer's):
// a smaller call after a larger one gives what ops_of() gives, with nothing
// left over from the first call.
TEST(Engine, OpsIntoReusedMatchesOpsOf) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  FakeClock clock(1700000000);
  MemoryStore store;
  const Engine engine(store, clock, Thresholds{}, *psl);
  Event other = newsletter(1700000100, 2);
  other.ip = *IpAddress::parse("192.0.2.9");
  other.from = other.mail_from = "a@other.example";
  other.dkim_domains = {"other.example"};
  const std::vector<EventBatch> big = {
      {"a", {newsletter(1700000000, 3), other}}, {"b", {other}}, {"c", {other}}};
  const std::vector<EventBatch> small = {{"d", {newsletter(1700000200, 7)}}};
  std::vector<OpBatch> reused;
  for (const auto* call : {&big, &small, &big}) {
    Engine::Senders s1, s2;
    const std::vector<OpBatch> want = engine.ops_of(*call, s1);
    const std::span<const OpBatch> got = engine.ops_into(*call, s2, reused);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].op_id, want[i].op_id);
      ASSERT_EQ(got[i].updates.size(), want[i].updates.size()) << i;
      for (size_t j = 0; j < want[i].updates.size(); ++j) {
        EXPECT_EQ(got[i].updates[j].key, want[i].updates[j].key);
        EXPECT_EQ(encode(got[i].updates[j].delta), encode(want[i].updates[j].delta));
      }
    }
    ASSERT_EQ(s1.size(), s2.size());
    for (size_t i = 0; i < s1.size(); ++i) EXPECT_EQ(s1[i].first.key, s2[i].first.key);
  }
  EXPECT_EQ(reused.size(), 3u);  // never shrunk
}

// ops_into() folds a batch's events: one update per identity, whose delta
// is what merging the events one by one gives (the same bits for events of
// one second; up to rounding across seconds). Batches stay apart (op ids).
TEST(Engine, OpsIntoFoldsEachBatchPerIdentity) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  FakeClock clock(1700000000);
  MemoryStore folded, one_by_one;
  const Engine engine(folded, clock, Thresholds{}, *psl);
  Event other = newsletter(1700000000, 2);
  other.ip = *IpAddress::parse("192.0.2.9");
  other.from = other.mail_from = "a@other.example";
  other.dkim_domains = {"other.example"};
  Event unsigned_one = newsletter(1700000000, 2);  // one input to identities_of() apart: no dkim: identity
  unsigned_one.dkim = AuthResult::kFail;
  const std::vector<Event> same = {newsletter(1700000000, 3), other,        newsletter(1700000000, 5),
                                   newsletter(1700000000, 1), unsigned_one, newsletter(1700000000, 4)};
  const std::vector<Event> spread = {newsletter(1700000000, 3), newsletter(1700003600, 4),
                                     newsletter(1700000010, 2)};
  const std::vector<EventBatch> batches = {{"a", same}, {"b", spread}};
  Engine::Senders senders;
  std::vector<OpBatch> ops;
  const std::span<const OpBatch> got = engine.ops_into(batches, senders, ops);
  ASSERT_EQ(got.size(), 2u);
  // Each event alone: its identities, once each (identities_of()).
  const std::vector<OpBatch> each_a = engine.ops_of(std::vector<EventBatch>{{"x", {same[0]}}}, senders);
  const std::vector<OpBatch> each_o = engine.ops_of(std::vector<EventBatch>{{"y", {other}}}, senders);
  ASSERT_FALSE(each_a[0].updates.empty());
  EXPECT_EQ(got[0].updates.size(), each_a[0].updates.size() + each_o[0].updates.size())
      << "one update per identity of the batch (the two senders share none)";
  EXPECT_EQ(got[1].updates.size(), each_a[0].updates.size());
  for (size_t i = 0; i < got[1].updates.size(); ++i)
    EXPECT_EQ(got[1].updates[i].key, each_a[0].updates[i].key);
  // The store's counters: folded batches against every event merged alone.
  ASSERT_TRUE(folded.merge_ops(got));
  for (const auto* evs : {&same, &spread})
    for (const Event& e : *evs)
      for (const OpBatch& b : engine.ops_of(std::vector<EventBatch>{{"", {e}}}, senders))
        ASSERT_TRUE(one_by_one.merge(b.updates));
  size_t keys = 0;
  ASSERT_TRUE(one_by_one.for_each_key([&](std::string_view key) {
    ++keys;
    auto have = folded.get(key);
    auto want = one_by_one.get(key);
    EXPECT_TRUE(have && *have && want && *want) << key;
    if (!have || !*have || !want || !*want) return true;
    EXPECT_EQ((*have)->t, (*want)->t) << key;
    for (size_t i = 0; i < (*want)->v.size(); ++i)
      EXPECT_NEAR((*have)->v[i], (*want)->v[i], 1e-4 * (1 + (*want)->v[i])) << key;
    return true;
  }));
  EXPECT_GT(keys, 5u);
  // Events of one second alone: the same bits.
  MemoryStore a, b;
  const std::vector<EventBatch> one_second = {{"s", same}};
  ASSERT_TRUE(a.merge_ops(engine.ops_of(one_second, senders)));
  for (const Event& e : same)
    for (const OpBatch& op : engine.ops_of(std::vector<EventBatch>{{"", {e}}}, senders))
      ASSERT_TRUE(b.merge(op.updates));
  ASSERT_TRUE(b.for_each_key([&](std::string_view key) {
    auto have = a.get(key);
    auto want = b.get(key);
    EXPECT_TRUE(have && *have && want && *want && encode(**have) == encode(**want)) << key;
    return true;
  }));
}

TEST(Engine, ReportManyIsReportForEach) {
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  FakeClock clock(1700000000);
  MemoryStore store;
  Engine engine(store, clock, Thresholds{}, *psl);
  int64_t t = 1700000000;
  for (int i = 0; i < 6 * 48; ++i, t += 1800) ASSERT_TRUE(engine.record(newsletter(t, 300)));
  const std::vector<std::string> ids = {"domain:news.example", "ip:198.51.100.20", "domain:absent.example",
                                        "net:198.51.100.0/24"};
  auto many = engine.report_many(ids, t);
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto one = engine.report(ids[i], t);
    ASSERT_TRUE(one);
    EXPECT_EQ((*many)[i].to_json(), one->to_json()) << ids[i];
  }
  EXPECT_EQ((*many)[0].cls, SenderClass::kBulk);
  EXPECT_EQ((*many)[2].cls, SenderClass::kUnknown);
  auto none = engine.report_many({}, t);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Engine, ReportWithCounters) {
  FakeClock clock(1700003600);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  ASSERT_TRUE(engine.record(newsletter(1700000000, 3)));
  ASSERT_TRUE(engine.record(newsletter(1700000000, 4)));
  Event c = newsletter(1700000000, 1);
  c.type = EventType::kComplaint;
  ASSERT_TRUE(engine.record(c));
  auto r = engine.report("domain:news.example");
  ASSERT_TRUE(r);
  const std::string plain = r->to_json();
  EXPECT_EQ(plain.find("counters"), std::string::npos) << plain;
  const std::string j = r->to_json(true);
  EXPECT_EQ(j.substr(0, plain.size() - 1), plain.substr(0, plain.size() - 1));  // same object, one key more
  // As stored (at the events' time), not decayed to the clock's hour later.
  EXPECT_NE(j.find("\"counters\": {\"at\": 1700000000, \"volume\": {\"hour\": 7, \"day\": 7, \"month\": 7}"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"complaints\": {\"hour\": 1, \"day\": 1, \"month\": 1}"), std::string::npos) << j;
  EXPECT_NE(j.find("\"bot\": {\"hour\": 0, \"day\": 0, \"month\": 0}, "), std::string::npos) << j;
  EXPECT_NE(j.find("\"bad_helo\": {\"hour\": 0, \"day\": 0, \"month\": 0}, \"co_signed\": {\"hour\": 0, "
                   "\"day\": 0, \"month\": 0}}}"),
            std::string::npos)
      << j;
}

TEST(Engine, BotDetectionMakesTheAddressASpammer) {
  FakeClock clock(1700000000);
  MemoryStore store;
  Engine engine(store, clock, Thresholds{}, dmarc::PublicSuffixList::system());
  Event e;
  e.type = EventType::kBot;
  e.time = 0;  // the clock's time
  e.ip = *IpAddress::parse("203.0.113.45");
  ASSERT_TRUE(engine.record(e));
  EXPECT_EQ(store.size(), 2u);  // ip and net only
  for (const char* id : {"ip:203.0.113.45", "net:203.0.113.0/24"}) {
    auto r = engine.report(id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
    EXPECT_EQ(r->classified_at, 1700000000);
    ASSERT_FALSE(r->reasons.empty());
    EXPECT_EQ(r->reasons[0].code, "BOT_DETECTED");
    EXPECT_NE(r->reasons[0].text.find("flow detector saw it behave like a spam bot"), std::string::npos)
        << r->reasons[0].text;
    EXPECT_NE(r->to_json().find(
                  "\"BOT_DETECTED: flow detector saw it behave like a spam bot: detections 1.00 (day"),
              std::string::npos)
        << r->to_json();
  }
  // A week later, without new evidence, the class is held (bad_hold_hours).
  clock.advance(std::chrono::seconds(7 * 86400));
  auto r = engine.report("ip:203.0.113.45");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_EQ(r->reasons.back().code, "HELD");
  // Five weeks later it is still kept: silence does not forgive.
  clock.advance(std::chrono::seconds(28 * 86400));
  r = engine.report("ip:203.0.113.45");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_EQ(r->reasons.back().code, "KEPT");
}

TEST(Engine, WalkOfStoredClassesHandsOnWhatIsWantedAndKept) {
  FakeClock clock(1700000000);
  MemoryStore store;
  Engine engine(store, clock, Thresholds{}, dmarc::PublicSuffixList::system());
  // 600 bots (more than one chunk of 512), each an ip and a net identity.
  for (int i = 0; i < 600; ++i) {
    Event e;
    e.type = EventType::kBot;
    e.time = 0;
    e.ip = *IpAddress::parse("10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".7");
    ASSERT_TRUE(engine.record(e));
  }
  ASSERT_TRUE(engine.record(newsletter(1700000000, 10)));  // unknown: too little mail
  std::atomic<bool> stop{false};
  std::vector<std::string> handed, warnings;
  auto walked = walk_stored_classes(
      engine, stop, [](std::string_view k) { return k.starts_with("ip:") || k.starts_with("domain:"); },
      [](SenderClass c) { return is_bad(c); },
      [&](std::vector<ClassChange>& cs) {
        for (auto& c : cs) {
          EXPECT_EQ(c.from, SenderClass::kUnknown);
          EXPECT_EQ(c.to, SenderClass::kSpammer) << c.identity;
          handed.push_back(c.identity);
        }
      },
      [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(walked.kept, 600u);
  EXPECT_EQ(handed.size(), 600u);
  EXPECT_GT(walked.keys, 600u);  // the newsletter's ip and domain are wanted, not kept
  for (const auto& id : handed) EXPECT_TRUE(id.starts_with("ip:10.")) << id;
  EXPECT_TRUE(warnings.empty());
  // A walk told to stop hands nothing on.
  stop = true;
  handed.clear();
  walked = walk_stored_classes(
      engine, stop, [](std::string_view) { return true; }, [](SenderClass) { return true; },
      [&](std::vector<ClassChange>& cs) { handed.push_back(cs.front().identity); },
      [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(walked.keys, 0u);
  EXPECT_TRUE(handed.empty());
}

TEST(Engine, UnauthenticatedEventsTouchOnlyTheNetwork) {
  FakeClock clock;
  MemoryStore store;
  Engine engine(store, clock, Thresholds{}, dmarc::PublicSuffixList::system());
  Event e = newsletter(0, 5);
  e.spf = e.dkim = e.dmarc = AuthResult::kFail;
  ASSERT_TRUE(engine.record(e));
  EXPECT_EQ(store.size(), 2u);  // ip and net
  auto r = engine.report("domain:news.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kUnknown);
  EXPECT_EQ(r->classified_at, 0);
}

TEST(Engine, DeltaCountsTheSenderSignals) {
  auto at = [](const Counters& d, Metric m) { return d.v[Counters::index(m, Window::kDay)]; };
  // A bot: forged freemail From, Windows machine name.
  Event bot = newsletter(1700000000, 3);
  bot.ip = *IpAddress::parse("100.64.9.9");
  bot.helo = "DESKTOP-1A2B3C";
  bot.spf = AuthResult::kSoftFail;
  bot.dkim = AuthResult::kNone;
  bot.dmarc = AuthResult::kFail;
  Counters d = delta_of(bot, bot.time);
  EXPECT_EQ(at(d, Metric::kAuthFail), 3);
  EXPECT_EQ(at(d, Metric::kBadHelo), 3);
  EXPECT_EQ(at(d, Metric::kAuthAligned), 0);
  EXPECT_EQ(at(d, Metric::kDmarcOnly), 0);
  // A forwarded message: SPF fails, DKIM and DMARC pass: not an auth failure.
  Event fwd = newsletter(1700000000, 1);
  fwd.helo = "mx.forwarder.example";
  fwd.spf = AuthResult::kFail;
  d = delta_of(fwd, fwd.time);
  EXPECT_EQ(at(d, Metric::kAuthFail), 0);
  EXPECT_EQ(at(d, Metric::kDmarcOnly), 1);
  EXPECT_EQ(at(d, Metric::kBadHelo), 0);
  // A mailing list that keeps the poster's From (RFC 7960): the list's SPF
  // and DKIM pass, DMARC fails for the poster's domain: unaligned, but not a
  // forgery (no auth failure, not aligned either).
  Event list = newsletter(1700000000, 40);
  list.dmarc = AuthResult::kFail;
  d = delta_of(list, list.time);
  EXPECT_EQ(at(d, Metric::kAuthFail), 0);
  EXPECT_EQ(at(d, Metric::kAuthAligned) + at(d, Metric::kDmarcOnly), 0);
  // The same without the list's DKIM signature and with SPF failing: forged.
  list.dkim = AuthResult::kFail;
  list.spf = AuthResult::kFail;
  d = delta_of(list, list.time);
  EXPECT_EQ(at(d, Metric::kAuthFail), 40);
  // A flagged list post to 300: the verdict counts 5 recipients (one message).
  Event post = newsletter(1700000000, 300);
  post.verdict = Verdict::kSpam;
  d = delta_of(post, post.time);
  EXPECT_EQ(at(d, Metric::kSpamVerdict), kVerdictRecipients);
  EXPECT_EQ(at(d, Metric::kVolume), 300);
  post.recipients = 3;
  EXPECT_EQ(at(delta_of(post, post.time), Metric::kSpamVerdict), 3);
  // Fully aligned: none of the three.
  d = delta_of(newsletter(1700000000, 5), 1700000000);
  EXPECT_EQ(at(d, Metric::kAuthAligned), 5);
  EXPECT_EQ(at(d, Metric::kDmarcOnly) + at(d, Metric::kAuthFail) + at(d, Metric::kBadHelo), 0);
  // Feedback about the bot's message counts only as itself.
  bot.type = EventType::kBounce;
  d = delta_of(bot, bot.time);
  EXPECT_EQ(at(d, Metric::kBounces), 1);
  EXPECT_EQ(at(d, Metric::kAuthFail) + at(d, Metric::kBadHelo) + at(d, Metric::kVolume), 0);
}

TEST(Engine, AlignedWithoutADmarcRecord) {
  auto at = [](const Counters& d, Metric m) { return d.v[Counters::index(m, Window::kDay)]; };
  auto psl = dmarc::PublicSuffixList::from_text("example\nco.uk\n");
  ASSERT_TRUE(psl);
  // The From domain publishes no DMARC record (dmarc none); SPF passes for
  // bounces@mail.news.example and DKIM for news.example: both aligned with
  // the From's organisational domain (relaxed, RFC 7489 3.1).
  Event e = newsletter(1700000000, 4);
  e.dmarc = AuthResult::kNone;
  EXPECT_EQ(at(delta_of(e, e.time, &*psl), Metric::kAuthAligned), 4);
  // Without the suffix list (and as before): not counted.
  EXPECT_EQ(at(delta_of(e, e.time), Metric::kAuthAligned), 0);
  // An ESP's signature and bounce domain for a customer's From: not aligned.
  Event esp = e;
  esp.mail_from = "bounce-1@bnc.esp.example";
  esp.dkim_domains = {"esp.example"};
  Counters d = delta_of(esp, esp.time, &*psl);
  EXPECT_EQ(at(d, Metric::kAuthAligned), 0);
  EXPECT_EQ(at(d, Metric::kAuthFail), 0);
  // Aligned DKIM with the ESP's SPF: only one of the two, not counted.
  esp.dkim_domains = {"esp.example", "news.example"};
  EXPECT_EQ(at(delta_of(esp, esp.time, &*psl), Metric::kAuthAligned), 0);
  // SPF aligned but DKIM not passing: not counted.
  e.dkim = AuthResult::kFail;
  EXPECT_EQ(at(delta_of(e, e.time, &*psl), Metric::kAuthAligned), 0);
  // A DMARC record that fails is a failure, whatever the domains say.
  e.dkim = AuthResult::kPass;
  e.dmarc = AuthResult::kFail;
  EXPECT_EQ(at(delta_of(e, e.time, &*psl), Metric::kAuthAligned), 0);
  // Organisational domains, not suffixes: shop.co.uk and other.co.uk differ.
  Event uk = newsletter(1700000000, 2);
  uk.dmarc = AuthResult::kNone;
  uk.from = "a@shop.co.uk";
  uk.mail_from = "b@other.co.uk";
  uk.dkim_domains = {"shop.co.uk"};
  EXPECT_EQ(at(delta_of(uk, uk.time, &*psl), Metric::kAuthAligned), 0);
  uk.mail_from = "b@mail.shop.co.uk";
  EXPECT_EQ(at(delta_of(uk, uk.time, &*psl), Metric::kAuthAligned), 2);
}

// Mail a domain other than the From's signed (Metric::kCoSigned, issue 13,
// round 12): counted for the address, its network and the signer, never for
// the From's own identities.
TEST(Engine, CoSignedMailCountsForTheAddressAndTheSignerOnly) {
  auto psl = dmarc::PublicSuffixList::from_text("example\nco.uk\n");
  ASSERT_TRUE(psl);
  Event e = newsletter(1700000000, 3);
  EXPECT_TRUE(cosigners_of(e, *psl).empty());  // its own signature
  e.dkim_domains = {"mail.news.example"};      // a subdomain of the From's: its own
  EXPECT_TRUE(cosigners_of(e, *psl).empty());
  e.from = "letters@mail.news.example";  // a parent signs a subdomain's mail: its own
  e.dkim_domains = {"news.example"};
  EXPECT_TRUE(cosigners_of(e, *psl).empty());
  e.from = "a@shop.co.uk";  // organisational domains, not suffixes
  e.dkim_domains = {"other.co.uk", "shop.co.uk", "s1.other.co.uk"};
  EXPECT_EQ(cosigners_of(e, *psl), (std::vector<std::string>{"other.co.uk", "s1.other.co.uk"}));
  e.dkim = AuthResult::kFail;  // no valid signature
  EXPECT_TRUE(cosigners_of(e, *psl).empty());

  FakeClock clock(1700000000);
  MemoryStore store;
  Engine engine(store, clock, Thresholds{}, *psl);
  Event esp = newsletter(1700000000, 4);
  esp.mail_from = "bounce-1@bnc.esp.example";
  esp.dkim_domains = {"news.example", "esp.example"};
  ASSERT_TRUE(engine.record(esp));
  auto co = [&](const char* id) {
    auto r = engine.report(id, esp.time);
    EXPECT_TRUE(r) << id;
    return r ? r->counters.value(Metric::kCoSigned, Window::kDay, esp.time) : -1.0;
  };
  EXPECT_EQ(co("ip:198.51.100.20"), 4);
  EXPECT_EQ(co("net:198.51.100.0/24"), 4);
  EXPECT_EQ(co("domain:esp.example"), 4);
  EXPECT_EQ(co("dkim:esp.example"), 4);
  EXPECT_EQ(co("domain:news.example"), 0);
  EXPECT_EQ(co("dkim:news.example"), 0);
  // The volume is counted for every identity as before.
  EXPECT_EQ(
      engine.report("domain:news.example", esp.time)->counters.value(Metric::kVolume, Window::kDay, esp.time),
      4);
}

TEST(Engine, QuietBotnetAddressIsASpammerNotTransactional) {
  FakeClock clock(1700000000);
  MemoryStore store;
  auto psl = dmarc::PublicSuffixList::from_text("example\n");
  ASSERT_TRUE(psl);
  Engine engine(store, clock, Thresholds{}, *psl);
  // 12 messages an hour for 6 hours, a quarter of the recipients unknown,
  // no complaints, no traps: nothing the volume rules see.
  int64_t t = 1700000000;
  for (int i = 0; i < 72; ++i, t += 300) {
    Event e;
    e.time = t;
    e.ip = *IpAddress::parse("100.64.9.9");
    e.helo = i % 2 ? "localhost" : "[100.64.9.9]";
    e.mail_from = e.from = "user" + std::to_string(i) + "@freemail.example";
    e.spf = AuthResult::kFail;
    e.dmarc = AuthResult::kFail;
    e.recipients = 2;
    ASSERT_TRUE(engine.record(e));
    if (i % 4 == 0) {
      e.type = EventType::kBounce;
      e.recipients = 1;
      ASSERT_TRUE(engine.record(e));
    }
  }
  auto r = engine.report("ip:100.64.9.9", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cls, SenderClass::kSpammer) << r->to_json();
  EXPECT_NE(r->to_json().find("MODEL_BAD"), std::string::npos) << r->to_json();
  // Counted while it has few messages (FEW_MESSAGES_BAD): forged
  // authentication, the HELO and the unknown recipients of its first hour,
  // before the shares of the sender model are significant.
  EXPECT_LE(r->classified_at, 1700000000 + 3600) << "found within its first hour";
  // The forged domain never became an identity.
  auto dom = engine.report("domain:freemail.example", t);
  ASSERT_TRUE(dom);
  EXPECT_EQ(dom->cls, SenderClass::kUnknown);
}

}  // namespace
}  // namespace rampart::reputation
