// File: src/server/calls_api_test.cc
// POST /v1/calls: the request parser, the decision rule, and the service on
// its worker thread (patterns, STIR verdicts, an x5u that cannot be fetched).
#include "server/calls_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "channels/stir_testing.h"
#include "console/forms.h"

namespace rampart::server {
namespace {

namespace stir = channels::stir;
namespace calls = channels::calls;

CallRequest call(std::string from, std::string to, std::string identity = "", int64_t date = 0) {
  CallRequest r;
  r.from = std::move(from);
  r.to = std::move(to);
  r.identity = std::move(identity);
  r.date = date;
  return r;
}

TEST(CallsApi, ParsesRequests) {
  auto r = parse_call_request(
      R"({"from": "+12025550100", "to": "+12025550199", "identity": "", "date": "Mon, 07 Dec 2026 00:00:00 GMT",
          "source_ip": "192.0.2.1", "trunk": "carrier-a", "external": false, "call_id": "abc"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->from, "+12025550100");
  EXPECT_EQ(r->to, "+12025550199");
  EXPECT_EQ(r->date, 1796601600);
  EXPECT_EQ(r->trunk, "carrier-a");
  EXPECT_FALSE(r->external);
  auto unix = parse_call_request(R"({"from": "1", "to": "2", "date": 1796601600})");
  ASSERT_TRUE(unix);
  EXPECT_EQ(unix->date, 1796601600);
  EXPECT_TRUE(unix->external);
  auto empty_date = parse_call_request(R"({"from": "1", "to": "2", "date": ""})");
  ASSERT_TRUE(empty_date);
  EXPECT_EQ(empty_date->date, 0);

  for (const char* bad :
       {"", "[]", "{", R"({"to": "2"})", R"({"from": "1"})", R"({"from": 1, "to": "2"})",
        R"({"from": "", "to": "2"})", R"({"from": "1", "to": "2", "x": 1})",
        R"({"from": "1", "to": "2", "external": "yes"})", R"({"from": "1", "to": "2", "date": "yesterday"})",
        R"({"from": "1", "to": "2", "date": -5})"})
    EXPECT_FALSE(parse_call_request(bad)) << bad;
  std::string big = R"({"from": "1", "to": "2", "identity": ")" + std::string(20000, 'a') + "\"}";
  EXPECT_FALSE(parse_call_request(big));
}

// Kamailio's form body: every value percent-encoded (its {s.urlencode.param}
// keeps only ALPHA DIGIT - . _ ~), so nothing a SIP header can hold breaks
// the fields apart; decoded back byte for byte.
TEST(CallsApi, ParsesFormRequests) {
  static const char kHostile[] = "a\"b\\c'd&e=f%g+h<i>{j}\t\x01\x1f\x7f \xc3\xa9\0z;";
  const std::string hostile(kHostile, sizeof kHostile - 1);
  std::string enc;
  console::form_encode(hostile, enc);
  EXPECT_EQ(enc.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  auto r = parse_call_request_form("from=%2B12025550100&to=%2B12025550199&identity=" + enc +
                                   "&date=Mon%2C%2007%20Dec%202026%2000%3A00%3A00%20GMT&source_ip=192.0.2.1"
                                   "&trunk=carrier-a&external=false&call_id=" +
                                   enc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->from, "+12025550100");
  EXPECT_EQ(r->to, "+12025550199");
  EXPECT_EQ(r->identity, hostile);
  EXPECT_EQ(r->call_id, hostile);
  EXPECT_EQ(r->date, 1796601600);
  EXPECT_EQ(r->source_ip, "192.0.2.1");
  EXPECT_EQ(r->trunk, "carrier-a");
  EXPECT_FALSE(r->external);
  // Empty values are absent ones (Kamailio's null header): no Identity, now.
  auto bare = parse_call_request_form("from=1&to=2&identity=&date=&external=");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->identity, "");
  EXPECT_EQ(bare->date, 0);
  EXPECT_TRUE(bare->external);
  auto unix = parse_call_request_form("date=1796601600&from=1&to=2");
  ASSERT_TRUE(unix);
  EXPECT_EQ(unix->date, 1796601600);
  for (const char* bad : {"", "to=2", "from=1", "from=&to=2", "from=1&to=2&x=1", "from=1&to=2&external=yes",
                          "from=1&to=2&date=yesterday", "from=1&to=2&date=0", "from=1&to=2&from=3",
                          "from=%zz&to=2", "from=1&to=2%"})
    EXPECT_FALSE(parse_call_request_form(bad)) << bad;
  EXPECT_FALSE(parse_call_request_form("from=1&to=2&identity=" + std::string(20000, 'a')));
}

TEST(CallsApi, ParsesFormCallEnds) {
  auto e = parse_call_end_form("call_id=a%40b%22%27&answered=true&duration=3&status=200");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->call_id, "a@b\"'");
  EXPECT_TRUE(e->answered);
  EXPECT_EQ(e->duration_s, 3);
  auto failed = parse_call_end_form("call_id=x&answered=false");
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->answered);
  auto busy = parse_call_end_form("call_id=x&status=486&duration=9");
  ASSERT_TRUE(busy);
  EXPECT_FALSE(busy->answered);
  EXPECT_EQ(busy->duration_s, 0);
  for (const char* bad : {"", "call_id=", "answered=true", "call_id=x&duration=-1", "call_id=x&status=99",
                          "call_id=x&status=700", "call_id=x&answered=yes", "call_id=x&other=1",
                          "call_id=x&duration=1.5", "call_id=x&call_id=y"})
    EXPECT_FALSE(parse_call_end_form(bad)) << bad;
  EXPECT_FALSE(parse_call_end_form("call_id=" + std::string(5000, 'x')));
}

