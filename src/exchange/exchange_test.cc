#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "exchange/exchange.h"

namespace rampart::exchange {
namespace {

constexpr int64_t kNow = 1765000000;

struct Fixture {
  SigningKey a = *SigningKey::generate();
  SigningKey b = *SigningKey::generate();
  SigningKey c = *SigningKey::generate();
  std::string text;
  Group group;

  explicit Fixture(std::string extra = "") {
    Member ma{"A", a.public_key(), std::string(64, 'a'), {}, 0, {}, {}};
    ma.rights.read = {DataClass::kBotIp, DataClass::kSpamSource};
    ma.rights.write = {DataClass::kBotIp, DataClass::kSpamSource, DataClass::kPhishUrl};
    Member mb{"B", b.public_key(), std::string(64, 'b'), {}, 0, {}, {}};
    mb.rights.read = {DataClass::kBotIp};
    mb.rights.write = {DataClass::kBotIp};
    Member mc{"C", c.public_key(), std::string(64, 'c'), {}, 0, {}, {}};
    mc.rights.read = {DataClass::kBotIp};
    mc.rights.write = {DataClass::kBotIp};
    text = "[group]\nname = \"g1\"\n" + member_toml(ma) + member_toml(mb) + member_toml(mc) + extra;
    auto g = Group::parse(text);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    if (g) group = *g;
  }
};

Batch bot_batch(std::string origin, uint64_t seq, int64_t time, std::vector<std::string> ips) {
  Batch b;
  b.cls = DataClass::kBotIp;
  b.origin = std::move(origin);
  b.seq = seq;
  b.time = time;
  for (auto& ip : ips)
    b.items.push_back(
        Item{DataClass::kBotIp, ip.find('/') == std::string::npos ? ItemKind::kIp : ItemKind::kNet, ip, 1});
  return b;
}

TEST(ExchangeGroup, ParsesMembersRightsAndRevocations) {
  Fixture f(revocation_toml("C", kNow + 100, "left"));
  ASSERT_EQ(f.group.members().size(), 3u);
  const Member* a = f.group.find("A");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->may_write(DataClass::kPhishUrl, kNow));
  EXPECT_FALSE(a->may_read(DataClass::kPhishUrl, kNow));
  EXPECT_EQ(f.group.find_by_cert(std::string(64, 'b'))->name, "B");
  const Member* c = f.group.find("C");
  EXPECT_TRUE(c->may_read(DataClass::kBotIp, kNow + 99));
  EXPECT_FALSE(c->may_read(DataClass::kBotIp, kNow + 100));
  EXPECT_FALSE(c->may_write(DataClass::kBotIp, kNow + 100));
}

TEST(ExchangeGroup, RefusesBadFiles) {
  Fixture f;
  // Unknown key, unknown class, a revocation of nobody, a duplicate member.
  EXPECT_FALSE(Group::parse(f.text + "\n[[members]]\nname = \"D\"\ncolour = 1\n"));
  EXPECT_FALSE(Group::parse("[group]\nname=\"g\"\n[[members]]\nname=\"A\"\nsign_key=\"" + f.a.public_text() +
                            "\"\ntls_sha256=\"" + std::string(64, 'a') + "\"\nread=[\"bots\"]\n"));
  EXPECT_FALSE(Group::parse(f.text + revocation_toml("Z", 1, "")));
  auto dup = Group::parse(f.text + f.text.substr(f.text.find("\n[[members]]")));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("listed twice"), std::string::npos);
}

TEST(ExchangeKeys, RoundTripAndRefuseCorruptKey) {
  auto k = SigningKey::generate();
  ASSERT_TRUE(k);
  auto again = SigningKey::parse(k->to_text());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), k->public_key());
  std::string t = k->to_text();
  t[20] = t[20] == 'A' ? 'B' : 'A';  // inside the seed: the public half no longer matches
  EXPECT_FALSE(SigningKey::parse(t));
  auto gk = generate_group_key();
  ASSERT_TRUE(gk);
  auto gk2 = parse_group_key(group_key_text(*gk));
  ASSERT_TRUE(gk2);
  EXPECT_EQ(*gk, *gk2);
}

