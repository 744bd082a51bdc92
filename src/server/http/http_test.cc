// File: src/server/http/http_test.cc
// The HTTP pieces without sockets: the parser, scan envelope, a connection
// answering 5,000 pipelined requests by a loop (in order, bounded output,
// no reading while busy), answers given later, deadlines (slow headers,
// slow body, idle, a handler past its deadline), tokens and the router's
// 401/403/404/405.
#include <gtest/gtest.h>
#include <atomic>

#include <thread>

#include <string>
#include <vector>

#include "core/config.h"
#include "server/http/access.h"
#include "server/http/connection.h"
#include "server/http/parser.h"
#include "server/http/router.h"
#include "server/http/scan.h"

namespace rampart::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(Http, ParseAndEnvelope) {
  std::string raw =
      "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: 192.0.2.1\r\nX-Helo: mx.good.test\r\n"
      "X-Mail-From: <alice@good.test>\r\nX-Rcpt-To: a@x, b@y\r\nX-Rcpt-To: c@z\r\nContent-Length: "
      "5\r\n\r\nhello";
  HttpRequest req;
  size_t used = 0;
  std::string err;
  EXPECT_EQ(parse_http_request(raw.substr(0, 40), 100, req, used, err), HttpParse::kIncomplete);
  EXPECT_EQ(parse_http_request(raw.substr(0, raw.size() - 1), 100, req, used, err), HttpParse::kIncomplete);
  ASSERT_EQ(parse_http_request(raw, 100, req, used, err), HttpParse::kComplete) << err;
  EXPECT_EQ(used, raw.size());
  EXPECT_EQ(req.body, "hello");
  auto st = scan_state_from(req);
  ASSERT_TRUE(st);
  EXPECT_EQ((*st)->env.mail_from, "alice@good.test");
  EXPECT_EQ((*st)->env.rcpts, (std::vector<std::string>{"a@x", "b@y", "c@z"}));
  EXPECT_EQ(parse_http_request(raw, 2, req, used, err), HttpParse::kError);  // body too large
  EXPECT_EQ(parse_http_request("GARBAGE\r\n\r\n", 100, req, used, err), HttpParse::kError);
  EXPECT_EQ(json_escape("a\"b\n\x01"), "\"a\\\"b\\n\\u0001\"");
}

// RFC 9112 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
TEST(Http, KeepAlive) {
  auto keep = [](const std::string& version, const std::string& headers) {
    HttpRequest req;
    size_t used = 0;
    std::string err;
    const std::string raw = "GET /healthz " + version + "\r\nHost: x\r\n" + headers + "\r\n";
    EXPECT_EQ(parse_http_request(raw, 100, req, used, err), HttpParse::kComplete) << err;
    return req.keep_alive;
  };
  EXPECT_TRUE(keep("HTTP/1.1", ""));
  EXPECT_FALSE(keep("HTTP/1.1", "Connection: close\r\n"));
  EXPECT_FALSE(keep("HTTP/1.1", "Connection: Upgrade, CLOSE\r\n"));
  EXPECT_FALSE(keep("HTTP/1.0", ""));
  EXPECT_TRUE(keep("HTTP/1.0", "Connection: Keep-Alive\r\n"));
  EXPECT_NE(http_response(200, "application/json", "{}", true).find("\r\nConnection: keep-alive\r\n"),
            std::string::npos);
  EXPECT_NE(http_response(200, "application/json", "{}").find("\r\nConnection: close\r\n"),
            std::string::npos);
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Answers /sync at once with the request's number, /async later (held).
struct TestHandler final : HttpHandler {
  std::vector<HttpRespond> held;
  int n = 0;
  void handle(HttpRequest req, HttpRespond respond) override {
    ++n;
    if (req.target.rfind("/async", 0) == 0) {
      held.push_back(std::move(respond));
      return;
    }
    respond(HttpReply{200, std::to_string(n)});
  }
  HttpReply timeout_reply(std::string_view path) override {
    return HttpReply{503, "late " + std::string(path)};
  }
};

HttpLimits limits() {
  HttpLimits l;
  l.max_body = 1000;
  l.max_output = 4096;
  l.header_timeout = milliseconds(1000);
  l.body_timeout = milliseconds(2000);
  l.idle_timeout = milliseconds(5000);
  l.request_timeout = milliseconds(3000);
  return l;
}

// 5,000 pipelined requests in one buffer: answered in order by a loop
// (a recursive answer path would need thousands of frames); output stops
// at max_output until the client reads, and reading stops meanwhile.
TEST(HttpConnection, PipelinedRequestsByALoopWithBoundedOutput) {
  TestHandler h;
  HttpConnStats stats;
  auto now = Clock::now();
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, now, nullptr);
  std::string all;
  for (int i = 0; i < 5000; ++i) all += "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n";
  c->on_input(all, now);
  EXPECT_GE(c->output().size(), 4096u);
  EXPECT_LT(c->output().size(), 4096u + 200);
  EXPECT_FALSE(c->want_read());  // output over the cap: the client must read first
  std::string got;
  while (!c->output().empty()) {
    got += c->output();
    c->consumed(c->output().size(), now);
  }
  EXPECT_EQ(count_of(got, "HTTP/1.1 200 OK"), 5000u);
  EXPECT_EQ(h.n, 5000);
  EXPECT_NE(got.find("\r\n\r\n5000"), std::string::npos);
  EXPECT_LT(got.find("\r\n\r\n1HTTP"), got.find("\r\n\r\n2HTTP"));  // in order
  EXPECT_TRUE(c->want_read());
  EXPECT_TRUE(c->idle());
  EXPECT_EQ(stats.requests, 5000u);
}