// The form answer: fields in a fixed order, each value percent-encoded,
// read back by a form parser as the JSON answer reads.
TEST(CallsApi, FormAnswer) {
  CallAnswer a;
  a.action = "tag";
  a.code = 0;
  a.verstat = stir::Verstat::kFailed;
  a.display_prefix = "Spam? ";
  a.reason = "caller:+1313: 40 calls & \"more\"";
  a.reasons = {"one=1", "two"};
  EXPECT_EQ(a.to_form(),
            "action=tag&code=0&verstat=TN-Validation-Failed&display_prefix=Spam%3F%20"
            "&reason=caller%3A%2B1313%3A%2040%20calls%20%26%20%22more%22&reasons=one%3D1&reasons=two");
  a.attest = 'A';
  auto f = console::parse_form(a.to_form());
  ASSERT_TRUE(f);
  EXPECT_EQ(*console::find_field(*f, "attest"), "A");
  EXPECT_EQ(*console::find_field(*f, "display_prefix"), "Spam? ");
  EXPECT_EQ(*console::find_field(*f, "reason"), a.reason);
  // No empty value anywhere: an allow without an Identity is three fields.
  CallAnswer allow;
  allow.action = "allow";
  EXPECT_EQ(allow.to_form(), "action=allow&code=0&verstat=No-TN-Validation");
}

// The three STIR verdicts a call can come with: passed (attestation A),
// failed (438, `why`) and none (428).
struct StirVerdicts {
  stir::Verdict passed, failed, none;
};
StirVerdicts stir_verdicts(const char* why) {
  StirVerdicts v;
  v.passed.verstat = stir::Verstat::kPassed;
  v.passed.attest = 'A';
  v.failed.verstat = stir::Verstat::kFailed;
  v.failed.sip_status = 438;
  v.failed.reason = why;
  v.none.verstat = stir::Verstat::kNoValidation;
  v.none.sip_status = 428;
  return v;
}