TEST(ExchangeBatch, CanonicalRoundTrip) {
  Fixture f;
  const std::string wire =
      sign_batch("g1", bot_batch("A", 1, kNow, {"192.0.2.9", "192.0.2.7", "192.0.2.9"}), f.a);
  auto p = parse_batch(wire);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->batch.items.size(), 2u);  // sorted, the repeat merged
  EXPECT_EQ(p->batch.items[0].value, "192.0.2.7");
  EXPECT_EQ(p->batch.items[1].count, 2u);
  // Re-encoding the parsed batch gives the signed bytes back.
  Batch again = p->batch;
  EXPECT_EQ(canonical_body("g1", again), wire.substr(0, p->body_len));
  EXPECT_TRUE(verify_signature(f.a.public_key(), wire.substr(0, p->body_len), p->sig.data()));
}

TEST(ExchangeBatch, RefusesNonCanonicalForms) {
  Fixture f;
  const std::string wire = sign_batch("g1", bot_batch("A", 1, kNow, {"192.0.2.7", "192.0.2.9"}), f.a);
  auto mutate = [&](std::string from, std::string to) {
    std::string w = wire;
    const size_t at = w.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    w.replace(at, from.size(), to);
    return parse_batch(w);
  };
  EXPECT_FALSE(mutate("seq 1\n", "seq 01\n"));
  EXPECT_FALSE(mutate("seq 1\n", "seq  1\n"));
  EXPECT_FALSE(mutate("ip 192.0.2.7 1\nip 192.0.2.9 1\n", "ip 192.0.2.9 1\nip 192.0.2.7 1\n"));  // unsorted
  EXPECT_FALSE(mutate("ip 192.0.2.7 1\nip 192.0.2.9 1\n", "ip 192.0.2.7 1\nip 192.0.2.7 1\n"));  // repeated
  EXPECT_FALSE(mutate("192.0.2.7", "::ffff:192.0.2.7"));
  EXPECT_FALSE(mutate("items 2", "items 3"));
  EXPECT_FALSE(mutate("\nsig ", "\r\nsig "));
  EXPECT_FALSE(mutate("ip 192.0.2.7 1", "ip 192.0.2.7 00"));
  EXPECT_FALSE(mutate("ip 192.0.2.7 1", "ip 192.0.2.7 -1"));
  EXPECT_FALSE(mutate("ip 192.0.2.7", "domain alice@example.org"));  // no free text
  EXPECT_FALSE(parse_batch(wire + "x"));
  EXPECT_FALSE(parse_batch(wire.substr(0, wire.size() - 1)));
}

TEST(ExchangeReceiver, EveryChangedByteIsRefused) {
  Fixture f;
  const std::string wire = sign_batch("g1", bot_batch("A", 1, kNow, {"192.0.2.7", "198.51.100.0/24"}), f.a);
  {
    SeqBook book;
    Receiver rx(f.group, book);
    ASSERT_TRUE(rx.accept(wire, kNow));  // the untouched batch is good
  }
  for (size_t i = 0; i < wire.size(); ++i) {
    for (uint8_t delta : {uint8_t{1}, uint8_t{0x20}}) {
      std::string w = wire;
      w[i] = static_cast<char>(static_cast<uint8_t>(w[i]) ^ delta);
      SeqBook book;
      Receiver rx(f.group, book);
      auto r = rx.accept(w, kNow);
      EXPECT_FALSE(r) << "byte " << i << " xor " << int{delta} << " accepted";
    }
  }
}

TEST(ExchangeReceiver, SignatureOfAnotherMemberIsRefused) {
  Fixture f;
  // B signs a batch that claims A as its origin.
  const std::string forged = sign_batch("g1", bot_batch("A", 1, kNow, {"192.0.2.7"}), f.b);
  SeqBook book;
  Receiver rx(f.group, book);
  auto r = rx.accept(forged, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kBadSignature);
}

TEST(ExchangeReceiver, ReplayRefusedAndOutOfOrderApplied) {
  Fixture f;
  SeqBook book;
  Receiver rx(f.group, book);
  const std::string b1 = sign_batch("g1", bot_batch("A", 1, kNow, {"192.0.2.1"}), f.a);
  const std::string b2 = sign_batch("g1", bot_batch("A", 2, kNow, {"192.0.2.2"}), f.a);
  const std::string b3 = sign_batch("g1", bot_batch("A", 3, kNow, {"192.0.2.3"}), f.a);
  ASSERT_TRUE(rx.accept(b1, kNow));
  ASSERT_TRUE(rx.accept(b3, kNow));  // a push overtaking the pull
  EXPECT_EQ(book.floor("A"), 1u);
  ASSERT_TRUE(rx.accept(b2, kNow));  // the pull catches up
  EXPECT_EQ(book.floor("A"), 3u);
  for (const auto* w : {&b1, &b2, &b3}) {
    auto r = rx.accept(*w, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().why, Refusal::kReplay);
  }
  // The book survives a restart (text form).
  auto restored = SeqBook::parse(book.to_text());
  ASSERT_TRUE(restored);
  Receiver rx2(f.group, *restored);
  EXPECT_FALSE(rx2.accept(b2, kNow));
}