// An answer given later: nothing is read meanwhile, the requests behind it
// wait, and the later answer restarts the loop.
TEST(HttpConnection, LaterAnswerKeepsOrderAndStopsReading) {
  TestHandler h;
  HttpConnStats stats;
  auto now = Clock::now();
  int wakes = 0;
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, now, [&] { ++wakes; });
  c->on_input("GET /async HTTP/1.1\r\n\r\nGET /sync HTTP/1.1\r\n\r\nGET /sync HTTP/1.1\r\n\r\n", now);
  EXPECT_TRUE(c->busy());
  EXPECT_FALSE(c->want_read());
  EXPECT_TRUE(c->output().empty());
  ASSERT_EQ(h.held.size(), 1u);
  h.held[0](HttpReply{200, "first"});
  EXPECT_EQ(wakes, 1);
  const std::string out = c->output();
  EXPECT_EQ(count_of(out, "HTTP/1.1 200"), 3u);
  EXPECT_LT(out.find("first"), out.find("\r\n\r\n2"));
  EXPECT_TRUE(c->want_read());
  h.held[0](HttpReply{200, "again"});  // a second call is dropped
  EXPECT_EQ(c->output(), out);
}

TEST(HttpConnection, HandlerPastItsDeadlineGetsTheTimeoutReply) {
  TestHandler h;
  HttpConnStats stats;
  auto now = Clock::now();
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, now, nullptr);
  c->on_input("GET /async?x=1 HTTP/1.1\r\n\r\n", now);
  EXPECT_FALSE(c->tick(now + milliseconds(2999)));
  EXPECT_TRUE(c->output().empty());
  EXPECT_FALSE(c->tick(now + milliseconds(3000)));
  EXPECT_NE(c->output().find("503"), std::string::npos);
  EXPECT_NE(c->output().find("late /async"), std::string::npos);
  EXPECT_EQ(stats.timeouts, 1u);
  const std::string out = c->output();
  h.held[0](HttpReply{200, "too late"});  // dropped
  EXPECT_EQ(c->output(), out);
}