TEST(CallsApi, DecisionRule) {
  CallsConfig cfg;
  const auto [passed, failed, none] = stir_verdicts("bad signature");
  calls::Assessment allow;
  calls::Assessment tag{calls::Action::kTag, {"caller:+12025550100: 12 distinct callees in 60 s"}};
  calls::Assessment pattern{calls::Action::kBlock, {"caller:+12025550100: 31 distinct callees in 60 s"}};
  calls::Assessment spoofed{calls::Action::kBlock, {"caller ID is the callee's own number"}};

  auto a = decide_call(allow, passed, cfg);
  EXPECT_EQ(a.action, "allow");
  EXPECT_EQ(a.code, 0);
  EXPECT_EQ(a.display_prefix, "");
  EXPECT_EQ(a.attest, 'A');
  EXPECT_EQ(decide_call(allow, none, cfg).action, "allow");

  auto f = decide_call(allow, failed, cfg);
  EXPECT_EQ(f.action, "tag");
  EXPECT_EQ(f.display_prefix, "Spam? ");
  EXPECT_EQ(f.verstat, stir::Verstat::kFailed);
  cfg.reject_failed = true;
  auto rj = decide_call(allow, failed, cfg);
  EXPECT_EQ(rj.action, "reject");
  EXPECT_EQ(rj.code, 438);
  cfg.reject_failed = false;

  auto t = decide_call(tag, passed, cfg);
  EXPECT_EQ(t.action, "tag");
  EXPECT_EQ(t.verstat, stir::Verstat::kPassed);  // a valid signature does not clear a pattern
  auto b = decide_call(pattern, passed, cfg);
  EXPECT_EQ(b.action, "block");
  EXPECT_EQ(b.code, 607);
  auto s = decide_call(spoofed, none, cfg);
  EXPECT_EQ(s.action, "block");
  EXPECT_EQ(s.code, 603);
  // Toll fraud by our own caller: declined (603), not "unwanted" (607).
  calls::Assessment toll{
      calls::Action::kBlock,
      {"caller:+442071230000: toll fraud: 20 international callees in 600 s, 100% of its calls"}};
  auto tf = decide_call(toll, none, cfg);
  EXPECT_EQ(tf.action, "block");
  EXPECT_EQ(tf.code, 603);

  auto j = nlohmann::json::parse(b.to_json());
  EXPECT_EQ(j["action"], "block");
  EXPECT_EQ(j["code"], 607);
  EXPECT_EQ(j["verstat"], "TN-Validation-Passed");
  EXPECT_EQ(j["attest"], "A");
  EXPECT_EQ(j["reasons"].size(), 1u);
  EXPECT_TRUE(nlohmann::json::parse(decide_call(allow, none, cfg).to_json())["attest"].is_null());
}

// A caller ID that looks spoofed (our own range from outside, a neighbour
// wave): a tag on the CDR alone; refused (603) when its Identity failed, or
// when none came over an interconnect where every call carries one; a valid
// Identity (a number ported out, signed by its new provider) keeps it a tag.
// A normal caller with a failed or missing Identity is never refused.
TEST(CallsApi, SpoofedCallerIdWithFailedOrMissingIdentityIsRefused) {
  CallsConfig cfg;
  const auto [passed, failed, none] = stir_verdicts("signature does not verify");
  calls::Assessment own{calls::Action::kTag,
                        {"caller ID in the provider's own range 1202555 arriving from outside"},
                        /*spoofed=*/true};
  calls::Assessment normal;
  auto f = decide_call(own, failed, cfg);
  EXPECT_EQ(f.action, "block");
  EXPECT_EQ(f.code, 603);
  EXPECT_NE(f.reason.find("Identity failed (signature does not verify)"), std::string::npos) << f.reason;
  EXPECT_EQ(f.verstat, stir::Verstat::kFailed);
  EXPECT_EQ(decide_call(own, none, cfg).action, "tag");  // no Identity expected: a sign only
  auto m = decide_call(own, none, cfg, /*identity_expected=*/true);
  EXPECT_EQ(m.action, "block");
  EXPECT_EQ(m.code, 603);
  auto p = decide_call(own, passed, cfg, true);
  EXPECT_EQ(p.action, "tag");  // a valid signature: ported out, not proof of a spoof
  EXPECT_EQ(p.display_prefix, "Spam? ");
  cfg.reject_failed = true;  // stir_failed = "reject" does not soften it
  EXPECT_EQ(decide_call(own, failed, cfg).code, 603);
  EXPECT_EQ(decide_call(normal, failed, cfg).code, 438);
  cfg.reject_failed = false;
  EXPECT_EQ(decide_call(normal, failed, cfg, true).action, "tag");
  EXPECT_EQ(decide_call(normal, none, cfg, true).action, "allow");
  // Which interconnects expect an Identity.
  cfg.stir_expected_trunks = {"carrier-a"};
  EXPECT_TRUE(cfg.expects_identity("carrier-a", true));
  EXPECT_FALSE(cfg.expects_identity("carrier-b", true));
  EXPECT_FALSE(cfg.expects_identity("carrier-a", false));  // our own subscribers' calls
  cfg.stir_expected_trunks = {"*"};
  EXPECT_TRUE(cfg.expects_identity("", true));
  // The patterns mark such calls: own range from outside, not from inside.
  calls::Options o;
  o.own_ranges = {"1202555"};
  calls::CallPatterns pat(o);
  calls::Call c;
  c.time = 1796601600;
  c.caller = "+12025550123";
  c.callee = "+13125550100";
  EXPECT_TRUE(pat.on_invite(c).spoofed);
  c.external = false;
  EXPECT_FALSE(pat.on_invite(c).spoofed);
  c.external = true;
  c.caller = "+14155550123";
  EXPECT_FALSE(pat.on_invite(c).spoofed);
}