TEST(ExchangeReceiver, RightsRevocationAndTimeWindow) {
  Fixture f(revocation_toml("C", kNow + 100, "left"));
  SeqBook book;
  Receiver rx(f.group, book);
  // B has no right to write spam_source.
  Batch sb = bot_batch("B", 1, kNow, {"192.0.2.1"});
  sb.cls = DataClass::kSpamSource;
  for (auto& i : sb.items) i.cls = DataClass::kSpamSource;
  auto r = rx.accept(sign_batch("g1", sb, f.b), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kNoRight);
  // C before its revocation: accepted; the same kind of batch after: refused,
  // even when it claims a time before the revocation.
  EXPECT_TRUE(rx.accept(sign_batch("g1", bot_batch("C", 1, kNow, {"192.0.2.1"}), f.c), kNow));
  r = rx.accept(sign_batch("g1", bot_batch("C", 2, kNow, {"192.0.2.1"}), f.c), kNow + 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kRevoked);
  // Too old, from the future, wrong group, unknown origin.
  r = rx.accept(sign_batch("g1", bot_batch("A", 1, kNow - 8 * 86400, {"192.0.2.1"}), f.a), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kStale);
  r = rx.accept(sign_batch("g1", bot_batch("A", 1, kNow + 3600, {"192.0.2.1"}), f.a), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kFuture);
  r = rx.accept(sign_batch("g2", bot_batch("A", 1, kNow, {"192.0.2.1"}), f.a), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kWrongGroup);
  r = rx.accept(sign_batch("g1", bot_batch("Z", 1, kNow, {"192.0.2.1"}), f.a), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::kUnknownOrigin);
}

TEST(ExchangeReceiver, ProvenanceSurvivesRelaying) {
  Fixture f;
  const std::string wire = sign_batch("g1", bot_batch("A", 7, kNow, {"192.0.2.7"}), f.a);
  // B receives it, keeps the bytes in its journal, C pulls them from B.
  SeqBook book_b, book_c;
  Receiver at_b(f.group, book_b), at_c(f.group, book_c);
  ASSERT_TRUE(at_b.accept(wire, kNow));
  std::string journal = frame(wire) + frame(wire);
  std::string_view in = journal;
  auto first = next_frame(in);
  ASSERT_TRUE(first);
  auto got = at_c.accept(*first, kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->parsed.batch.origin, "A");
  auto second = next_frame(in);
  ASSERT_TRUE(second);
  EXPECT_FALSE(at_c.accept(*second, kNow));  // the same batch via another path
  EXPECT_TRUE(in.empty());
  std::string bad = "batch 99999999\nx";
  std::string_view bv = bad;
  EXPECT_FALSE(next_frame(bv));
}

TEST(ExchangePublisher, PolicyRefusesSubscriberData) {
  Fixture f;
  OutboundPolicy pol;
  pol.subscriber_networks = {*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")};
  pol.publishable_networks = {*parse_cidr("10.9.0.0/16")};
  Publisher pub(f.group, "A", pol);
  EXPECT_TRUE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1}, kNow));
  EXPECT_TRUE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "10.9.1.2", 1}, kNow));  // publishable pool
  auto r = pub.publish({DataClass::kBotIp, ItemKind::kIp, "10.1.2.3", 1}, kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("subscriber address"), std::string::npos);
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "2001:db8::5", 1}, kNow));
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kNet, "10.0.0.0/24", 1}, kNow));
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kNet, "192.0.0.0/8", 1}, kNow));  // too wide
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "alice@example.org", 1}, kNow));
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kDomain, "example.org", 1}, kNow));      // kind
  EXPECT_FALSE(pub.publish({DataClass::kDomainRep, ItemKind::kDomain, "example.org", 1}, kNow));  // right
  // The subscriber's address may leave blinded; receivers test membership.
  const GroupKey gk = *generate_group_key();
  auto blinded = blinded_item(gk, DataClass::kBotIp, "ip", "10.1.2.3");
  ASSERT_TRUE(blinded);
  EXPECT_TRUE(pub.publish(*blinded, kNow));
  EXPECT_FALSE(blinded_item(gk, DataClass::kPhishUrl, "ip", "10.1.2.3"));  // phish_url carries url_hmac
  auto url = blinded_item(gk, DataClass::kPhishUrl, "url", "https://x.example/?u=alice");
  ASSERT_TRUE(url);
  EXPECT_TRUE(pub.publish(*url, kNow));
  auto b = pub.take(DataClass::kBotIp, 1, kNow);
  ASSERT_TRUE(b);
  const std::string wire = sign_batch("g1", *b, f.a);
  EXPECT_EQ(wire.find("10.1.2.3"), std::string::npos);
  EXPECT_NE(wire.find(blind(gk, ItemKind::kIpHmac, "10.1.2.3")), std::string::npos);
  EXPECT_EQ(pub.pending(DataClass::kBotIp), 0u);
}