// Slowloris: a byte now and then does not move the header deadline.
TEST(HttpConnection, AbsoluteHeaderAndBodyDeadlines) {
  TestHandler h;
  HttpConnStats stats;
  auto t0 = Clock::now();
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, t0, nullptr);
  const std::string head = "GET /sync HTTP/1.1\r\nX: y";
  for (size_t i = 0; i < head.size(); ++i) {
    c->on_input(head.substr(i, 1), t0 + milliseconds(30 * i));
    EXPECT_FALSE(c->tick(t0 + milliseconds(30 * i)));
  }
  EXPECT_FALSE(c->tick(t0 + milliseconds(1000)));  // answers 408 and closes after it
  EXPECT_NE(c->output().find("408"), std::string::npos);
  EXPECT_TRUE(c->closing());
  EXPECT_FALSE(c->want_read());
  EXPECT_EQ(stats.slow_clients, 1u);

  // The body gets body_timeout from the end of its headers.
  auto b = std::make_shared<HttpConnection>(h, limits(), stats, t0, nullptr);
  b->on_input("POST /sync HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345", t0 + milliseconds(900));
  EXPECT_FALSE(b->tick(t0 + milliseconds(2000)));
  EXPECT_TRUE(b->output().empty());
  EXPECT_FALSE(b->tick(t0 + milliseconds(2900)));
  EXPECT_NE(b->output().find("408"), std::string::npos);

  // Nothing at all on a new connection: the header deadline too.
  auto n = std::make_shared<HttpConnection>(h, limits(), stats, t0, nullptr);
  EXPECT_FALSE(n->tick(t0 + milliseconds(999)));
  EXPECT_TRUE(n->output().empty());
  n->tick(t0 + milliseconds(1000));
  EXPECT_TRUE(n->closing());

  // Kept alive: idle_timeout between requests, then closed quietly.
  auto k = std::make_shared<HttpConnection>(h, limits(), stats, t0, nullptr);
  k->on_input("GET /sync HTTP/1.1\r\n\r\n", t0);
  k->consumed(k->output().size(), t0);
  EXPECT_FALSE(k->tick(t0 + milliseconds(4999)));
  EXPECT_TRUE(k->tick(t0 + milliseconds(5000)));
  EXPECT_TRUE(k->output().empty());
}

TEST(HttpConnection, UnreadOutputClosesAfterIdleTimeout) {
  TestHandler h;
  HttpConnStats stats;
  auto t0 = Clock::now();
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, t0, nullptr);
  std::string all;
  for (int i = 0; i < 500; ++i) all += "GET /sync HTTP/1.1\r\n\r\n";
  c->on_input(all, t0);
  EXPECT_FALSE(c->tick(t0 + milliseconds(4000)));
  EXPECT_TRUE(c->tick(t0 + milliseconds(5000)));
}

TEST(HttpConnection, BadRequestAnswered400ThenClosed) {
  TestHandler h;
  HttpConnStats stats;
  auto now = Clock::now();
  auto c = std::make_shared<HttpConnection>(h, limits(), stats, now, nullptr);
  c->on_input("NONSENSE\r\n\r\nGET /sync HTTP/1.1\r\n\r\n", now);
  EXPECT_EQ(count_of(c->output(), "HTTP/1.1 "), 1u);
  EXPECT_NE(c->output().find("400"), std::string::npos);
  EXPECT_EQ(h.n, 0);
  c->consumed(c->output().size(), now);
  EXPECT_TRUE(c->finished());
}

std::string token_config(const std::string& rights) {
  return "[[http.tokens]]\nname = \"desk\"\nsha256 = \"" + token_sha256_hex("secret-desk") +
         "\"\nrights = [" + rights + "]\n";
}

HttpRequest request(const std::string& method, const std::string& target, const std::string& auth = "") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  if (!auth.empty()) r.headers.emplace_back("authorization", auth);
  return r;
}

