// Sender ID over spf::Evaluator with a small in-test TXT resolver.
#include "auth/senderid/senderid.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rampart::senderid {
namespace {

// TXT-only fake: names in `txt` answer kOk, `fail` names answer kServFail,
// anything else kNxDomain. With `deferred`, callbacks run from process().
class TxtResolver : public dns::Resolver {
 public:
  std::map<std::string, std::vector<std::string>> txt;
  std::map<std::string, bool> fail;
  bool deferred = false;

  void resolve(std::string_view name, dns::RRType type, Callback cb) override {
    auto a = std::make_shared<dns::Answer>();
    std::string n = to_lower_copy(name);
    if (fail.count(n)) {
      a->status = dns::Status::kServFail;
    } else if (auto it = txt.find(n); it != txt.end()) {
      if (type == dns::RRType::TXT) {
        a->status = dns::Status::kOk;
        for (const auto& t : it->second) {
          dns::Record r;
          r.type = dns::RRType::TXT;
          r.data = dns::Txt{{t}};
          a->records.push_back(r);
        }
      } else {
        a->status = dns::Status::kNoData;
      }
    } else {
      a->status = dns::Status::kNxDomain;
    }
    if (deferred) {
      queue_.push_back([cb, a] { cb(a); });
    } else {
      cb(a);
    }
  }
  void process() override {
    auto q = std::move(queue_);
    queue_.clear();
    for (auto& f : q) f();
  }
  size_t pending() const override { return queue_.size(); }

 private:
  static std::string to_lower_copy(std::string_view s) {
    std::string o(s);
    for (auto& c : o)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return o;
  }
  std::vector<std::function<void()>> queue_;
};

Request req(const char* ip, Scope scope, const char* mail_from = "bounce@list.example") {
  Request r;
  r.ip = *IpAddress::parse(ip);
  r.scope = scope;
  r.mail_from = mail_from;
  r.helo = "mx.list.example";
  return r;
}

class SenderIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dns.txt["example.com"] = {"spf2.0/pra ip4:192.0.2.0/24 -all", "v=spf1 -all"};
    dns.txt["list.example"] = {"spf2.0/mfrom ip4:198.51.100.0/24 -all"};
    dns.txt["spf1only.example"] = {"v=spf1 ip4:203.0.113.7 -all"};
  }
  TxtResolver dns;
};

TEST_F(SenderIdTest, PraPass) {
  Checker sid(dns);
  auto out = sid.check_message_sync(req("192.0.2.10", Scope::kPra),
                                    "From: Alice <alice@Example.COM>\r\nTo: b@x\r\n\r\nhi\r\n");
  EXPECT_EQ(spf::verdict_name(out.spf.result), "pass") << out.reason;
  ASSERT_TRUE(out.pra);
  EXPECT_EQ(*out.pra, "alice@example.com");
  EXPECT_EQ(out.pra_source, PraSource::kFrom);
  EXPECT_EQ(out.scope, Scope::kPra);
}

TEST_F(SenderIdTest, PraFromSenderPassAndFail) {
  Checker sid(dns);
  auto out = sid.check_message_sync(req("192.0.2.200", Scope::kPra, ""),
                                    "Sender: s@example.com\r\nFrom: a@elsewhere.example\r\n\r\n");
  EXPECT_EQ(out.pra.value_or(""), "s@example.com");
  EXPECT_EQ(out.pra_source, PraSource::kSender);
  // 192.0.2.200 is inside 192.0.2.0/24: pass; a foreign address fails.
  EXPECT_EQ(spf::verdict_name(out.spf.result), "pass") << out.reason;
  auto out2 = sid.check_message_sync(req("10.1.2.3", Scope::kPra, ""),
                                     "Sender: s@example.com\r\nFrom: a@elsewhere.example\r\n\r\n");
  EXPECT_EQ(spf::verdict_name(out2.spf.result), "fail") << out2.reason;
}

TEST_F(SenderIdTest, PraFallsBackToSpf1Record) {
  // RFC 4406 section 3.4: without an spf2.0 record, v=spf1 serves both scopes.
  Checker sid(dns);
  auto out = sid.check_message_sync(req("203.0.113.7", Scope::kPra), "From: x@spf1only.example\r\n\r\n");
  EXPECT_EQ(spf::verdict_name(out.spf.result), "pass") << out.reason;
}

TEST_F(SenderIdTest, NoPraIsPermerror) {
  Checker sid(dns);
  auto out =
      sid.check_message_sync(req("192.0.2.10", Scope::kPra), "From: a@example.com, b@example.com\r\n\r\n");
  EXPECT_EQ(spf::verdict_name(out.spf.result), "permerror");
  EXPECT_FALSE(out.pra);
  EXPECT_NE(out.reason.find("RFC 4407 section 2"), std::string::npos) << out.reason;
  // No DNS is needed to decide that.
  dns.fail["example.com"] = true;
  auto out2 = sid.check_message_sync(req("192.0.2.10", Scope::kPra), "To: x@y.example\r\n\r\n");
  EXPECT_EQ(spf::verdict_name(out2.spf.result), "permerror");
}

TEST_F(SenderIdTest, MfromScope) {
  Checker sid(dns);
  const char* msg = "From: alice@example.com\r\n\r\n";
  auto out = sid.check_message_sync(req("198.51.100.9", Scope::kMfrom), msg);
  EXPECT_EQ(spf::verdict_name(out.spf.result), "pass") << out.reason;
  EXPECT_FALSE(out.pra);
  EXPECT_EQ(out.scope, Scope::kMfrom);
  auto out2 = sid.check_message_sync(req("192.0.2.10", Scope::kMfrom), msg);
  EXPECT_EQ(spf::verdict_name(out2.spf.result), "fail") << out2.reason;
}

TEST_F(SenderIdTest, DnsFailureIsTemperror) {
  dns.fail["example.com"] = true;
  Checker sid(dns);
  auto out = sid.check_message_sync(req("192.0.2.10", Scope::kPra), "From: a@example.com\r\n\r\n");
  EXPECT_EQ(spf::verdict_name(out.spf.result), "temperror") << out.reason;
  EXPECT_EQ(out.pra.value_or(""), "a@example.com");
}

TEST_F(SenderIdTest, AsyncCallbackRunsOnce) {
  dns.deferred = true;
  Checker sid(dns);
  std::string msg = "From: a@example.com\r\n\r\n";
  auto headers = mime::HeaderSection::parse(msg);
  int calls = 0;
  Outcome got;
  sid.check(req("192.0.2.10", Scope::kPra), headers, [&](Outcome o) {
    ++calls;
    got = std::move(o);
  });
  for (int i = 0; i < 100 && calls == 0; ++i) dns.process();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(spf::verdict_name(got.spf.result), "pass") << got.reason;
}

TEST(Scope, Parse) {
  EXPECT_EQ(*parse_scope("pra"), Scope::kPra);
  EXPECT_EQ(*parse_scope("MFROM"), Scope::kMfrom);
  EXPECT_FALSE(parse_scope("helo"));
  EXPECT_EQ(scope_name(Scope::kMfrom), "mfrom");
}

}  // namespace
}  // namespace rampart::senderid