TEST(ExchangePublisher, RevokedMemberCannotPublish) {
  Fixture f(revocation_toml("A", kNow, "key lost"));
  Publisher pub(f.group, "A", {});
  EXPECT_TRUE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1}, kNow - 1));
  EXPECT_FALSE(pub.publish({DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1}, kNow));
}

TEST(ExchangeTally, HalfTrustNeedsASecondReporter) {
  Fixture f;
  Tally t({{"A", 0.5}, {"C", 0.6}}, 1.0, 86400, 3600);
  const Item key{DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1};
  auto ch = t.add(bot_batch("A", 1, kNow, {"192.0.2.7"}), kNow);
  EXPECT_TRUE(ch.empty());
  EXPECT_FALSE(t.listed(key));
  // A again: one origin counts once, whatever it repeats.
  EXPECT_TRUE(t.add(bot_batch("A", 2, kNow + 1, {"192.0.2.7"}), kNow + 1).empty());
  ch = t.add(bot_batch("C", 1, kNow + 2, {"192.0.2.7"}), kNow + 2);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_TRUE(ch[0].listed);
  ASSERT_NE(t.reports(key), nullptr);
  EXPECT_EQ(t.reports(key)->size(), 2u);
  // Fresh for an hour: nothing changes.
  EXPECT_TRUE(t.expire(kNow + 3600).empty());
  // Decay: a half-life later the sum (0.55) falls under the threshold.
  ch = t.expire(kNow + 3600 + 86400 + 2);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_FALSE(ch[0].listed);
  EXPECT_EQ(ch[0].item.value, "192.0.2.7");
  // A member trusted exactly at the threshold lists alone, even when its
  // batch is a few seconds old on arrival.
  Tally full({{"A", 1.0}}, 1.0, 86400, 3600);
  ch = full.add(bot_batch("A", 1, kNow, {"192.0.2.8"}), kNow + 5);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_TRUE(ch[0].listed);
  // Unknown origins count nothing unless "*" says otherwise.
  EXPECT_EQ(t.trust("Z"), 0.0);
}

TEST(ExchangeTally, RetractionWithdrawsOnlyItsOriginsReport) {
  Fixture f;
  Tally t({{"A", 1.0}, {"C", 1.0}}, 1.0, 86400, 3600);
  const Item key{DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1};
  ASSERT_EQ(t.add(bot_batch("A", 1, kNow, {"192.0.2.7"}), kNow).size(), 1u);
  ASSERT_EQ(t.add(bot_batch("C", 1, kNow, {"192.0.2.7"}), kNow).size(), 0u);
  Batch retract_a = bot_batch("A", 2, kNow + 10, {"192.0.2.7"});
  retract_a.items[0].count = 0;
  // C still reports it: listed, with C alone.
  EXPECT_TRUE(t.add(retract_a, kNow + 10).empty());
  EXPECT_TRUE(t.listed(key));
  auto live = [&] {
    std::string who;
    for (const Report& r : *t.reports(key))
      if (r.count > 0) who += r.origin;
    return who;
  };
  EXPECT_EQ(live(), "C");
  EXPECT_NEAR(t.score(key, kNow + 10), 1.0, 1e-9);
  EXPECT_TRUE(t.retracted(key));  // A withdrew (recently)
  // An older report of A arriving late (a pull overtaken by the push) does not undo it...
  EXPECT_TRUE(t.add(bot_batch("A", 1, kNow, {"192.0.2.7"}), kNow + 11).empty());
  EXPECT_EQ(live(), "C");
  // ... and C withdrawing too delists, leaving a tombstone for an hour.
  Batch retract_c = bot_batch("C", 2, kNow + 20, {"192.0.2.7"});
  retract_c.items[0].count = 0;
  auto ch = t.add(retract_c, kNow + 20);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_FALSE(ch[0].listed);
  EXPECT_TRUE(t.retracted(key));
  EXPECT_EQ(t.size(), 1u);
  t.expire(kNow + 30);
  EXPECT_EQ(t.size(), 1u);
  t.expire(kNow + 20 + Tally::kRetractionKeep + 1);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.retracted(key));
}