TEST(Access, TokensAndRights) {
  auto cfg = Config::parse(token_config("\"scan\", \"learn\""));
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac) << ac.error().message;
  std::string who;
  EXPECT_EQ(ac->check(request("POST", "/v1/learn", "Bearer secret-desk"), Right::kLearn, &who),
            Access::kAllowed);
  EXPECT_EQ(who, "desk");
  EXPECT_EQ(ac->check(request("POST", "/v1/learn", "bearer  secret-desk "), Right::kLearn), Access::kAllowed);
  EXPECT_EQ(ac->check(request("POST", "/v1/events", "Bearer secret-desk"), Right::kEvents),
            Access::kForbidden);
  EXPECT_EQ(ac->check(request("POST", "/v1/learn", "Bearer secret-desK"), Right::kLearn),
            Access::kUnauthorized);
  EXPECT_EQ(ac->check(request("POST", "/v1/learn", "Basic c2VjcmV0"), Right::kLearn), Access::kUnauthorized);
  // RFC 7617 Basic: the token is the password, any user name.
  EXPECT_EQ(
      ac->check(request("POST", "/v1/learn", "Basic a2FtYWlsaW86c2VjcmV0LWRlc2s="), Right::kLearn, &who),
      Access::kAllowed);
  EXPECT_EQ(ac->check(request("POST", "/v1/learn", "basic OnNlY3JldC1kZXNr"), Right::kLearn),
            Access::kAllowed);
  EXPECT_EQ(ac->check(request("POST", "/v1/events", "Basic azpzZWNyZXQtZGVzaw=="), Right::kEvents),
            Access::kForbidden);
  for (const char* bad : {"Basic c2VjcmV0LWRlc2s6", "Basic azpzZWNyZXQtZGVzSw==", "Basic !!!", "Basic ",
                          "Basic c2VjcmV0LWRlc2s="})
    EXPECT_EQ(ac->check(request("POST", "/v1/learn", bad), Right::kLearn), Access::kUnauthorized) << bad;
  EXPECT_EQ(ac->check(request("POST", "/v1/learn"), Right::kLearn), Access::kUnauthorized);
  EXPECT_EQ(ac->check(request("POST", "/v1/scan"), Right::kScan), Access::kUnauthorized);

  // None configured: scan and read open, writes refused.
  AccessControl open;
  EXPECT_EQ(open.check(request("POST", "/v1/scan"), Right::kScan), Access::kAllowed);
  EXPECT_EQ(open.check(request("GET", "/v1/reputation/ip:1.2.3.4"), Right::kRead), Access::kAllowed);
  for (Right r : {Right::kLearn, Right::kEvents, Right::kReports, Right::kOverride, Right::kCalls})
    EXPECT_EQ(open.check(request("POST", "/v1/x", "Bearer secret-desk"), r), Access::kForbidden);

  // Bad entries name what is wrong.
  for (const std::string& bad :
       {std::string("[[http.tokens]]\nname = \"a\"\nsha256 = \"abc\"\nrights = [\"scan\"]\n"),
        std::string("[[http.tokens]]\nsha256 = \"") + token_sha256_hex("x") + "\"\nrights = [\"scan\"]\n",
        token_config("\"scan\", \"root\""), token_config(""),
        token_config("\"scan\"") + token_config("\"read\""), token_config("\"scan\"") + "comment = 1\n",
        std::string("[http]\ntokens = \"x\"\n")}) {
    auto c = Config::parse(bad);
    ASSERT_TRUE(c) << bad;
    // A bad value fails from(); a key no reader knows fails Config::finish(),
    // which rampartd runs after every reader (strict configuration).
    const bool from_ok = static_cast<bool>(AccessControl::from(*c));
    EXPECT_FALSE(from_ok && c->finish()) << bad;
  }
  {
    auto c = Config::parse(token_config("\"scan\"") + "comment = 1\n");
    ASSERT_TRUE(c);
    ASSERT_TRUE(AccessControl::from(*c));
    auto st = c->finish();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("http.tokens[0].comment: unknown key"), std::string::npos)
        << st.error().message;
  }
  auto t1 = new_token(), t2 = new_token();
  ASSERT_TRUE(t1 && t2);
  EXPECT_NE(*t1, *t2);
  EXPECT_EQ(t1->size(), 68u);
  EXPECT_EQ(token_sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Router, MethodsPathsAndRights) {
  auto cfg = Config::parse(token_config("\"read\""));
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac);
  Router r(std::move(*ac));
  int learned = 0;
  std::string id;
  r.add("POST", "/v1/learn", Right::kLearn, [&](HttpRequest&, std::string_view, HttpRespond done) {
    ++learned;
    done(HttpReply{200, "{}"});
  });
  r.add("GET", "/healthz", std::nullopt, [](HttpRequest&, std::string_view, HttpRespond done) {
    done(HttpReply{200, "ok"});
  });
  r.add(
      "GET", "/v1/reputation/", Right::kRead,
      [&](HttpRequest&, std::string_view rest, HttpRespond done) {
        id = std::string(rest);
        done(HttpReply{200, "rep"});
      },
      Router::kPrefix);
  auto call = [&](HttpRequest req) {
    int status = 0;
    r.handle(std::move(req), [&](HttpReply rep) { status = rep.status; });
    return status;
  };
  EXPECT_EQ(call(request("GET", "/healthz")), 200);
  EXPECT_EQ(call(request("GET", "/nope")), 404);
  EXPECT_EQ(call(request("GET", "/v1/learn", "Bearer secret-desk")), 405);
  EXPECT_EQ(call(request("POST", "/v1/learn")), 401);
  EXPECT_EQ(call(request("POST", "/v1/learn", "Bearer wrong")), 401);
  EXPECT_EQ(call(request("POST", "/v1/learn", "Bearer secret-desk")), 403);
  EXPECT_EQ(learned, 0);  // nothing ran
  EXPECT_EQ(call(request("GET", "/v1/reputation/ip:192.0.2.1?counters=1")), 401);
  EXPECT_EQ(call(request("GET", "/v1/reputation/ip:192.0.2.1?counters=1", "Bearer secret-desk")), 200);
  EXPECT_EQ(id, "ip:192.0.2.1");
  EXPECT_EQ(r.unauthorized(), 3u);
  EXPECT_EQ(r.forbidden(), 1u);
  EXPECT_EQ(r.timeout_reply("/x").status, 503);
}

