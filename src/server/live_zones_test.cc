// File: src/server/live_zones_test.cc
// LiveZones with the real DNS server on 127.0.0.1:0: class transitions and
// overrides in, answers over UDP out; and the [dnsbl] configuration rules.
#include "server/live_zones.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dns/wire.h"
#include "policy/policy.h"

namespace rampart::server {
namespace {

struct Reply {
  int rcode = -1;
  std::vector<std::string> a, txt;
};

Reply ask(uint16_t port, const std::string& name, uint16_t type) {
  auto q = dns::build_query(0x4242, name, type, {.recursion_desired = false});
  EXPECT_TRUE(q.has_value());
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, q->data(), q->size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  uint8_t buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  Reply r;
  if (n < 12) return r;
  std::span<const uint8_t> m(buf, static_cast<size_t>(n));
  r.rcode = dns::parse_header(m)->rcode;
  for (const auto& rec : dns::parse_response(m, static_cast<dns::RRType>(type), name).records) {
    if (auto ip = rec.ip()) r.a.push_back(ip->to_string());
    if (auto t = rec.txt()) r.txt.push_back(t->text());
  }
  return r;
}

using Strings = std::vector<std::string>;

LiveZonesConfig config() {
  auto cfg = Config::parse(R"(
[dnsbl]
listen = ["127.0.0.1:0"]
rebuild_ms = 0
[[dnsbl.zones]]
name = "bl.example"
codes = { spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4" }
[[dnsbl.zones]]
name = "wl.example"
list = "allow"
codes = { bulk = "127.0.10.2", transactional = "127.0.10.3", manual = "127.0.10.9" }
[[dnsbl.zones]]
name = "dbl.example"
data = "domain"
codes = { spammer = "127.0.1.2" }
)");
  EXPECT_TRUE(cfg);
  auto c = LiveZonesConfig::from(*cfg);
  EXPECT_TRUE(c) << c.error().message;
  EXPECT_TRUE(cfg->finish());
  return *c;
}

reputation::ClassChange change(std::string id, reputation::SenderClass to, std::string code = "R") {
  return {std::move(id), reputation::SenderClass::kUnknown, to, {{std::move(code), -1, "why"}}, 1700000000};
}

// The documented defaults (--print-default-config) are LiveZonesConfig's.
TEST(LiveZonesConfig, DefaultTextMatchesDefaults) {
  auto cfg = Config::parse(policy::default_config_text(), "defaults");
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto c = LiveZonesConfig::from(*cfg);
  ASSERT_TRUE(c) << c.error().message;
  const LiveZonesConfig d;
  EXPECT_FALSE(c->enabled());
  EXPECT_EQ(c->threads, d.threads);
  EXPECT_EQ(c->ttl, d.ttl);
  EXPECT_EQ(c->ns, d.ns);
  EXPECT_TRUE(c->xfr_allow.empty());
  EXPECT_TRUE(c->tsig.empty());
  EXPECT_TRUE(c->notify.empty());
  EXPECT_EQ(c->journal, d.journal);
  EXPECT_EQ(c->rebuild_ms, d.rebuild_ms);
  EXPECT_EQ(c->max_entries, d.max_entries);
  EXPECT_EQ(c->rate_limit, d.rate_limit);
  EXPECT_TRUE(c->zones.empty());
  auto fin = cfg->finish();
  if (!fin) {
    EXPECT_EQ(fin.error().message.find("dnsbl."), std::string::npos) << fin.error().message;
  }
}

TEST(LiveZones, ClassesAndOverridesToZones) {
  auto overrides = reputation::OverrideStore::open("");
  ASSERT_TRUE(overrides);
  std::shared_ptr<reputation::OverrideStore> ov = std::move(*overrides);
  Metrics metrics;
  auto lz = LiveZones::start(config(), ov, &metrics);
  ASSERT_TRUE(lz) << lz.error().message;
  const uint16_t port = (*lz)->ports()[0];
  using C = reputation::SenderClass;
  const std::vector<reputation::ClassChange> first = {change("ip:192.0.2.1", C::kSpammer),
                                                      change("ip:192.0.2.2", C::kCompromised),
                                                      change("ip:192.0.2.3", C::kSpammer, "BOT_DETECTED"),
                                                      change("ip:198.51.100.1", C::kBulk),
                                                      change("ip:198.51.100.2", C::kTransactional),
                                                      change("domain:spam.example", C::kSpammer),
                                                      change("domain:news.example", C::kBulk),
                                                      change("dkim:spam.example", C::kSpammer),
                                                      change("net:203.0.113.0/24", C::kSpammer)};
  (*lz)->class_listener()(first);
  (*lz)->flush();
  EXPECT_EQ(ask(port, "1.2.0.192.bl.example", 1).a, Strings{"127.0.0.2"});
  EXPECT_EQ(ask(port, "1.2.0.192.bl.example", 16).txt, Strings{"spammer: R: why"});
  EXPECT_EQ(ask(port, "2.2.0.192.bl.example", 1).a, Strings{"127.0.0.3"});
  EXPECT_EQ(ask(port, "3.2.0.192.bl.example", 1).a, Strings{"127.0.0.4"});
  EXPECT_EQ(ask(port, "9.113.0.203.bl.example", 1).a, Strings{"127.0.0.2"});  // the /24
  EXPECT_EQ(ask(port, "1.100.51.198.bl.example", 1).rcode, 3);                // good: not in the block list
  EXPECT_EQ(ask(port, "1.100.51.198.wl.example", 1).a, Strings{"127.0.10.2"});
  EXPECT_EQ(ask(port, "2.100.51.198.wl.example", 1).a, Strings{"127.0.10.3"});
  EXPECT_EQ(ask(port, "1.2.0.192.wl.example", 1).rcode, 3);
  EXPECT_EQ(ask(port, "spam.example.dbl.example", 1).a, Strings{"127.0.1.2"});
  EXPECT_EQ(ask(port, "news.example.dbl.example", 1).rcode, 3);  // no code for bulk in a block list
  // RFC 5782 entries in all three.
  EXPECT_EQ(ask(port, "2.0.0.127.wl.example", 1).a, Strings{"127.0.10.2"});  // the lowest code
  EXPECT_EQ(ask(port, "test.dbl.example", 1).a, Strings{"127.0.1.2"});
  // Transitions out of a class delist.
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("ip:192.0.2.1", C::kUnknown)});
  (*lz)->flush();
  EXPECT_EQ(ask(port, "1.2.0.192.bl.example", 1).rcode, 3);
  // Overrides: an allow keeps the address out of the block list (even inside
  // the listed /24) and lists it in the allow list with the manual code; a
  // block of a bulk sender removes it from the allow list.
  ASSERT_TRUE(ov->apply({"ip:203.0.113.7", reputation::OverrideAction::kAllow, "our relay"}, "t", 1));
  ASSERT_TRUE(ov->apply({"ip:198.51.100.1", reputation::OverrideAction::kBlock, "hijacked"}, "t", 2));
  ASSERT_TRUE(ov->apply({"ip:192.0.2.2", reputation::OverrideAction::kDelist, "fixed"}, "t", 3));
  (*lz)->flush();
  EXPECT_EQ(ask(port, "7.113.0.203.bl.example", 1).rcode, 3);
  EXPECT_EQ(ask(port, "8.113.0.203.bl.example", 1).a, Strings{"127.0.0.2"});
  EXPECT_EQ(ask(port, "7.113.0.203.wl.example", 1).a, Strings{"127.0.10.9"});
  EXPECT_EQ(ask(port, "7.113.0.203.wl.example", 16).txt, Strings{"allowed by hand: our relay"});
  EXPECT_EQ(ask(port, "1.100.51.198.wl.example", 1).rcode, 3);
  EXPECT_EQ(ask(port, "1.100.51.198.bl.example", 1).a, Strings{"127.0.0.2"});  // no manual code: the lowest
  EXPECT_EQ(ask(port, "1.100.51.198.bl.example", 16).txt, Strings{"listed by hand: hijacked"});
  EXPECT_EQ(ask(port, "2.2.0.192.bl.example", 1).rcode, 3);
  // A delist sticks against a new transition into a bad class.
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("ip:192.0.2.2", C::kSpammer)});
  (*lz)->flush();
  EXPECT_EQ(ask(port, "2.2.0.192.bl.example", 1).rcode, 3);
  // ... until cleared.
  ASSERT_TRUE(ov->apply({"ip:192.0.2.2", reputation::OverrideAction::kClear, "watch it"}, "t", 4));
  (*lz)->flush();
  EXPECT_EQ(ask(port, "2.2.0.192.bl.example", 1).a, Strings{"127.0.0.2"});
  const std::string text = metrics.render();
  EXPECT_NE(text.find("rampart_dnsbl_zone_entries{zone=\"bl.example\"} 4"), std::string::npos) << text;
  EXPECT_NE(text.find("rampart_dnsbl_zone_responses_total{zone=\"wl.example\",rcode=\"NXDOMAIN\"}"),
            std::string::npos);
}