TEST(ExchangePublisher, RetractionIsSignedRightsCheckedAndReplacesAPendingReport) {
  Fixture f;
  Publisher pub(f.group, "A", {});
  const Item item{DataClass::kBotIp, ItemKind::kIp, "192.0.2.7", 1};
  ASSERT_TRUE(pub.publish(item, kNow));
  ASSERT_TRUE(pub.retract(item, kNow));
  auto b = pub.take(DataClass::kBotIp, 1, kNow);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->items.size(), 1u);
  EXPECT_EQ(b->items[0].count, 0u);
  // On the wire: count 0, signed like any batch, accepted by a receiver.
  const std::string wire = sign_batch("g1", *b, f.a);
  EXPECT_NE(wire.find("ip 192.0.2.7 0\n"), std::string::npos);
  SeqBook book;
  Receiver rx(f.group, book);
  auto ok = rx.accept(wire, kNow);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->parsed.batch.items[0].count, 0u);
  // A report after the retraction replaces it in turn.
  ASSERT_TRUE(pub.retract(item, kNow));
  ASSERT_TRUE(pub.publish(item, kNow));
  b = pub.take(DataClass::kBotIp, 2, kNow);
  ASSERT_EQ(b->items.size(), 1u);
  EXPECT_EQ(b->items[0].count, 1u);
  // Rights: B may not write spam_source, so it may not retract one either.
  Publisher pb(f.group, "B", {});
  EXPECT_FALSE(pb.retract(Item{DataClass::kSpamSource, ItemKind::kIp, "192.0.2.7", 1}, kNow));
}

// Compaction bounds the journal by age; positions stay, and a member whose
// position was compacted away is told so and gets everything kept.
TEST(ExchangeJournal, CompactsByAgeKeepsPositionsAndAnswersAGapWithTheSnapshot) {
  Fixture f;
  char tmpl[] = "/tmp/exchange-journal-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    Journal j = Journal::open(dir);
    for (uint64_t seq = 1; seq <= 5; ++seq) {
      Batch b =
          bot_batch("A", seq, kNow + static_cast<int64_t>(seq) * 100, {"192.0.2." + std::to_string(seq)});
      ASSERT_TRUE(j.append(sign_batch("g1", b, f.a), b));
    }
    Batch fromb = bot_batch("B", 1, kNow + 600, {"192.0.2.60"});
    ASSERT_TRUE(j.append(sign_batch("g1", fromb, f.b), fromb));
    EXPECT_EQ(j.end(), 6u);
    // A member at position 2 reads 2..5; B's own batch is not sent back to B.
    auto sl = j.read(2, 1 << 20, [](const Journal::Entry& e) { return e.origin != "B"; });
    EXPECT_EQ(sl.next, 6u);
    EXPECT_EQ(sl.compacted_to, 0u);
    EXPECT_EQ(sl.items[DataClass::kBotIp], 3u);
    // Batches older than kNow + 350 (seq 1-3) go; positions stay.
    EXPECT_EQ(j.compact(kNow + 350), 3u);
    EXPECT_EQ(j.base(), 3u);
    EXPECT_EQ(j.end(), 6u);
    EXPECT_EQ(j.compact(kNow + 350), 0u);
  }
  // After a restart: the same base and batches.
  Journal j = Journal::open(dir);
  EXPECT_EQ(j.base(), 3u);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j.entries().front().time, kNow + 400);
  // A member that was away since position 1: told the head was compacted,
  // given every batch kept (the full snapshot), never a silent gap.
  auto sl = j.read(1, 1 << 20, [](const Journal::Entry&) { return true; });
  EXPECT_EQ(sl.compacted_to, 3u);
  EXPECT_EQ(sl.next, 6u);
  std::string_view in = sl.body;
  size_t n = 0;
  while (!in.empty()) {
    auto fr = next_frame(in);
    ASSERT_TRUE(fr);
    auto p = parse_batch(*fr);
    ASSERT_TRUE(p);
    EXPECT_GE(p->batch.time, kNow + 400);
    ++n;
  }
  EXPECT_EQ(n, 3u);
  // Up to date: nothing, no gap. Past the end (our journal was lost): the end.
  EXPECT_TRUE(j.read(6, 1 << 20, [](const Journal::Entry&) { return true; }).body.empty());
  EXPECT_EQ(j.read(60, 1 << 20, [](const Journal::Entry&) { return true; }).next, 6u);
  // A small cap: one batch at a time, "more" said.
  auto one = j.read(3, 10, [](const Journal::Entry&) { return true; });
  EXPECT_TRUE(one.more);
  EXPECT_EQ(one.next, 4u);
  std::filesystem::remove_all(dir);
}