TEST(CallsApi, ConfigIsStrict) {
  auto ok =
      Config::parse("[calls]\nenabled = true\ntrust_anchors = \"/x.pem\"\nown_ranges = [\"+1 202 555\"]\n");
  ASSERT_TRUE(ok);
  auto c = CallsConfig::from(*ok);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->own_ranges, std::vector<std::string>{"1202555"});
  EXPECT_EQ(c->toll_tag_destinations, 10u);
  EXPECT_EQ(c->toll_block_destinations, 20u);
  EXPECT_EQ(c->toll_bar_s, 86400);
  EXPECT_EQ(c->thresholds.tdos_calls, 100u);
  EXPECT_EQ(c->thresholds.invalid_cli_source_min, 10u);
  // The pattern thresholds are [calls] keys.
  auto tuned = Config::parse(
      "[calls]\ntdos_calls = 50\ntdos_source_min = 5\ninvalid_cli_source_share = 0.2\nwangiri_callees = 12\n"
      "conversation_s = 45\nneighbour_free_digits = 4\n");
  ASSERT_TRUE(tuned);
  auto t = CallsConfig::from(*tuned);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->thresholds.tdos_calls, 50u);
  EXPECT_EQ(t->thresholds.tdos_source_min, 5u);
  EXPECT_DOUBLE_EQ(t->thresholds.invalid_cli_source_share, 0.2);
  EXPECT_EQ(t->thresholds.wangiri_callees, 12u);
  EXPECT_EQ(t->thresholds.conversation_s, 45);
  EXPECT_EQ(t->thresholds.neighbour_free_digits, 4u);
  auto st = Config::parse("[calls]\nstir_expected_trunks = [\"carrier-a\", \"*\"]\n");
  ASSERT_TRUE(st);
  auto sc = CallsConfig::from(*st);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(sc->stir_expected_trunks, (std::vector<std::string>{"carrier-a", "*"}));
  for (const char* bad :
       {"[calls]\nenabled = true\n", "[calls]\nstir_failed = \"drop\"\n", "[calls]\nown_ranges = [\"abc\"]\n",
        "[calls]\nx5u_timeout_ms = 0\n", "[calls]\ntoll_tag_destinations = 30\n",
        "[calls]\ntoll_share = 1.5\n", "[calls]\nutc_offset_min = 5000\n", "[calls]\ntdos_calls = 1\n",
        "[calls]\nwangiri_asr = 2\n", "[calls]\nneighbour_free_digits = 0\n",
        "[calls]\nstir_expected_trunks = [\"\"]\n"}) {
    auto cfg = Config::parse(bad);
    ASSERT_TRUE(cfg);
    EXPECT_FALSE(CallsConfig::from(*cfg)) << bad;
  }
}