// Networks wider than an IPv4 /8 (IPv6 /24) are listed: addresses in
// shards of their own and elsewhere, a hand delist inside, and the
// network's delisting (the shards under it are written again).
TEST(LiveZones, WideNetworks) {
  auto overrides = reputation::OverrideStore::open("");
  ASSERT_TRUE(overrides);
  std::shared_ptr<reputation::OverrideStore> ov = std::move(*overrides);
  auto lz = LiveZones::start(config(), ov, nullptr);
  ASSERT_TRUE(lz) << lz.error().message;
  const uint16_t port = (*lz)->ports()[0];
  using C = reputation::SenderClass;
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("ip:80.5.6.7", C::kCompromised),
                                                               change("ip:2a01:4f8::2", C::kCompromised)});
  (*lz)->flush();
  EXPECT_EQ(ask(port, "9.9.5.80.bl.example", 1).rcode, 3);
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("net:64.0.0.0/3", C::kSpammer),
                                                               change("net:2a00::/12", C::kSpammer)});
  ASSERT_TRUE(ov->apply({"ip:80.5.6.8", reputation::OverrideAction::kDelist, "ours"}, "t", 1));
  (*lz)->flush();
  EXPECT_EQ(ask(port, "3.2.1.70.bl.example", 1).a, Strings{"127.0.0.2"});
  EXPECT_EQ(ask(port, "3.2.1.70.bl.example", 16).txt, Strings{"spammer: R: why"});
  EXPECT_EQ(ask(port, "9.9.5.80.bl.example", 1).a, Strings{"127.0.0.2"});  // beside a listed address
  EXPECT_EQ(ask(port, "7.6.5.80.bl.example", 1).a, Strings{"127.0.0.3"});  // the longest prefix
  EXPECT_EQ(ask(port, "8.6.5.80.bl.example", 1).rcode, 3);                 // delisted by hand
  EXPECT_EQ(ask(port, "1.0.0.96.bl.example", 1).rcode, 3);
  const std::string v6 = IpAddress::parse("2a01:4f8::1")->reverse_name() + ".bl.example";
  EXPECT_EQ(ask(port, v6, 1).a, Strings{"127.0.0.2"});
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("net:64.0.0.0/3", C::kUnknown),
                                                               change("net:2a00::/12", C::kUnknown)});
  (*lz)->flush();
  EXPECT_EQ(ask(port, "3.2.1.70.bl.example", 1).rcode, 3);
  EXPECT_EQ(ask(port, "9.9.5.80.bl.example", 1).rcode, 3);
  EXPECT_EQ(ask(port, "7.6.5.80.bl.example", 1).a, Strings{"127.0.0.3"});
  EXPECT_EQ(ask(port, v6, 1).rcode, 3);
}