// The size cap: within the time window, the oldest batches go first while
// the journal is over it; a member that fell behind them is answered as for
// an age gap (compacted_to, everything kept); the size is the file's, also
// after a restart.
TEST(ExchangeJournal, SizeCapDropsTheOldestBatchesFirst) {
  Fixture f;
  char tmpl[] = "/tmp/exchange-journal-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::vector<size_t> sizes;
  {
    Journal j = Journal::open(dir);
    for (uint64_t seq = 1; seq <= 6; ++seq) {
      Batch b =
          bot_batch("A", seq, kNow + static_cast<int64_t>(seq) * 10, {"192.0.2." + std::to_string(seq)});
      std::string text = sign_batch("g1", b, f.a);
      sizes.push_back(frame(text).size());
      ASSERT_TRUE(j.append(std::move(text), b));
    }
    size_t total = 0;
    for (size_t z : sizes) total += z;
    EXPECT_EQ(j.bytes(), total);
    EXPECT_EQ(j.bytes(), std::filesystem::file_size(dir + "/journal"));
    // Nothing is old; under the cap nothing goes.
    size_t by_size = 99;
    EXPECT_EQ(j.compact(kNow, total, &by_size), 0u);
    EXPECT_EQ(by_size, 0u);
    // A cap that holds the newest three (and a byte short of four): seq 1-3 go.
    const size_t cap = sizes[3] + sizes[4] + sizes[5] + sizes[2] - 1;
    EXPECT_EQ(j.compact(kNow, cap, &by_size), 3u);
    EXPECT_EQ(by_size, 3u);
    EXPECT_EQ(j.base(), 3u);
    EXPECT_EQ(j.end(), 6u);
    EXPECT_EQ(j.bytes(), sizes[3] + sizes[4] + sizes[5]);
    EXPECT_LE(j.bytes(), cap);
    EXPECT_EQ(j.bytes(), std::filesystem::file_size(dir + "/journal"));
    // Age first, then size: seq 4 is old, and the cap then takes seq 5.
    EXPECT_EQ(j.compact(kNow + 45, sizes[5], &by_size), 2u);
    EXPECT_EQ(by_size, 1u);
    EXPECT_EQ(j.base(), 5u);
    // A new batch after compaction goes on at the end.
    Batch b7 = bot_batch("A", 7, kNow + 70, {"192.0.2.7"});
    ASSERT_TRUE(j.append(sign_batch("g1", b7, f.a), b7));
    EXPECT_EQ(j.end(), 7u);
  }
  Journal j = Journal::open(dir);
  EXPECT_EQ(j.base(), 5u);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j.bytes(), std::filesystem::file_size(dir + "/journal"));
  // The member at position 2 (it read seq 1 and 2) is told, and gets all kept.
  auto sl = j.read(2, 1 << 20, [](const Journal::Entry&) { return true; });
  EXPECT_EQ(sl.compacted_to, 5u);
  EXPECT_EQ(sl.next, 7u);
  EXPECT_EQ(sl.items[DataClass::kBotIp], 2u);
  // One at the kept head has no gap.
  EXPECT_EQ(j.read(5, 1 << 20, [](const Journal::Entry&) { return true; }).compacted_to, 0u);
  std::filesystem::remove_all(dir);
}

TEST(ExchangeAudit, AppendsOneLinePerRecord) {
  char dir[] = "/tmp/exchange_audit_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/audit.log";
  {
    auto log = AuditLog::open(path);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->record(kNow, "write", "A", "bot_ip", 3, 1));
  }
  {
    auto log = AuditLog::open(path);  // reopened: appends, never truncates
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->record(kNow + 1, "refuse", "C", "bot_ip", 0, 2, "revoked\nx"));
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(),
            "1765000000 write member=A class=bot_ip items=3 seq=1\n"
            "1765000001 refuse member=C class=bot_ip items=0 seq=2 detail=\"revoked?x\"\n");
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace rampart::exchange
