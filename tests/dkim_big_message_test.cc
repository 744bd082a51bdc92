// File: tests/dkim_big_message_test.cc
// Messages over policy.max_scan_bytes through the scan pipeline (issue 11):
// DKIM verifies the whole message when the scan holds it (the HTTP API), or
// from body hashes streamed over the whole body when the scan holds a cut
// prefix (the milter, which stops buffering at the cap: ScanState::
// body_hashes); DMARC never fails a message because DKIM was skipped (a cut
// message without streamed hashes). The sender's SPF fails, so DKIM is its only
// alignment: before this, a whole 90 KB DKIM-signed message was rejected
// under p=reject with DKIM_SKIPPED.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "dns/zone_resolver.h"
#include "mime/header.h"
#include "policy/policy.h"
#include "policy/throttle.h"

namespace rampart::policy {
namespace {

class BigMessage : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    dns_.add("signed.test", dkim::testing::txt_record("v=spf1 ip4:198.51.100.1 -all"));
    dns_.add("_dmarc.signed.test", dkim::testing::txt_record("v=DMARC1; p=reject"));
    dns_.add("s1._domainkey.signed.test", dkim::testing::txt_record(dkim::testing::key_record(key_)));
    cfg_.authserv_id = "mx.example.net";
    cfg_.max_scan_bytes = 16 * 1024;
    pipe_ = Pipeline::create(cfg_, dns_, clock_, std::make_shared<Throttle>(clock_));
  }
  std::string message(bool sign) {
    std::string m =
        "From: Alice <alice@signed.test>\r\nTo: bob@example.net\r\nSubject: big\r\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <big@signed.test>\r\n\r\n";
    for (int i = 0; i < 2000; ++i) m += "line " + std::to_string(i) + " of a message well over the cap\r\n";
    EXPECT_GT(m.size(), cfg_.max_scan_bytes * 3);
    if (!sign) return m;
    dkim::SignOptions o;
    o.domain = "signed.test";
    o.selector = "s1";
    auto f = dkim::sign(m, key_, o);
    EXPECT_TRUE(f);
    return *f + m;
  }
  // `cut`: as the milter holds it (the first max_scan_bytes), else whole
  // (HTTP). `streamed`: with the body hashes the milter computes past the cap.
  Verdict scan(const std::string& msg, bool cut, bool streamed = false) {
    auto s = std::make_shared<ScanState>();
    s->env.ip = *IpAddress::parse("192.0.2.9");  // outside the SPF record
    s->env.has_ip = true;
    s->env.helo = "mx.signed.test";
    s->env.mail_from = "alice@signed.test";
    s->env.rcpts = {"bob@example.net"};
    s->too_large = true;
    if (streamed) {
      const size_t body_at = msg.find("\r\n\r\n") + 4;
      std::vector<dkim::PrecomputedBodyHash> hashes;
      for (const auto& r : dkim::body_hash_requests(mime::HeaderSection::parse(msg.substr(0, body_at)))) {
        dkim::BodyHasher h(r.canon, r.hash, r.limit);
        for (size_t at = body_at; at < msg.size(); at += 4096)
          h.update(std::string_view(msg).substr(at, 4096));
        hashes.push_back({r, h.finish()});
      }
      s->body_hashes = std::move(hashes);
    }
    s->set_message(cut ? msg.substr(0, cfg_.max_scan_bytes) : msg);
    return pipe_->scan_sync(s);
  }
  static bool has(const Verdict& v, const std::string& sym) {
    for (const auto& s : v.symbols)
      if (s.name == sym) return true;
    return false;
  }

  dns::ZoneResolver dns_;
  FakeClock clock_;
  PolicyConfig cfg_;
  std::shared_ptr<Pipeline> pipe_;
  dkim::PrivateKey key_;
};

TEST_F(BigMessage, WholeMessageIsVerifiedAndDmarcPasses) {
  Verdict v = scan(message(true), /*cut=*/false);
  EXPECT_TRUE(has(v, "DKIM_PASS")) << v.x_rampart;
  EXPECT_FALSE(has(v, "DKIM_SKIPPED"));
  EXPECT_TRUE(has(v, "SPF_FAIL"));
  EXPECT_TRUE(has(v, "DMARC_PASS")) << v.x_rampart;
  EXPECT_NE(v.action, Action::kReject) << v.x_rampart;
  EXPECT_NE(v.authentication_results.find("dkim=pass"), std::string::npos) << v.authentication_results;
}

TEST_F(BigMessage, CutMessageSkipsDkimAndDmarcDoesNotReject) {
  Verdict v = scan(message(true), /*cut=*/true);
  EXPECT_TRUE(has(v, "DKIM_SKIPPED")) << v.x_rampart;
  EXPECT_TRUE(has(v, "DMARC_UNCHECKED")) << v.x_rampart;
  EXPECT_FALSE(has(v, "DMARC_FAIL_REJECT"));
  EXPECT_NE(v.action, Action::kReject) << v.x_rampart;
  EXPECT_EQ(v.authentication_results.find("dmarc=fail"), std::string::npos) << v.authentication_results;
}

TEST_F(BigMessage, CutMessageWithStreamedHashesIsVerified) {
  Verdict v = scan(message(true), /*cut=*/true, /*streamed=*/true);
  EXPECT_TRUE(has(v, "DKIM_PASS")) << v.x_rampart;
  EXPECT_FALSE(has(v, "DKIM_SKIPPED"));
  EXPECT_TRUE(has(v, "DMARC_PASS")) << v.x_rampart;
  EXPECT_NE(v.authentication_results.find("dkim=pass"), std::string::npos) << v.authentication_results;

  std::string m = message(true);
  m.replace(m.rfind("line 1999"), 9, "LINE 1999");  // past the cap: only the hashes see it
  v = scan(m, /*cut=*/true, /*streamed=*/true);
  EXPECT_TRUE(has(v, "DKIM_FAIL")) << v.x_rampart;
  EXPECT_TRUE(has(v, "DMARC_FAIL_REJECT")) << v.x_rampart;
  EXPECT_EQ(v.action, Action::kReject);
}

TEST_F(BigMessage, CutUnsignedSpoofIsStillRejected) {
  // No DKIM-Signature at all: DKIM being skipped changes nothing, p=reject holds.
  Verdict v = scan(message(false), /*cut=*/true);
  EXPECT_TRUE(has(v, "DMARC_FAIL_REJECT")) << v.x_rampart;
  EXPECT_EQ(v.action, Action::kReject);
}

TEST_F(BigMessage, WholeMessageWithBrokenSignatureStillFailsDmarc) {
  std::string m = message(true);
  m.replace(m.rfind("line 999"), 8, "LINE 999");  // body changed after signing
  Verdict v = scan(m, /*cut=*/false);
  EXPECT_TRUE(has(v, "DKIM_FAIL")) << v.x_rampart;
  EXPECT_TRUE(has(v, "DMARC_FAIL_REJECT")) << v.x_rampart;
  EXPECT_EQ(v.action, Action::kReject);
}

}  // namespace
}  // namespace rampart::policy