// GCRA: a burst of B at once, then one per interval; a refusal says how long
// to wait and does not count.
TEST(RateLimit, BurstThenOnePerInterval) {
  RateLimit l(10, 3);  // 10 per second: one per 100 ms, 3 at once
  const int64_t t0 = 1'000'000'000;
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(l.admit(t0)) << k;
  int64_t wait = 0;
  EXPECT_FALSE(l.admit(t0, &wait));
  EXPECT_EQ(wait, 100'000'000);
  EXPECT_FALSE(l.admit(t0 + 99'999'999, &wait));
  EXPECT_EQ(wait, 1);
  EXPECT_TRUE(l.admit(t0 + 100'000'000));
  EXPECT_FALSE(l.admit(t0 + 100'000'000));
  // Idle for long: the burst is back, not more.
  const int64_t t1 = t0 + 60'000'000'000;
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(l.admit(t1)) << k;
  EXPECT_FALSE(l.admit(t1));
}

// Every loop shares a token's limit: threads racing at one instant get
// exactly the burst between them.
TEST(RateLimit, SharedByThreadsExactly) {
  RateLimit l(1, 1000);
  std::atomic<int> admitted{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int k = 0; k < 5000; ++k)
        if (l.admit(5'000'000'000)) admitted.fetch_add(1);
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(admitted.load(), 1000);
}

TEST(Access, TokenRatesFromConfig) {
  const std::string slow = token_config("\"scan\", \"calls\"") + "rate = 2\nburst = 3\n" +
                           "[[http.tokens]]\nname = \"mta\"\nsha256 = \"" + token_sha256_hex("secret-mta") +
                           "\"\nrights = [\"scan\"]\n";
  auto cfg = Config::parse(slow);
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac) << ac.error().message;
  ASSERT_TRUE(cfg->finish());
  // Forbidden requests do not count against the rate.
  for (int k = 0; k < 10; ++k)
    EXPECT_EQ(ac->check(request("POST", "/v1/learn", "Bearer secret-desk"), Right::kLearn),
              Access::kForbidden);
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(ac->check(request("POST", "/v1/calls", "Bearer secret-desk"), Right::kCalls), Access::kAllowed)
        << k;
  int64_t retry = 0;
  std::string who;
  EXPECT_EQ(ac->check(request("POST", "/v1/scan", "Bearer secret-desk"), Right::kScan, &who, &retry),
            Access::kRateLimited);
  EXPECT_EQ(who, "desk");
  EXPECT_EQ(retry, 1);  // a wait under a second is Retry-After: 1
  // Another token is not held back; audit names are read without counting.
  for (int k = 0; k < 50; ++k)
    EXPECT_EQ(ac->check(request("POST", "/v1/scan", "Bearer secret-mta"), Right::kScan), Access::kAllowed);
  EXPECT_EQ(ac->token_name(request("POST", "/v1/scan", "Bearer secret-desk")), "desk");
  EXPECT_EQ(ac->token_name(request("POST", "/v1/scan", "Bearer nope")), "");

  for (const std::string& bad :
       {token_config("\"scan\"") + "rate = 0\n", token_config("\"scan\"") + "rate = -1\n",
        token_config("\"scan\"") + "rate = \"fast\"\n", token_config("\"scan\"") + "rate = 5\nburst = 0.5\n",
        token_config("\"scan\"") + "burst = 10\n"}) {
    auto c = Config::parse(bad);
    ASSERT_TRUE(c) << bad;
    EXPECT_FALSE(AccessControl::from(*c)) << bad;
  }
}

TEST(Router, TokenOverItsRateGets429WithRetryAfter) {
  auto cfg = Config::parse(token_config("\"calls\"") + "rate = 0.5\nburst = 2\n");
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac);
  Router r(std::move(*ac));
  int ran = 0;
  r.add("POST", "/v1/calls", Right::kCalls, [&](HttpRequest&, std::string_view, HttpRespond done) {
    ++ran;
    done(HttpReply{200, "{}"});
  });
  std::vector<HttpReply> got;
  for (int k = 0; k < 4; ++k)
    r.handle(request("POST", "/v1/calls", "Bearer secret-desk"), [&](HttpReply rep) { got.push_back(rep); });
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[1].status, 200);
  EXPECT_EQ(got[2].status, 429);
  EXPECT_EQ(got[3].status, 429);
  EXPECT_EQ(ran, 2);                                // the handler did not run for the refused ones
  EXPECT_EQ(got[2].headers, "Retry-After: 2\r\n");  // one per 2 s
  EXPECT_NE(got[2].body.find("rate"), std::string::npos);
  EXPECT_EQ(r.rate_limited(), 2u);
}