TEST(LiveZones, BoundedEntries) {
  auto c = config();
  c.max_entries = 2;
  Metrics metrics;
  auto lz = LiveZones::start(c, nullptr, &metrics);
  ASSERT_TRUE(lz) << lz.error().message;
  using C = reputation::SenderClass;
  (*lz)->class_listener()(std::vector<reputation::ClassChange>{change("ip:192.0.2.1", C::kSpammer),
                                                               change("ip:192.0.2.2", C::kSpammer),
                                                               change("ip:192.0.2.3", C::kSpammer)});
  (*lz)->flush();
  const uint16_t port = (*lz)->ports()[0];
  EXPECT_EQ(ask(port, "2.2.0.192.bl.example", 1).a, Strings{"127.0.0.2"});
  EXPECT_EQ(ask(port, "3.2.0.192.bl.example", 1).rcode, 3);
  EXPECT_NE(metrics.render().find("rampart_dnsbl_entries_dropped_total 1"), std::string::npos);
}

TEST(LiveZones, ConfigIsStrict) {
  auto errors = [](const std::string& text) {
    auto cfg = Config::parse(text, "rampart.toml");
    EXPECT_TRUE(cfg);
    auto c = LiveZonesConfig::from(*cfg);
    std::string all = c ? "" : c.error().message;
    if (auto st = cfg->finish(); !st) all += "\n" + st.error().message;
    return all;
  };
  EXPECT_EQ(errors("[dnsbl]\n"), "");  // off
  std::string e = errors(
      "[dnsbl]\nlisten = [\"127.0.0.1:0\"]\n[[dnsbl.zones]]\nname = \"bl.example\"\n"
      "codes = { spammer = \"127.0.0.2\", bulk = \"127.0.0.3\" }\n");
  EXPECT_NE(e.find("rampart.toml:5"), std::string::npos) << e;
  EXPECT_NE(e.find("no category \"bulk\" in a block list"), std::string::npos) << e;
  e = errors(
      "[dnsbl]\nlisten = [\"127.0.0.1:0\"]\n[[dnsbl.zones]]\nname = \"bl.example\"\ncodes = { spammer = "
      "\"x\" }\n");
  EXPECT_NE(e.find("is not an IPv4 return code"), std::string::npos) << e;
  e = errors(
      "[dnsbl]\nlisten = [\"127.0.0.1:0\"]\nlsiten = 1\n[[dnsbl.zones]]\nname = \"bl.example\"\n"
      "codes = { spammer = \"127.0.0.2\" }\nlist = \"deny\"\n");
  EXPECT_NE(e.find("lsiten"), std::string::npos) << e;
  EXPECT_NE(e.find("rampart.toml:7"), std::string::npos) << e;  // list = "deny"
  e = errors("[dnsbl]\nlisten = [\"127.0.0.1:0\"]\n");
  EXPECT_NE(e.find("no [[dnsbl.zones]]"), std::string::npos) << e;
  e = errors(
      "[dnsbl]\nlisten = [\"nowhere\"]\ntsig = [\"k:hmac-md5:c2VjcmV0\"]\n"
      "[[dnsbl.zones]]\nname = \"a.example\"\n[[dnsbl.zones]]\nname = \"a.example\"\ncodes = { bot = 4 }\n");
  EXPECT_NE(e.find("dnsbl.listen"), std::string::npos) << e;
  EXPECT_NE(e.find("dnsbl.tsig"), std::string::npos) << e;
  EXPECT_NE(e.find("codes (category"), std::string::npos) << e;
  EXPECT_NE(e.find("given twice"), std::string::npos) << e;
}

}  // namespace
}  // namespace rampart::server
