// File: src/console/console_test.cc
// The console's pieces: forms and cookies, the account store (Argon2id),
// sessions, the CSRF check, the login limiter, the metrics history, and the
// handler's refusals (401, 403, CSRF, rate limit) without a server.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "console/console.h"
#include "console/forms.h"
#include "core/executor.h"
#include "core/log.h"
#include "policy/policy.h"

namespace rampart::console {
namespace {

using namespace std::chrono_literals;
using server::HttpReply;
using server::HttpRequest;

TEST(Forms, DecodesFieldsAndEscapes) {
  auto f = parse_form("user=ann&password=p%40ss+word&empty=&flag");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ(*find_field(*f, "user"), "ann");
  EXPECT_EQ(*find_field(*f, "password"), "p@ss word");
  EXPECT_EQ(*find_field(*f, "empty"), "");
  EXPECT_EQ(*find_field(*f, "flag"), "");
  EXPECT_EQ(find_field(*f, "nope"), nullptr);
}

// Every byte but the unreserved ones escaped (a space as %20, never '+'), and
// every one of the 256 comes back through the decoder.
TEST(Forms, EncodesEveryByteButUnreserved) {
  std::string out;
  form_encode("a-b._~Z9 +&=%\"'\\", out);
  EXPECT_EQ(out, "a-b._~Z9%20%2B%26%3D%25%22%27%5C");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string enc;
  form_encode(all, enc);
  EXPECT_EQ(enc.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  auto back = form_decode(enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, all);
}

TEST(Forms, RefusesBadEscapesAndTooManyFields) {
  EXPECT_FALSE(parse_form("a=%4"));
  EXPECT_FALSE(parse_form("a=%zz"));
  EXPECT_FALSE(parse_form("a=%"));
  std::string many;
  for (size_t i = 0; i <= kMaxFields; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_FALSE(parse_form(many));
  auto q = parse_query("/api/senders?q=example.com&range=day#frag");
  ASSERT_TRUE(q);
  EXPECT_EQ(*find_field(*q, "q"), "example.com");
  EXPECT_EQ(*find_field(*q, "range"), "day");
}

TEST(Forms, CookieHeader) {
  auto c = parse_cookie_header(" theme=dark;rampart_session=abc ; junk; q=\"quoted\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(*find_field(*c, "rampart_session"), "abc");
  EXPECT_EQ(*find_field(*c, "q"), "quoted");
  EXPECT_EQ(find_field(*c, "junk"), nullptr);
}

std::string temp_dir() {
  char tmpl[] = "/tmp/rampart-console-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

TEST(Accounts, HashVerifySaveLoad) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/users";
  auto store = AccountStore::load(path);  // absent file: empty
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->accounts().empty());
  store->set_hash_cost(minimum_cost());
  ASSERT_TRUE(store->add("ann", Role::kOperator, "correct horse battery"));
  EXPECT_FALSE(store->add("ann", Role::kViewer, "another password"));     // exists
  EXPECT_FALSE(store->add("bob", Role::kViewer, "short"));                // too short
  EXPECT_FALSE(store->add("bad name", Role::kViewer, "long enough pw"));  // bad name
  ASSERT_TRUE(store->save());
  struct stat sb {};
  ASSERT_EQ(::stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_NE(text.find("ann operator $argon2id$v=19$"), std::string::npos) << text;
  EXPECT_EQ(text.find("correct horse"), std::string::npos);  // never the password

  auto again = AccountStore::load(path);
  ASSERT_TRUE(again) << again.error().message;
  auto who = again->verify("ann", "correct horse battery");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, Role::kOperator);
  EXPECT_FALSE(again->verify("ann", "correct horse batterY"));
  EXPECT_FALSE(again->verify("nobody", "correct horse battery"));
  ASSERT_TRUE(again->remove("ann"));
  EXPECT_FALSE(again->remove("ann"));
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(Accounts, ParseErrorsNameTheLine) {
  auto bad = AccountStore::parse("# c\nann admin $argon2id$x\nbob root $argon2id$y\n", "users");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("users:3: unknown role"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(AccountStore::parse("ann admin $2y$bcrypt\n", "u"));
  EXPECT_FALSE(AccountStore::parse("ann admin\n", "u"));
  EXPECT_FALSE(AccountStore::parse("ann admin $argon2id$a\nann viewer $argon2id$b\n", "u"));  // duplicate
}

TEST(Sessions, CreateFindExpire) {
  SessionStore s({.max_sessions = 3, .idle = 60s, .absolute = 300s});
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  Session a = s.create("ann", Role::kAdmin, t0);
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_EQ(a.csrf.size(), 64u);
  EXPECT_NE(a.id, a.csrf);
  auto f = s.find(a.id, t0 + 30s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->user, "ann");
  EXPECT_EQ(f->csrf, a.csrf);
  EXPECT_FALSE(s.find(std::string(64, '0'), t0));
  EXPECT_FALSE(s.find("short", t0));
  // Idle: 60 s after the last use (t0+30) it is gone.
  EXPECT_TRUE(s.find(a.id, t0 + 89s));
  EXPECT_FALSE(s.find(a.id, t0 + 89s + 60s));
  // Absolute: used every 50 s, it still ends at 300 s.
  Session b = s.create("bob", Role::kViewer, t0);
  for (auto t = t0 + 50s; t < t0 + 300s; t += 50s) EXPECT_TRUE(s.find(b.id, t));
  EXPECT_FALSE(s.find(b.id, t0 + 300s));
}

TEST(Sessions, BoundedAndRemovable) {
  SessionStore s({.max_sessions = 3, .idle = 600s, .absolute = 6000s});
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  std::vector<Session> v;
  for (int i = 0; i < 5; ++i) v.push_back(s.create("u" + std::to_string(i), Role::kViewer, t0 + i * 1s));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.find(v[0].id, t0 + 10s));  // the oldest went
  EXPECT_TRUE(s.find(v[4].id, t0 + 10s));
  s.remove(v[4].id);
  EXPECT_FALSE(s.find(v[4].id, t0 + 10s));
  EXPECT_EQ(s.remove_user("u3"), 1u);
  EXPECT_FALSE(s.find(v[3].id, t0 + 10s));
  EXPECT_EQ(s.remove_unless([](const std::string& u, Role) { return u != "u2"; }), 1u);
  EXPECT_FALSE(s.find(v[2].id, t0 + 10s));
  EXPECT_EQ(s.size(), 0u);
}

HttpRequest post(std::string origin, std::string token) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/api/logout";
  r.headers.emplace_back("host", "127.0.0.1:8080");
  if (!origin.empty()) r.headers.emplace_back("origin", origin);
  if (!token.empty()) r.headers.emplace_back("x-csrf-token", token);
  return r;
}

TEST(Csrf, OriginAndToken) {
  SessionStore s;
  Session a = s.create("ann", Role::kAdmin, std::chrono::steady_clock::now());
  const std::vector<std::string> mine = {"http://127.0.0.1:8080"};
  EXPECT_EQ(csrf_check(post("http://127.0.0.1:8080", a.csrf), a, mine), CsrfResult::kOk);
  EXPECT_EQ(csrf_check(post("http://evil.example", a.csrf), a, mine), CsrfResult::kBadOrigin);
  EXPECT_EQ(csrf_check(post("", a.csrf), a, mine), CsrfResult::kBadOrigin);
  EXPECT_EQ(csrf_check(post("http://127.0.0.1:8080", ""), a, mine), CsrfResult::kBadToken);
  std::string wrong = a.csrf;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(csrf_check(post("http://127.0.0.1:8080", wrong), a, mine), CsrfResult::kBadToken);
  // Without Origin, the Referer's origin counts.
  HttpRequest r = post("", a.csrf);
  r.headers.emplace_back("referer", "http://127.0.0.1:8080/scan?x=1");
  EXPECT_EQ(csrf_check(r, a, mine), CsrfResult::kOk);
  EXPECT_TRUE(equal_ct("abc", "abc"));
  EXPECT_FALSE(equal_ct("abc", "abd"));
  EXPECT_FALSE(equal_ct("abc", "abcd"));
}

TEST(LoginLimiter, WindowPerKeyAndBound) {
  LoginLimiter lim({.max_failures = 3, .window = 60s, .max_keys = 4});
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(lim.allowed("addr:1", t0 + i * 1s));
    lim.failure("addr:1", t0 + i * 1s);
  }
  EXPECT_FALSE(lim.allowed("addr:1", t0 + 10s));
  EXPECT_EQ(lim.retry_after("addr:1", t0 + 10s), 50);
  EXPECT_TRUE(lim.allowed("addr:2", t0 + 10s));  // other keys unaffected
  EXPECT_TRUE(lim.allowed("addr:1", t0 + 60s));  // window over
  lim.failure("user:x", t0);
  lim.success("user:x");
  EXPECT_EQ(lim.retry_after("user:x", t0), 0);
  for (int i = 0; i < 10; ++i) lim.failure("k" + std::to_string(i), t0 + 70s);
  EXPECT_LE(lim.size(), 4u);
}

TEST(History, RatesFromCounters) {
  History h;
  auto s1 = parse_prometheus_text(
      "# HELP x\n# TYPE rampart_milter_verdicts_total counter\n"
      "rampart_milter_verdicts_total{action=\"accept\"} 10\nrampart_milter_verdicts_total{action=\"reject\"} "
      "0\n"
      "rampart_check_hits_total{check=\"spf\"} 4\nrampart_throttled_total 0\n");
  ASSERT_TRUE(s1) << s1.error().message;
  EXPECT_EQ(s1->size(), 4u);
  h.add(1000, *s1);
  auto s2 = parse_prometheus_text(
      "rampart_milter_verdicts_total{action=\"accept\"} 30\nrampart_milter_verdicts_total{action=\"reject\"} "
      "5\n"
      "rampart_check_hits_total{check=\"spf\"} 4\nrampart_throttled_total 10\n");
  ASSERT_TRUE(s2);
  h.add(1010, *s2);
  const std::string j = h.json(Range::kHour);
  EXPECT_NE(j.find("\"verdicts.accept\": [2]"), std::string::npos) << j;
  EXPECT_NE(j.find("\"verdicts.reject\": [0.5]"), std::string::npos) << j;
  EXPECT_NE(j.find("\"throttled\": [1]"), std::string::npos) << j;
  EXPECT_NE(j.find("\"t\": [1010]"), std::string::npos) << j;
  EXPECT_EQ(h.totals().at("verdicts.accept"), 30);
  // Kept across restarts: the points, not the counters' baseline.
  History again;
  ASSERT_TRUE(again.restore(h.serialize()));
  EXPECT_EQ(again.json(Range::kHour), h.json(Range::kHour));
  EXPECT_EQ(again.json(Range::kMonth), h.json(Range::kMonth));
  EXPECT_TRUE(again.totals().empty());
  EXPECT_FALSE(again.restore("rampart-history 2\n"));
  EXPECT_FALSE(again.restore("rampart-history 1\nring 60\n"));                // another step
  EXPECT_FALSE(again.restore("rampart-history 1\nring 10\nt 1 2\ns x 1\n"));  // lengths differ
  EXPECT_EQ(again.json(Range::kHour), h.json(Range::kHour));                  // unchanged by failures
  EXPECT_FALSE(parse_prometheus_text("bad{label 1\n"));
  EXPECT_FALSE(parse_prometheus_text("x{a=\"unterminated} 1\n"));
  EXPECT_FALSE(parse_prometheus_text("x notanumber\n"));
}

// Pass rates: per method, all decided messages and those that passed; other
// methods and labels are not series.
TEST(History, AuthPassSeries) {
  auto s = parse_prometheus_text(
      "rampart_auth_results_total{method=\"spf\",result=\"pass\"} 7\n"
      "rampart_auth_results_total{method=\"spf\",result=\"softfail\"} 3\n"
      "rampart_auth_results_total{method=\"dkim\",result=\"fail\"} 2\n"
      "rampart_auth_results_total{method=\"iprev\",result=\"pass\"} 9\n");
  ASSERT_TRUE(s) << s.error().message;
  History h;
  h.add(1000, *s);
  const auto m = h.totals();
  EXPECT_EQ(m.at("auth.spf.all"), 10);
  EXPECT_EQ(m.at("auth.spf.pass"), 7);
  EXPECT_EQ(m.at("auth.dkim.all"), 2);
  EXPECT_EQ(m.count("auth.dkim.pass"), 0u);
  EXPECT_EQ(m.count("auth.iprev.all"), 0u);
}

// The identities of a message: every kind the Senders page searches, in the
// reputation store's spelling; DKIM d= and Feedback-ID only when verified.
TEST(SenderHistory, KeysOfAMessage) {
  SenderFacts f;
  f.ip = *IpAddress::parse("::ffff:198.51.100.7");
  f.mail_from = "<Bounce@Mail.Example.COM.>";
  f.from = "news@example.com";
  f.dkim_domains = {"Example.com", "esp.example.net"};
  f.feedback_id = " c42:offers:news ";
  EXPECT_EQ(sender_history_keys(f),
            (std::vector<std::string>{"ip:198.51.100.7", "net:198.51.100.0/24", "domain:mail.example.com",
                                      "domain:example.com", "dkim:example.com", "dkim:esp.example.net",
                                      "fbid:c42:offers:news"}));
  // Without a verified signature: no dkim:, and the Feedback-ID is not believed.
  f.dkim_domains.clear();
  f.ip = *IpAddress::parse("2001:db8:1:2:3::1");
  f.from = "x@mail.example.com";  // the same domain as MAIL FROM: once
  EXPECT_EQ(sender_history_keys(f), (std::vector<std::string>{"ip:2001:db8:1:2:3::1", "net:2001:db8:1:2::/64",
                                                              "domain:mail.example.com"}));
  // Unusable values are left out; at most 4 d=.
  SenderFacts g;
  g.mail_from = "";
  g.from = "a@bad domain";
  g.dkim_domains = {"a.example", "b.example", "c.example", "d.example", "e.example"};
  g.feedback_id = "has space";
  EXPECT_EQ(sender_history_keys(g), (std::vector<std::string>{"dkim:a.example", "dkim:b.example",
                                                              "dkim:c.example", "dkim:d.example"}));
  // All of them recorded at once, each once.
  SenderHistory h;
  f.dkim_domains = {"example.com"};
  auto keys = sender_history_keys(f);
  keys.push_back(keys[0]);
  h.record(keys, 20000 * 86400, SenderOutcome::kFlagged);
  EXPECT_EQ(h.size(), 5u);
  EXPECT_EQ(h.days("dkim:example.com"), (std::vector<SenderDay>{{20000, 1, 1, 0}}));
  EXPECT_EQ(h.days("fbid:c42:offers:news"), (std::vector<SenderDay>{{20000, 1, 1, 0}}));
  EXPECT_EQ(h.days("ip:2001:db8:1:2:3::1"), (std::vector<SenderDay>{{20000, 1, 1, 0}}));
}

// Per-sender daily counters: by UTC day and outcome, bounded in identities
// (least recently active evicted) and days, saved and restored as they were.
TEST(SenderHistory, DaysBoundsAndSavedText) {
  SenderHistory h(3, 4);
  const int64_t d0 = 20000 * 86400;
  h.record("ip:192.0.2.1", d0 + 10, SenderOutcome::kAccepted);
  h.record("ip:192.0.2.1", d0 + 20, SenderOutcome::kRefused);
  h.record("ip:192.0.2.1", d0 + 86400, SenderOutcome::kFlagged);
  EXPECT_EQ(h.days("ip:192.0.2.1"), (std::vector<SenderDay>{{20000, 2, 0, 1}, {20001, 1, 1, 0}}));
  EXPECT_TRUE(h.days("ip:192.0.2.2").empty());
  // Days: at most 4, none 4 days older than the newest.
  h.record("ip:192.0.2.1", d0 + 5 * 86400, SenderOutcome::kAccepted);
  auto days = h.days("ip:192.0.2.1");
  ASSERT_EQ(days.size(), 1u);  // 20000 and 20001 are more than 4 days before 20005
  EXPECT_EQ(days[0].day, 20005);
  // Identities: at most 3; the least recently active goes.
  h.record("domain:a.example", d0, SenderOutcome::kAccepted);
  h.record("domain:b.example", d0, SenderOutcome::kAccepted);
  h.record("ip:192.0.2.1", d0 + 5 * 86400, SenderOutcome::kAccepted);  // active again
  h.record("domain:c.example", d0, SenderOutcome::kAccepted);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_TRUE(h.days("domain:a.example").empty());
  EXPECT_FALSE(h.days("domain:b.example").empty());
  EXPECT_EQ(h.days("ip:192.0.2.1")[0].messages, 2u);
  // Bad identities are not kept.
  h.record("", d0, SenderOutcome::kAccepted);
  h.record("ip:with space", d0, SenderOutcome::kAccepted);
  EXPECT_EQ(h.size(), 3u);
  // Saved and restored: the same days and the same eviction order.
  SenderHistory again(3, 4);
  ASSERT_TRUE(again.restore(h.serialize()));
  EXPECT_EQ(again.serialize(), h.serialize());
  again.record("domain:d.example", d0, SenderOutcome::kAccepted);
  EXPECT_TRUE(again.days("domain:b.example").empty());  // b was the least recently active
  for (const char* bad :
       {"", "rampart-senders 2\n", "rampart-senders 1\nx 5:1,2\n", "rampart-senders 1\nx 5:1,2,3 4:1,1,1\n",
        "rampart-senders 1\nx 5:1,2,3", "rampart-senders 1\nx 5:1,2,3\nx 6:1,1,1\n",
        "rampart-senders 1\nx 1:1,0,0 2:1,0,0 3:1,0,0 4:1,0,0 5:1,0,0\n",
        "rampart-senders 1\na 1:1,0,0\nb 1:1,0,0\nc 1:1,0,0\nd 1:1,0,0\n", "rampart-senders 1\nx -1:1,0,0\n",
        "rampart-senders 1\nx 1:99999999999,0,0\n"}) {
    SenderHistory t(3, 4);
    EXPECT_FALSE(t.restore(bad)) << bad;
  }
  EXPECT_EQ(again.size(), 3u);  // a failed restore changes nothing
  SenderHistory failed(3, 4);
  ASSERT_TRUE(failed.restore(h.serialize()));
  EXPECT_FALSE(failed.restore("rampart-senders 1\nbad line with : stuff\n"));
  EXPECT_EQ(failed.serialize(), h.serialize());
}

// The handler without a server: a bundle in a temporary directory, a users
// file with two accounts, a backend that counts its calls.
class ConsoleHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    ASSERT_FALSE(dir_.empty());
    std::ofstream(dir_ + "/index.html") << "<!doctype html><title>rampart</title>";
    std::ofstream(dir_ + "/app.js") << "console.log(1)";
    auto store = AccountStore::load(dir_ + "/users");
    ASSERT_TRUE(store);
    store->set_hash_cost(minimum_cost());
    ASSERT_TRUE(store->add("viewer1", Role::kViewer, "viewer password"));
    ASSERT_TRUE(store->add("admin1", Role::kAdmin, "admin password"));
    ASSERT_TRUE(store->save());
    ConsoleConfig cc;
    cc.assets = dir_;
    cc.users = dir_ + "/users";
    cc.login.max_failures = 3;
    ConsoleBackend b;
    b.metrics_text = [this] { return metrics_; };
    b.reputation = [this](std::string id, std::function<void(int, std::string)> done) {
      looked_up_.push_back(id);
      done(200, "{\"identity\": \"" + id + "\", \"class\": \"" +
                    (id.starts_with("sms:") ? "spammer" : "unknown") + "\"}");
    };
    b.scan = [this](HttpRequest r, server::HttpRespond done) {
      scans_++;
      last_scan_ = r;
      done(HttpReply{200, "{\"action\": \"accept\"}"});
    };
    auto c = Console::create(cc, std::move(b));
    ASSERT_TRUE(c) << c.error().message;
    console_ = std::move(*c);
    console_->set_port(8080);
    console_->set_hash_cost(minimum_cost());
  }
  void TearDown() override {
    console_.reset();
    for (const char* f : {"/index.html", "/app.js", "/users"}) ::unlink((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }

  // One request; the answer may come from the worker thread: posted to
  // `exec_`, which this runs until it arrives (deadline 10 s).
  HttpReply call(std::string method, std::string target, std::string body = {},
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.peer = "127.0.0.1";
    bool host = false;
    for (auto& h : headers) host |= h.first == "host";
    if (!host) r.headers.emplace_back("host", "127.0.0.1:8080");
    for (auto& h : headers) r.headers.push_back(std::move(h));
    std::optional<HttpReply> got;
    {
      ScopedExecutor scope(&exec_);
      console_->handle(std::move(r), [&](HttpReply rep) { got = std::move(rep); });
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!got && std::chrono::steady_clock::now() < deadline) {
      if (exec_.run_pending() == 0) std::this_thread::sleep_for(1ms);
    }
    if (!got) ADD_FAILURE() << "no answer";
    return got.value_or(HttpReply{0, ""});
  }

  // Logs in; returns (cookie header value, csrf token).
  std::pair<std::string, std::string> login(const std::string& user, const std::string& pw) {
    HttpReply r =
        call("POST", "/api/login", "user=" + user + "&password=" + pw, {{"origin", "http://127.0.0.1:8080"}});
    EXPECT_EQ(r.status, 200) << r.body;
    const size_t at = r.headers.find("Set-Cookie: rampart_session=");
    EXPECT_NE(at, std::string::npos) << r.headers;
    const std::string line = r.headers.substr(at, r.headers.find("\r\n", at) - at);
    EXPECT_NE(line.find("HttpOnly"), std::string::npos);
    EXPECT_NE(line.find("SameSite=Strict"), std::string::npos);
    const size_t v = line.find('=') + 1;
    const std::string sid = line.substr(v, line.find(';') - v);
    const size_t c = r.body.find("\"csrf\": \"") + 9;
    return {"rampart_session=" + sid, r.body.substr(c, 64)};
  }

  std::string dir_;
  std::unique_ptr<Console> console_;
  ManualExecutor exec_;
  int scans_ = 0;
  HttpRequest last_scan_;
  std::vector<std::string> looked_up_;
  std::string metrics_ = "rampart_milter_verdicts_total{action=\"accept\"} 7\n";
};

TEST_F(ConsoleHandlerTest, RefusesWithoutSession) {
  EXPECT_EQ(call("GET", "/api/live").status, 401);
  HttpReply page = call("GET", "/live");
  EXPECT_EQ(page.status, 303);
  EXPECT_NE(page.headers.find("Location: /login?next=live"), std::string::npos);
  EXPECT_EQ(call("GET", "/login").status, 200);
  EXPECT_EQ(call("GET", "/assets/app.js").status, 200);
  EXPECT_EQ(call("GET", "/assets/../users").status, 404);
  // A Host the console does not answer to (DNS rebinding).
  EXPECT_EQ(call("GET", "/login", "", {{"host", "evil.example:8080"}}).status, 400);
  EXPECT_EQ(call("GET", "/login", "", {{"host", "localhost:8080"}}).status, 200);
}

TEST_F(ConsoleHandlerTest, LoginRolesCsrf) {
  auto [cookie, csrf] = login("viewer1", "viewer+password");
  EXPECT_EQ(csrf.size(), 64u);
  HttpReply live = call("GET", "/api/live", "", {{"cookie", cookie}});
  EXPECT_EQ(live.status, 200);
  EXPECT_NE(live.body.find("\"accept\": 7"), std::string::npos) << live.body;
  EXPECT_NE(live.headers.find("Content-Security-Policy: default-src 'self'"), std::string::npos);
  // A viewer may not scan, see /scan or /users.
  EXPECT_EQ(call("POST", "/api/scan", "x",
                 {{"cookie", cookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", csrf}})
                .status,
            403);
  EXPECT_EQ(call("GET", "/scan", "", {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(call("GET", "/api/users", "", {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(scans_, 0);

  auto [acookie, acsrf] = login("admin1", "admin+password");
  // CSRF: no token, a wrong token, a foreign Origin.
  EXPECT_EQ(call("POST", "/api/scan", "x", {{"cookie", acookie}, {"origin", "http://127.0.0.1:8080"}}).status,
            403);
  EXPECT_EQ(call("POST", "/api/scan", "x",
                 {{"cookie", acookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", csrf}})
                .status,
            403);  // the viewer's token
  EXPECT_EQ(call("POST", "/api/scan", "x",
                 {{"cookie", acookie}, {"origin", "http://evil.example"}, {"x-csrf-token", acsrf}})
                .status,
            403);
  EXPECT_EQ(scans_, 0);
  HttpReply ok = call("POST", "/api/scan", "Subject: hi\r\n\r\nbody\r\n",
                      {{"cookie", acookie},
                       {"origin", "http://127.0.0.1:8080"},
                       {"x-csrf-token", acsrf},
                       {"x-client-ip", "192.0.2.1"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(scans_, 1);
  ASSERT_NE(last_scan_.header("x-look-only"), nullptr);
  EXPECT_EQ(*last_scan_.header("x-client-ip"), "192.0.2.1");

  // Logout ends the session.
  EXPECT_EQ(call("POST", "/api/logout", "",
                 {{"cookie", acookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", acsrf}})
                .status,
            200);
  EXPECT_EQ(call("GET", "/api/me", "", {{"cookie", acookie}}).status, 401);
}

TEST_F(ConsoleHandlerTest, LoginLimitsAndCrossSiteLogin) {
  EXPECT_EQ(call("POST", "/api/login", "user=admin1&password=" + std::string(20000, 'x'),
                 {{"origin", "http://127.0.0.1:8080"}})
                .status,
            413);
  EXPECT_EQ(
      call("POST", "/api/login", "user=admin1&password=admin+password", {{"origin", "http://evil.example"}})
          .status,
      403);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(call("POST", "/api/login", "user=admin1&password=wrong", {{"origin", "http://127.0.0.1:8080"}})
                  .status,
              401);
  // Locked now, even with the right password.
  HttpReply r = call("POST", "/api/login", "user=admin1&password=admin+password",
                     {{"origin", "http://127.0.0.1:8080"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.headers.find("Retry-After: "), std::string::npos);
}

TEST_F(ConsoleHandlerTest, AdminManagesUsers) {
  auto [cookie, csrf] = login("admin1", "admin+password");
  const std::vector<std::pair<std::string, std::string>> h = {
      {"cookie", cookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", csrf}};
  EXPECT_EQ(call("POST", "/api/users", "user=op1&role=operator&password=operator+password", h).status, 200);
  HttpReply list = call("GET", "/api/users", "", {{"cookie", cookie}});
  EXPECT_NE(list.body.find("\"user\": \"op1\", \"role\": \"operator\""), std::string::npos) << list.body;
  auto [ocookie, ocsrf] = login("op1", "operator+password");
  EXPECT_EQ(call("POST", "/api/users/delete", "user=op1", h).status, 200);
  EXPECT_EQ(call("GET", "/api/me", "", {{"cookie", ocookie}}).status, 401);  // its session ended
}

// The log level: an admin sets it (form, CSRF), a viewer may not even read it;
// a bad name is 400 and changes nothing.
TEST_F(ConsoleHandlerTest, AdminSetsTheLogLevel) {
  log::set_level("info");
  auto [cookie, csrf] = login("admin1", "admin+password");
  const std::vector<std::pair<std::string, std::string>> h = {
      {"cookie", cookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", csrf}};
  EXPECT_EQ(call("GET", "/api/log-level", "", {{"cookie", cookie}}).body, "{\"level\": \"info\"}");
  HttpReply set = call("POST", "/api/log-level", "level=debug", h);
  EXPECT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body, "{\"level\": \"debug\", \"previous\": \"info\"}");
  EXPECT_EQ(log::level_name(), "debug");
  EXPECT_EQ(call("POST", "/api/log-level", "level=loud", h).status, 400);
  EXPECT_EQ(
      call("POST", "/api/log-level", "level=trace", {{"cookie", cookie}, {"origin", "http://127.0.0.1:8080"}})
          .status,
      403);  // no CSRF token
  EXPECT_EQ(log::level_name(), "debug");
  auto [vcookie, vcsrf] = login("viewer1", "viewer+password");
  EXPECT_EQ(call("GET", "/api/log-level", "", {{"cookie", vcookie}}).status, 403);
  EXPECT_EQ(call("POST", "/api/log-level", "level=trace",
                 {{"cookie", vcookie}, {"origin", "http://127.0.0.1:8080"}, {"x-csrf-token", vcsrf}})
                .status,
            403);
  EXPECT_EQ(log::level_name(), "debug");
  log::set_level("warn");
}

// The Zones page's answer latency from rampart_dns_answer_seconds: per
// transport, all rcodes summed; the median and p99 as bucket bounds (null
// above the last finite one).
TEST_F(ConsoleHandlerTest, ZonesAnswerLatency) {
  metrics_ =
      "rampart_dnsbl_rate_limited_total 0\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NOERROR\",le=\"0.0001\"} 60\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NOERROR\",le=\"0.001\"} 70\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NOERROR\",le=\"+Inf\"} 70\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NXDOMAIN\",le=\"0.0001\"} 0\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NXDOMAIN\",le=\"0.001\"} 29\n"
      "rampart_dns_answer_seconds_bucket{transport=\"udp\",rcode=\"NXDOMAIN\",le=\"+Inf\"} 30\n"
      "rampart_dns_answer_seconds_sum{transport=\"udp\",rcode=\"NOERROR\"} 0.007\n"
      "rampart_dns_answer_seconds_sum{transport=\"udp\",rcode=\"NXDOMAIN\"} 0.003\n"
      "rampart_dns_answer_seconds_count{transport=\"udp\",rcode=\"NOERROR\"} 70\n"
      "rampart_dns_answer_seconds_count{transport=\"udp\",rcode=\"NXDOMAIN\"} 30\n"
      "rampart_dns_answer_seconds_count{transport=\"tcp\",rcode=\"NOERROR\"} 0\n";
  auto [cookie, csrf] = login("viewer1", "viewer+password");
  HttpReply r = call("GET", "/api/zones", "", {{"cookie", cookie}});
  ASSERT_EQ(r.status, 200);
  // 100 UDP answers: mean 0.1 ms; 60 within 0.1 ms (the median), 99 within 1 ms, 1 above.
  EXPECT_NE(r.body.find("\"answers\": {\"udp\": {\"count\": 100, \"mean_s\": 0.0001, \"p50_le_s\": 0.0001, "
                        "\"p99_le_s\": 0.001}}"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("\"tcp\""), std::string::npos) << r.body;  // no TCP answers: not shown
}

// Without [calls] or [messages] the Channels API says so (never an error);
// a viewer may read it, nobody without a session.
TEST_F(ConsoleHandlerTest, ChannelsWithoutServices) {
  auto [cookie, csrf] = login("viewer1", "viewer+password");
  HttpReply r = call("GET", "/api/channels", "", {{"cookie", cookie}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"calls\": {\"enabled\": false}, \"messages\": {\"enabled\": false}}");
  EXPECT_EQ(call("GET", "/api/channels").status, 401);
  EXPECT_EQ(call("POST", "/api/channels", "", {{"cookie", cookie}}).status, 405);
}

// The Senders page for other channels (issue 16): a number is looked up as
// a caller and as an SMS sender, a short code and kind:value canonical; junk
// is a 400 that never reaches the store.
TEST_F(ConsoleHandlerTest, SendersFindsNumbers) {
  auto [cookie, csrf] = login("viewer1", "viewer+password");
  HttpReply r = call("GET", "/api/senders?q=%2B1-202-555-0100", "", {{"cookie", cookie}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"id\": \"voice:+12025550100\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"also\": [{\"id\": \"sms:+12025550100\", \"report\": {\"identity\": "
                        "\"sms:+12025550100\", \"class\": \"spammer\"}}]"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(looked_up_, (std::vector<std::string>{"voice:+12025550100", "sms:+12025550100"}));
  r = call("GET", "/api/senders?q=72900", "", {{"cookie", cookie}});
  EXPECT_NE(r.body.find("\"id\": \"shortcode:72900\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"also\": []"), std::string::npos) << r.body;
  r = call("GET", "/api/senders?q=TRUNK:Carrier-A", "", {{"cookie", cookie}});
  EXPECT_NE(r.body.find("\"id\": \"trunk:carrier-a\""), std::string::npos) << r.body;
  looked_up_.clear();
  EXPECT_EQ(call("GET", "/api/senders?q=voice:12", "", {{"cookie", cookie}}).status, 400);
  EXPECT_EQ(call("GET", "/api/senders?q=%2Babc", "", {{"cookie", cookie}}).status, 400);
  EXPECT_TRUE(looked_up_.empty());
}

// Without [exchange] the sharing API says so; a viewer may read it.
TEST_F(ConsoleHandlerTest, ExchangeWithoutAGroup) {
  auto [cookie, csrf] = login("viewer1", "viewer+password");
  HttpReply r = call("GET", "/api/exchange", "", {{"cookie", cookie}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"enabled\": false}");
  EXPECT_EQ(call("GET", "/api/exchange").status, 401);
}

}  // namespace
}  // namespace rampart::console

namespace rampart::console {
namespace {

// GET /api/channels's body: the services' lists as they came, the verdict
// counts summed from the metrics by action (calls) and channel/action
// (messages); a channel that is off says so, a busy one gives an empty list.
TEST(ChannelsJson, ListsAndCounts) {
  const std::string metrics =
      "rampart_calls_total{action=\"allow\"} 3\n"
      "rampart_calls_total{action=\"block\"} 2\n"
      "rampart_calls_verstat_total{verstat=\"No-TN-Validation\"} 5\n"
      "rampart_messages_total{channel=\"sms\",action=\"allow\"} 4\n"
      "rampart_messages_total{channel=\"sms\",action=\"block\"} 1\n"
      "rampart_messages_total{channel=\"im\",action=\"tag\"} 7\n"
      "rampart_messages_complaints_total 2\n";
  const std::string calls = R"({"incidents":[{"key":"caller:+12025550100","action":"block","attempts":40}]})";
  const std::string senders =
      R"({"senders": [{"channel": "sms", "sender": "+12025550111", "class": "complained"}]})";
  auto j = nlohmann::json::parse(channels_json(calls, senders, metrics), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << channels_json(calls, senders, metrics);
  EXPECT_EQ(j["calls"]["enabled"], true);
  EXPECT_EQ(j["calls"]["counts"]["allow"], 3);
  EXPECT_EQ(j["calls"]["counts"]["block"], 2);
  EXPECT_FALSE(j["calls"]["counts"].contains("No-TN-Validation"));
  ASSERT_EQ(j["calls"]["incidents"].size(), 1u);
  EXPECT_EQ(j["calls"]["incidents"][0]["key"], "caller:+12025550100");
  EXPECT_FALSE(j["calls"].contains("busy"));
  EXPECT_EQ(j["messages"]["enabled"], true);
  EXPECT_EQ(j["messages"]["counts"]["sms"]["allow"], 4);
  EXPECT_EQ(j["messages"]["counts"]["sms"]["block"], 1);
  EXPECT_EQ(j["messages"]["counts"]["im"]["tag"], 7);
  EXPECT_EQ(j["messages"]["complaints"], 2);
  ASSERT_EQ(j["messages"]["senders"].size(), 1u);
  EXPECT_EQ(j["messages"]["senders"][0]["class"], "complained");
}

TEST(ChannelsJson, OffAndBusy) {
  auto off = nlohmann::json::parse(channels_json(std::nullopt, std::nullopt, "garbage {"), nullptr, false);
  ASSERT_FALSE(off.is_discarded());
  EXPECT_EQ(off, nlohmann::json::parse(R"({"calls": {"enabled": false}, "messages": {"enabled": false}})"));
  auto busy =
      nlohmann::json::parse(channels_json(std::string(), std::string("not json"), ""), nullptr, false);
  ASSERT_FALSE(busy.is_discarded());
  EXPECT_EQ(busy["calls"]["busy"], true);
  EXPECT_TRUE(busy["calls"]["incidents"].empty());
  EXPECT_TRUE(busy["calls"]["counts"].empty());
  EXPECT_EQ(busy["messages"]["busy"], true);
  EXPECT_TRUE(busy["messages"]["senders"].empty());
  EXPECT_EQ(busy["messages"]["complaints"], 0);
}

// The documented defaults (--print-default-config, docs/reference/config.md)
// are the ones ConsoleConfig::from applies.
TEST(ConsoleConfig, DefaultTextMatchesDefaults) {
  auto cfg = Config::parse(policy::default_config_text(), "defaults");
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto cc = ConsoleConfig::from(*cfg, "/data");
  ASSERT_TRUE(cc) << cc.error().message;
  auto none = Config::parse("", "empty");
  ASSERT_TRUE(none);
  auto d = ConsoleConfig::from(*none, "/data");
  ASSERT_TRUE(d);
  EXPECT_EQ(cc->enabled, d->enabled);
  EXPECT_EQ(cc->listen, d->listen);
  EXPECT_EQ(cc->assets, d->assets);
  EXPECT_EQ(cc->users, d->users);
  EXPECT_EQ(cc->history, d->history);
  EXPECT_EQ(cc->hosts, d->hosts);
  EXPECT_EQ(cc->sample_s, d->sample_s);
  EXPECT_EQ(cc->sessions.idle, d->sessions.idle);
  EXPECT_EQ(cc->sessions.absolute, d->sessions.absolute);
  EXPECT_EQ(cc->sessions.max_sessions, d->sessions.max_sessions);
  EXPECT_EQ(cc->login.max_failures, d->login.max_failures);
  EXPECT_EQ(cc->login.window, d->login.window);
  // Every key of [console] in the text is one ConsoleConfig reads.
  auto fresh = Config::parse(policy::default_config_text(), "defaults");
  ASSERT_TRUE(fresh);
  (void)ConsoleConfig::from(*fresh, "");
  auto fin = fresh->finish();
  if (!fin) {
    EXPECT_EQ(fin.error().message.find("console."), std::string::npos) << fin.error().message;
  }
}

TEST(ConsoleConfig, StrictAndLoopbackOnly) {
  auto cfg = Config::parse("[console]\nenabled = true\nlisten = \"127.0.0.1:0\"\nsample_s = 2\n", "c.toml");
  ASSERT_TRUE(cfg);
  auto cc = ConsoleConfig::from(*cfg, "/data");
  ASSERT_TRUE(cc) << cc.error().message;
  EXPECT_TRUE(cc->enabled);
  EXPECT_EQ(cc->users, "/data/console/users");
  EXPECT_EQ(cc->sample_s, 2);
  EXPECT_TRUE(cfg->finish());

  // Off loopback: refused, naming file:line and the key.
  cfg = Config::parse("[console]\nlisten = \"0.0.0.0:11335\"\n", "c.toml");
  ASSERT_TRUE(cfg);
  cc = ConsoleConfig::from(*cfg, "");
  ASSERT_FALSE(cc);
  EXPECT_NE(cc.error().message.find("c.toml:2"), std::string::npos) << cc.error().message;
  EXPECT_NE(cc.error().message.find("console.listen"), std::string::npos) << cc.error().message;

  // A wrong type and an unknown key.
  cfg = Config::parse("[console]\nsession_idle_s = \"long\"\nlisten_tls = true\n", "c.toml");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(ConsoleConfig::from(*cfg, ""));
  auto fin = cfg->finish();
  ASSERT_FALSE(fin);
  EXPECT_NE(fin.error().message.find("listen_tls"), std::string::npos) << fin.error().message;
}

}  // namespace
}  // namespace rampart::console