// SIGHUP's new tokens (set_access) apply to the next request on every
// thread, though each thread keeps its own copy of them; two routers on one
// thread keep theirs apart.
TEST(Router, NewTokensApplyToTheNextRequestOnEveryThread) {
  auto make = [](const std::string& rights) {
    auto cfg = Config::parse(token_config(rights));
    auto ac = AccessControl::from(*cfg);
    return std::move(*ac);
  };
  Router r(make("\"read\""));
  Router other;  // no token: reads open
  for (Router* x : {&r, &other})
    x->add(
        "GET", "/v1/reputation/", Right::kRead,
        [](HttpRequest&, std::string_view, HttpRespond done) {
          done(HttpReply{200, "rep"});
        },
        Router::kPrefix);
  auto call = [](Router& x, const std::string& auth) {
    int status = 0;
    x.handle(request("GET", "/v1/reputation/ip:192.0.2.1", auth),
             [&](HttpReply rep) { status = rep.status; });
    return status;
  };
  EXPECT_EQ(call(r, "Bearer secret-desk"), 200);
  EXPECT_EQ(call(other, ""), 200);
  EXPECT_EQ(call(r, ""), 401);
  r.set_access(make("\"scan\""));  // the desk token loses read
  EXPECT_EQ(call(r, "Bearer secret-desk"), 403);
  EXPECT_EQ(call(other, ""), 200);
  int on_thread = 0;
  std::thread([&] { on_thread = call(r, "Bearer secret-desk"); }).join();
  EXPECT_EQ(on_thread, 403);
  r.set_access(AccessControl{});  // no token at all: reads open
  EXPECT_EQ(call(r, ""), 200);
  std::thread([&] { on_thread = call(r, ""); }).join();
  EXPECT_EQ(on_thread, 200);
}

}  // namespace
}  // namespace rampart::server