class CallsService : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/rampart-calls-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    path_ = name;
    const std::string pem = stir::testing_pki::pem_of(pki_.ca);
    ASSERT_EQ(write(fd, pem.data(), pem.size()), static_cast<ssize_t>(pem.size()));
    close(fd);
    CallsConfig cfg;
    cfg.enabled = true;
    cfg.trust_anchors = path_;
    cfg.x5u_timeout_ms = 2000;
    cfg.own_ranges = {"1999555"};
    cfg.state_file = path_ + ".state";
    cfg_ = cfg;
    auto s = CallService::start(cfg, nullptr);
    ASSERT_TRUE(s) << s.error().message;
    svc_ = std::move(*s);
  }
  void TearDown() override {
    svc_.reset();
    std::remove(path_.c_str());
    std::remove(cfg_.state_file.c_str());
  }
  void restart() {
    svc_.reset();  // writes the state
    auto s = CallService::start(cfg_, nullptr);
    ASSERT_TRUE(s) << s.error().message;
    svc_ = std::move(*s);
  }
  bool end(CallEnd e) {
    auto p = std::make_shared<std::promise<bool>>();
    auto f = p->get_future();
    EXPECT_TRUE(svc_->end(std::move(e), [p](bool found) { p->set_value(found); }));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }
  std::string incidents() {
    auto p = std::make_shared<std::promise<std::string>>();
    auto f = p->get_future();
    EXPECT_TRUE(svc_->incidents(100, [p](std::string j) { p->set_value(std::move(j)); }));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }
  CallsConfig cfg_;
  CallAnswer ask(CallRequest r) {
    auto p = std::make_shared<std::promise<CallAnswer>>();
    auto f = p->get_future();
    EXPECT_TRUE(svc_->assess(std::move(r), [p](CallAnswer a) { p->set_value(std::move(a)); }));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }
  stir::testing_pki::Pki pki_;
  std::string path_;
  std::unique_ptr<CallService> svc_;
};

TEST_F(CallsService, PatternsAndIdentities) {
  // An honest caller: no Identity, a few callees.
  for (int i = 0; i < 3; ++i) {
    auto a = ask(call("+12025550100", "+1202555020" + std::to_string(i)));
    EXPECT_EQ(a.action, "allow");
    EXPECT_EQ(a.verstat, stir::Verstat::kNoValidation);
  }
  // Caller IDs that are not callers: 603.
  EXPECT_EQ(ask(call("+12025550300", "+12025550300")).code, 603);
  EXPECT_EQ(ask(call("+19995550001", "+12025550300")).action, "tag");  // own range from outside
  EXPECT_EQ(ask(call("anonymous", "+12025550300")).action, "allow");   // withheld: not judged
  EXPECT_EQ(ask(call("12", "+12025550300")).code, 603);
  // A garbled Identity: 438, tagged.
  auto g = ask(call("+12025550111", "+12025550199", "abc..def;info=<https://x/>"));
  EXPECT_EQ(g.action, "tag");
  EXPECT_EQ(g.verstat, stir::Verstat::kFailed);
  EXPECT_EQ(g.display_prefix, "Spam? ");
  // A well-formed signature whose x5u cannot be fetched (nothing listens on
  // port 1): 436 within the deadline, tagged; the worker is not held up.
  auto key = stir::load_signing_key(stir::testing_pki::key_pem(pki_.sp_key));
  ASSERT_TRUE(key);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  auto id = stir::sign(*key, {.x5u = "https://127.0.0.1:1/sp.pem",
                              .attest = 'A',
                              .orig = "12025550122",
                              .dest = {"12025550199"},
                              .origid = "",
                              .iat = now});
  ASSERT_TRUE(id);
  auto x = ask(call("+12025550122", "+12025550199", *id, now));
  EXPECT_EQ(x.action, "tag");
  EXPECT_EQ(x.verstat, stir::Verstat::kFailed);
  EXPECT_NE(x.reasons.back().find("identity:"), std::string::npos);
  // A robocaller dialling sequentially: let through at first, then blocked 607.
  int first_block = -1;
  for (int i = 0; i < 60; ++i) {
    auto a = ask(call("+13135550100", "+1202556" + std::to_string(1000 + i), "", now));
    if (a.action == "block" && first_block < 0) {
      first_block = i;
      EXPECT_EQ(a.code, 607);
    }
    if (first_block >= 0) {
      EXPECT_EQ(a.action, "block") << i;
    }
  }
  EXPECT_GT(first_block, 3);
  EXPECT_LE(first_block, 30);
  // The honest caller is still let through.
  EXPECT_EQ(ask(call("+12025550100", "+12025550209")).action, "allow");

  // The incidents: the robocaller blocked with its reasons, the honest caller absent.
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  ASSERT_TRUE(svc_->incidents(100, [p](std::string j) { p->set_value(std::move(j)); }));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto j = nlohmann::json::parse(f.get());
  bool robot = false;
  for (const auto& i : j["incidents"]) {
    EXPECT_NE(i["key"], "caller:+12025550100");
    if (i["key"] == "caller:+13135550100") {
      robot = true;
      EXPECT_EQ(i["action"], "block");
      EXPECT_EQ(i["attempts"], 60);
      EXPECT_FALSE(i["reasons"].empty());
    }
  }
  EXPECT_TRUE(robot) << j.dump();
  auto p1 = std::make_shared<std::promise<std::string>>();
  auto f1 = p1->get_future();
  ASSERT_TRUE(svc_->incidents(1, [p1](std::string s) { p1->set_value(std::move(s)); }));
  ASSERT_EQ(f1.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(nlohmann::json::parse(f1.get())["incidents"].size(), 1u);
}

TEST(CallsApi, ParsesCallEnds) {
  auto e = parse_call_end(R"({"call_id": "a@b", "answered": true, "duration": 3, "status": 200})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->call_id, "a@b");
  EXPECT_TRUE(e->answered);
  EXPECT_EQ(e->duration_s, 3);
  auto busy = parse_call_end(R"({"call_id": "x", "status": 486, "duration": 9})");
  ASSERT_TRUE(busy);
  EXPECT_FALSE(busy->answered);  // from the status; an unanswered call lasted nothing
  EXPECT_EQ(busy->duration_s, 0);
  auto dur = parse_call_end(R"({"call_id": "x", "duration": 4})");
  ASSERT_TRUE(dur);
  EXPECT_TRUE(dur->answered);
  for (const char* bad : {"", "[]", "{}", R"({"call_id": ""})", R"({"call_id": 5})",
                          R"({"call_id": "x", "duration": -1})", R"({"call_id": "x", "status": 99})",
                          R"({"call_id": "x", "status": 700})", R"({"call_id": "x", "answered": 1})",
                          R"({"call_id": "x", "other": 1})", R"({"call_id": "x", "duration": 1.5})"})
    EXPECT_FALSE(parse_call_end(bad)) << bad;
  EXPECT_FALSE(parse_call_end(R"({"call_id": ")" + std::string(5000, 'x') + "\"}"));
}

TEST_F(CallsService, CallEndsFeedTheShortCallRatio) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  // A caller whose calls are answered and hung up within 2 s: tagged once
  // five ended calls show it; the same calls lasting 90 s are not.
  std::vector<std::string> actions;
  for (int i = 0; i < 8; ++i) {
    CallRequest r = call("+13135550177", "+1202556" + std::to_string(1000 + i * 37), "", now + i * 10);
    r.call_id = "short-" + std::to_string(i);
    actions.push_back(ask(r).action);
    EXPECT_TRUE(end({.call_id = r.call_id, .answered = true, .duration_s = 2, .status = 200}));
    CallRequest n = call("+12025550142", "+1202557" + std::to_string(1000 + i * 37), "", now + i * 10);
    n.call_id = "long-" + std::to_string(i);
    EXPECT_EQ(ask(n).action, "allow") << i;
    EXPECT_TRUE(end({.call_id = n.call_id, .answered = true, .duration_s = 90, .status = 200}));
  }
  EXPECT_EQ(actions[4], "allow");  // four ended calls: no ratio yet
  EXPECT_EQ(actions[5], "tag");
  EXPECT_EQ(actions[7], "tag");
  EXPECT_NE(incidents().find("short calls"), std::string::npos);
  EXPECT_FALSE(end({.call_id = "never-asked", .answered = true, .duration_s = 1, .status = 200}));
  EXPECT_FALSE(
      end({.call_id = "short-0", .answered = true, .duration_s = 1, .status = 200}));  // ended already
}

TEST_F(CallsService, AnswersAtOnceAndFromManyThreads) {
  // A call with nothing to fetch is answered on the calling thread, before
  // assess returns (no hand-off to the worker and back); so is a call's end.
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  std::string action;
  CallRequest r = call("+12025550100", "+12025550201");
  r.call_id = "at-once";
  ASSERT_TRUE(svc_->assess(r, [&](CallAnswer a) {
    ran_on = std::this_thread::get_id();
    action = a.action;
  }));
  EXPECT_EQ(ran_on, caller);
  EXPECT_EQ(action, "allow");
  std::optional<bool> found;
  ASSERT_TRUE(svc_->end({.call_id = "at-once", .answered = true, .duration_s = 30, .status = 200},
                        [&](bool f) { found = f; }));
  EXPECT_EQ(found, std::optional<bool>(true));
  // Four threads (as four HTTP loops) share the patterns: every attempt of
  // the sequential dialler counts once, and it is blocked as from one thread.
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::atomic<int> blocked{0};
  std::vector<std::thread> loops;
  for (int t = 0; t < 4; ++t)
    loops.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i)
        if (ask(call("+13135550100", "+1202556" + std::to_string(1000 + t * 25 + i), "", now)).action ==
            "block")
          ++blocked;
    });
  for (auto& l : loops) l.join();
  EXPECT_GE(blocked.load(), 50);
  auto j = nlohmann::json::parse(incidents());
  bool robot = false;
  for (const auto& i : j["incidents"])
    if (i["key"] == "caller:+13135550100") {
      robot = true;
      EXPECT_EQ(i["attempts"], 100);
    }
  EXPECT_TRUE(robot) << j.dump();
}

TEST_F(CallsService, StateSurvivesARestart) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  int first_block = -1;
  for (int i = 0; i < 40; ++i)
    if (ask(call("+13135550100", "+1202556" + std::to_string(1000 + i * 37), "", now)).action == "block" &&
        first_block < 0)
      first_block = i;
  ASSERT_GE(first_block, 0);
  restart();
  // The robocaller's next call is blocked at once; an honest caller's is not.
  auto a = ask(call("+13135550100", "+12025569999", "", now + 1));
  EXPECT_EQ(a.action, "block");
  EXPECT_EQ(a.code, 607);
  EXPECT_EQ(ask(call("+12025550100", "+12025550201", "", now + 1)).action, "allow");
  auto j = nlohmann::json::parse(incidents());
  ASSERT_FALSE(j["incidents"].empty());
  EXPECT_EQ(j["incidents"][0]["key"], "caller:+13135550100");
  EXPECT_EQ(j["incidents"][0]["attempts"], 41);
  // Without the file the patterns start empty: the same call goes through.
  std::remove(cfg_.state_file.c_str());
  cfg_.state_file.clear();
  restart();
  EXPECT_EQ(ask(call("+13135550100", "+12025569998", "", now + 2)).action, "allow");
}

TEST(CallsApiStart, MissingAnchorsIsAConfigError) {
  CallsConfig cfg;
  cfg.enabled = true;
  cfg.trust_anchors = "/nonexistent/anchors.pem";
  auto s = CallService::start(cfg, nullptr);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::kConfig);
}

}  // namespace
}  // namespace rampart::server
