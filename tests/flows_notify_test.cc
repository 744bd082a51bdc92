// File: tests/flows_notify_test.cc
// RFC 6561 notification delivery (src/flows/notify.h) against a tiny HTTP
// server run by the test on 127.0.0.1 (port 0): body and headers, retries after
// a 500, a server that never answers (bounded by the timeout), the file, and
// `rampart flows detect --notify-file --notify-webhook` end to end on a CTU-13
// sample.
#include "flows/notify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "flows_process.h"

namespace rampart::flows {
namespace {

struct HttpRequest {
  std::string request_line;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// One thread accepting on 127.0.0.1:0; each connection's request is read
// whole (headers + Content-Length body) and recorded, then answered with the
// next status of `statuses` (the last one repeats) — or, when `silent`, never
// answered (held open until the server stops).
class HttpServer {
 public:
  // tls: answer over TLS with this server context (https tests).
  explicit HttpServer(std::vector<int> statuses, bool silent = false, SSL_CTX* tls = nullptr)
      : statuses_(std::move(statuses)), silent_(silent), tls_(tls) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      ADD_FAILURE() << "test server: bind/listen failed";
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~HttpServer() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }
  // TLS handshakes that failed (the client refused the certificate).
  int handshake_failures() const { return handshake_failures_; }
  // Waits (bounded) until n requests were recorded.
  bool wait_for(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, limit, [&] { return requests_.size() >= n; });
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  bool wait_in(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;  // 20 ms: how often stop_ is checked
    }
    return false;
  }
  void loop() {
    size_t answered = 0;
    while (wait_in(fd_)) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::unique_ptr<SSL, void (*)(SSL*)> ssl(nullptr, SSL_free);
      if (tls_) {
        timeval tv{5, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssl.reset(SSL_new(tls_));
        SSL_set_fd(ssl.get(), c);
        if (SSL_accept(ssl.get()) != 1) {
          handshake_failures_++;
          ::close(c);
          continue;
        }
      }
      auto recv_some = [&](char* b, size_t n) -> ssize_t {
        if (ssl) return SSL_read(ssl.get(), b, static_cast<int>(n));
        return ::recv(c, b, n, 0);
      };
      auto readable = [&] { return (ssl && SSL_pending(ssl.get()) > 0) || wait_in(c); };
      std::string data;
      size_t need = std::string::npos;
      HttpRequest req;
      char buf[4096];
      while (data.size() < need && readable()) {
        const ssize_t n = recv_some(buf, sizeof buf);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        const size_t end = data.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          std::string head = data.substr(0, end + 2);
          size_t pos = head.find("\r\n");
          req.request_line = head.substr(0, pos);
          for (pos += 2; pos < head.size();) {
            const size_t eol = head.find("\r\n", pos);
            const std::string line = head.substr(pos, eol - pos);
            const size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            while (!value.empty() && value[0] == ' ') value.erase(0, 1);
            req.headers[name] = value;
            pos = eol + 2;
          }
          need =
              end + 4 + (req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0);
        }
      }
      if (need != std::string::npos && data.size() >= need) req.body = data.substr(data.find("\r\n\r\n") + 4);
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(req);
      }
      cv_.notify_all();
      if (silent_) {
        held_.push_back(c);
        continue;
      }
      const int status = statuses_[std::min(answered++, statuses_.size() - 1)];
      const std::string resp = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                               "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      if (ssl) {
        (void)SSL_write(ssl.get(), resp.data(), static_cast<int>(resp.size()));
        SSL_shutdown(ssl.get());
      } else {
        (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  std::vector<int> statuses_;
  bool silent_;
  SSL_CTX* tls_ = nullptr;
  std::atomic<int> handshake_failures_{0};
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
};

std::string temp_dir() {
  std::string t = (std::filesystem::temp_directory_path() / "rampart-notify-XXXXXX").string();
  const char* d = ::mkdtemp(t.data());
  EXPECT_NE(d, nullptr);
  return t;
}

TEST(WebhookUrl, Parses) {
  auto u = parse_webhook_url("http://127.0.0.1:8080/a/b?c=d");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/a/b?c=d");
  EXPECT_EQ(u->host_header, "127.0.0.1:8080");
  u = parse_webhook_url("http://example.net");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/");
  u = parse_webhook_url("http://[::1]:81/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->host_header, "[::1]:81");

  auto https = parse_webhook_url("https://hooks.example/x");
  ASSERT_TRUE(https);
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->host_header, "hooks.example:443");
  https = parse_webhook_url("https://[::1]:8443/");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->port, 8443);
  EXPECT_FALSE(parse_webhook_url("https:/x"));
  for (const char* bad :
       {"ftp://h/", "127.0.0.1:80/", "http://", "http://:80/", "http://h:0/", "http://h:65536/", "http://h:/",
        "http://h:8x/", "http://u@h/", "http://[::1/", "http://h/a b"})
    EXPECT_FALSE(parse_webhook_url(bad)) << bad;
}

TEST(Notifier, PostsBodyWithHeadersAndAppendsToFile) {
  HttpServer srv({200});
  const std::string dir = temp_dir();
  const std::string file = dir + "/incidents.jsonl";
  {
    std::ofstream pre(file);
    pre << "{\"earlier\":1}\n";  // O_APPEND: kept
  }
  NotifyOptions o;
  o.file = file;
  o.fsync = true;
  o.webhook = srv.url("/hook?k=1");
  auto n = Notifier::open(o);
  ASSERT_TRUE(n) << n.error().message;
  const std::string a = R"({"type":"bot-notification","rfc":6561,"subscriber_ip":"192.0.2.7"})";
  const std::string b = R"({"type":"bot-notification","rfc":6561,"subscriber_ip":"2001:db8::7"})";
  (*n)->notify(a);
  (*n)->notify(b);
  ASSERT_TRUE(srv.wait_for(2));
  EXPECT_EQ((*n)->pending(), 0u);
  EXPECT_EQ((*n)->stats().webhook_delivered, 2u);
  EXPECT_EQ((*n)->stats().webhook_failures, 0u);
  EXPECT_EQ((*n)->stats().file_lines, 2u);
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].request_line, "POST /hook?k=1 HTTP/1.1");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(reqs[0].headers["content-length"], std::to_string(a.size()));
  EXPECT_EQ(reqs[0].headers["connection"], "close");
  EXPECT_EQ(reqs[0].headers["host"], "127.0.0.1:" + std::to_string(srv.port()));
  EXPECT_EQ(reqs[0].body, a);
  EXPECT_EQ(reqs[1].body, b);  // in order
  EXPECT_EQ(read_file(file), "{\"earlier\":1}\n" + a + "\n" + b + "\n");
  std::filesystem::remove_all(dir);
}

// A self-signed certificate for 127.0.0.1 made with the openssl command
// (Debian openssl), in dir/cert.pem and dir/key.pem; a server context for it.
SSL_CTX* tls_server(const std::string& dir, const std::string& san) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=rampart-test -addext subjectAltName=" +
      san + " -keyout " + dir + "/key.pem -out " + dir + "/cert.pem 2>" + dir + "/openssl.log";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "openssl req failed: " << read_file(dir + "/openssl.log");
    return nullptr;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_use_certificate_file(ctx, (dir + "/cert.pem").c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, (dir + "/key.pem").c_str(), SSL_FILETYPE_PEM) != 1) {
    ADD_FAILURE() << "server certificate not loaded";
    return nullptr;
  }
  return ctx;
}

// https: delivered when the certificate is trusted (--notify-ca) and names
// the host; refused (a failed attempt, retried later) when it is not trusted
// or names another host.
TEST(Notifier, HttpsWebhook) {
  const std::string dir = temp_dir();
  SSL_CTX* ctx = tls_server(dir, "IP:127.0.0.1");
  ASSERT_NE(ctx, nullptr);
  {
    HttpServer srv({200}, false, ctx);
    NotifyOptions o;
    o.webhook = srv.url("/rfc6561");
    o.tls_ca_file = dir + "/cert.pem";
    auto n = Notifier::open(o);
    ASSERT_TRUE(n) << n.error().message;
    (*n)->notify(R"({"type":"bot-notification"})");
    ASSERT_TRUE(srv.wait_for(1)) << (*n)->last_error();
    EXPECT_EQ((*n)->stats().webhook_delivered, 1u) << (*n)->last_error();
    auto reqs = srv.requests();
    EXPECT_EQ(reqs[0].request_line, "POST /rfc6561 HTTP/1.1");
    EXPECT_EQ(reqs[0].body, R"({"type":"bot-notification"})");
    // Not trusted: the system store does not know a self-signed certificate.
    NotifyOptions untrusted;
    untrusted.webhook = srv.url("/rfc6561");
    auto u = Notifier::open(untrusted);
    ASSERT_TRUE(u) << u.error().message;
    (*u)->notify("{}");
    EXPECT_EQ((*u)->stats().webhook_delivered, 0u);
    EXPECT_EQ((*u)->pending(), 1u);
    EXPECT_NE((*u)->last_error().find("certificate not accepted"), std::string::npos) << (*u)->last_error();
  }
  SSL_CTX_free(ctx);
  // A certificate for another name: refused even though trusted.
  const std::string dir2 = temp_dir();
  SSL_CTX* other = tls_server(dir2, "DNS:elsewhere.example");
  ASSERT_NE(other, nullptr);
  {
    HttpServer srv({200}, false, other);
    NotifyOptions o;
    o.webhook = srv.url("/rfc6561");
    o.tls_ca_file = dir2 + "/cert.pem";
    auto n = Notifier::open(o);
    ASSERT_TRUE(n) << n.error().message;
    (*n)->notify("{}");
    EXPECT_EQ((*n)->stats().webhook_delivered, 0u);
    EXPECT_NE((*n)->last_error().find("certificate not accepted"), std::string::npos) << (*n)->last_error();
  }
  SSL_CTX_free(other);
  // Configuration errors at open().
  NotifyOptions bad_ca;
  bad_ca.webhook = "https://127.0.0.1:1/x";
  bad_ca.tls_ca_file = dir + "/missing.pem";
  EXPECT_FALSE(Notifier::open(bad_ca));
  NotifyOptions ca_without_tls;
  ca_without_tls.webhook = "http://127.0.0.1:1/x";
  ca_without_tls.tls_ca_file = dir + "/cert.pem";
  EXPECT_FALSE(Notifier::open(ca_without_tls));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir2);
}

TEST(Notifier, RetriesAfter500WithBackoff) {
  HttpServer srv({500, 503, 200});
  NotifyOptions o;
  o.webhook = srv.url();
  o.backoff_initial_ms = 300;
  o.backoff_max_ms = 300;
  auto n = Notifier::open(o);
  ASSERT_TRUE(n);
  (*n)->notify("{\"x\":1}");
  EXPECT_EQ((*n)->stats().webhook_failures, 1u);
  EXPECT_EQ((*n)->pending(), 1u);
  EXPECT_NE((*n)->last_error().find("HTTP 500"), std::string::npos) << (*n)->last_error();
  (*n)->notify("{\"x\":2}");  // queued behind the first
  EXPECT_EQ((*n)->pending(), 2u);
  ASSERT_TRUE((*n)->drain(std::chrono::seconds(10)));
  EXPECT_EQ((*n)->stats().webhook_failures, 2u);
  EXPECT_EQ((*n)->stats().webhook_delivered, 2u);
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].body, "{\"x\":1}");
  EXPECT_EQ(reqs[1].body, "{\"x\":1}");
  EXPECT_EQ(reqs[2].body, "{\"x\":1}");
  EXPECT_EQ(reqs[3].body, "{\"x\":2}");
}

TEST(Notifier, BoundedQueueAndAttempts) {
  HttpServer srv({500});
  NotifyOptions o;
  o.webhook = srv.url();
  o.backoff_initial_ms = 1;
  o.backoff_max_ms = 2;
  o.max_queue = 2;
  o.max_attempts = 2;
  auto n = Notifier::open(o);
  ASSERT_TRUE(n);
  for (int i = 0; i < 3; ++i) (*n)->notify("{\"i\":" + std::to_string(i) + "}");
  EXPECT_LE((*n)->pending(), 2u);
  EXPECT_TRUE((*n)->drain(std::chrono::seconds(10)));  // everything given up after 2 attempts
  EXPECT_EQ((*n)->stats().webhook_delivered, 0u);
  EXPECT_EQ((*n)->stats().webhook_dropped, 3u);
}

TEST(Notifier, ServerThatNeverAnswersCostsOneTimeout) {
  HttpServer srv({200}, /*silent=*/true);
  NotifyOptions o;
  o.webhook = srv.url();
  o.timeout_ms = 300;
  o.backoff_initial_ms = 60000;
  auto n = Notifier::open(o);
  ASSERT_TRUE(n);
  const auto t0 = Clock::now();
  (*n)->notify("{\"slow\":1}");
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(250));  // it waited for the answer (no upper bound: load)
  EXPECT_EQ((*n)->stats().webhook_timeouts, 1u);
  EXPECT_EQ((*n)->pending(), 1u);
  EXPECT_NE((*n)->last_error().find("no response"), std::string::npos) << (*n)->last_error();
  ASSERT_TRUE(srv.wait_for(1));
  EXPECT_EQ(srv.requests()[0].body, "{\"slow\":1}");  // it got there; the answer never came
  // drain() is bounded by its limit even with the backoff far away.
  EXPECT_FALSE((*n)->drain(std::chrono::milliseconds(200)));  // returns: the backoff is 60 s away
}

TEST(Notifier, RefusedConnectionIsAFailureNotAnError) {
  const uint16_t port = free_port(SOCK_STREAM);  // nothing listens there
  NotifyOptions o;
  o.webhook = "http://127.0.0.1:" + std::to_string(port) + "/";
  o.timeout_ms = 1000;
  auto n = Notifier::open(o);
  ASSERT_TRUE(n);
  (*n)->notify("{}");
  EXPECT_EQ((*n)->stats().webhook_failures, 1u);
  EXPECT_EQ((*n)->stats().webhook_timeouts, 0u);
  EXPECT_EQ((*n)->pending(), 1u);
}

TEST(Notifier, OpenErrors) {
  NotifyOptions o;
  o.webhook = "gopher://127.0.0.1/";
  EXPECT_FALSE(Notifier::open(o));
  o.webhook.clear();
  o.file = "/nonexistent-dir/x.jsonl";
  auto n = Notifier::open(o);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::kIo);
}

#ifdef RAMPART_CLI
// Runs argv; stdout and stderr to separate strings. Bounded (30 s).
int run_split(const std::vector<std::string>& argv, std::string& out, std::string& err,
              const std::string& dir) {
  const std::string o = dir + "/stdout", e = dir + "/stderr";
  std::filesystem::remove(o);
  std::filesystem::remove(e);
  Proc p;
  p.pid = ::fork();
  if (p.pid == 0) {
    const int fo = ::open(o.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int fe = ::open(e.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int rc = p.wait(std::chrono::seconds(30));
  out = read_file(o);
  err = read_file(e);
  return rc;
}

const std::vector<std::string> kDetect = {RAMPART_CLI,
                                          "flows",
                                          "detect",
                                          "--input",
                                          "tests/data/flows/ctu13-1-capture20110810.binetflow",
                                          "--format",
                                          "binetflow",
                                          "--subscribers",
                                          "147.32.0.0/16",
                                          "--json"};

TEST(NotifyCli, DetectDeliversToWebhookAndFile) {
  const std::string dir = temp_dir();
  std::string plain, plain_err;
  ASSERT_EQ(run_split(kDetect, plain, plain_err, dir), 0) << plain_err;
  ASSERT_NE(plain.find("\"host\":\"147.32.84.165\""), std::string::npos) << plain;

  HttpServer srv({500, 200});  // the first POST fails: the CLI retries before it exits
  auto argv = kDetect;
  const std::string file = dir + "/incidents.jsonl";
  for (const std::string& s :
       {std::string("--notify-file"), file, std::string("--notify-webhook"), srv.url("/rfc6561")})
    argv.push_back(s);
  std::string out, err;
  ASSERT_EQ(run_split(argv, out, err, dir), 0) << err;
  EXPECT_EQ(out, plain);                                                             // stdout unchanged
  const auto n = static_cast<size_t>(std::count(plain.begin(), plain.end(), '\n'));  // one per incident
  ASSERT_GE(n, 1u);
  const std::string k = std::to_string(n);
  EXPECT_NE(err.find("rampart flows: notify: notifications=" + k + " file_lines=" + k + " file_errors=0 "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("webhook_delivered=" + k + " webhook_failures=1 "), std::string::npos) << err;

  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), n + 1);  // the first one twice (500, then 200)
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  std::string expect_file;
  for (size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].request_line, "POST /rfc6561 HTTP/1.1");
    EXPECT_EQ(reqs[i].headers["content-type"], "application/json");
    EXPECT_EQ(reqs[i].headers["content-length"], std::to_string(reqs[i].body.size()));
    EXPECT_EQ(reqs[i].headers["connection"], "close");
    const std::string& body = reqs[i].body;
    EXPECT_EQ(body.rfind("{\"type\":\"bot-notification\",\"rfc\":6561,", 0), 0u) << body;
    EXPECT_NE(body.find("\"subscriber_ip\":\"147.32.84.165\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"recommended_step\":"), std::string::npos) << body;
    EXPECT_NE(body.find("\"evidence\":{"), std::string::npos) << body;
    expect_file += body + "\n";
  }
  EXPECT_EQ(read_file(file), expect_file);
  std::filesystem::remove_all(dir);
}

TEST(NotifyCli, BadWebhookUrlIsAUsageError) {
  const std::string dir = temp_dir();
  for (const std::string sub : {"detect", "collect"}) {
    for (const char* url : {"https:/127.0.0.1/x", "ftp://127.0.0.1/", "http://127.0.0.1:99999/"}) {
      std::vector<std::string> argv = {RAMPART_CLI,        "flows", sub, "--subscribers", "147.32.0.0/16",
                                       "--notify-webhook", url};
      if (sub == "detect")
        for (const char* s :
             {"--input", "tests/data/flows/ctu13-1-capture20110810.binetflow", "--format", "binetflow"})
          argv.push_back(s);
      else
        for (const char* s : {"--listen", "127.0.0.1:0", "--max-seconds", "1"}) argv.push_back(s);
      std::string out, err;
      EXPECT_EQ(run_split(argv, out, err, dir), 2) << sub << " " << url << ": " << err;
      EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
      EXPECT_NE(err.find("--notify-webhook"), std::string::npos) << err;
      EXPECT_TRUE(out.empty()) << out;
    }
  }
  std::string out, err;
  auto argv = kDetect;
  argv.push_back("--notify-file");
  argv.push_back("/nonexistent-dir/x.jsonl");
  EXPECT_EQ(run_split(argv, out, err, dir), 2) << err;
  EXPECT_NE(err.find("--notify-file"), std::string::npos) << err;
  std::filesystem::remove_all(dir);
}
#else
TEST(NotifyCli, BuiltWithoutTheCli) { FAIL() << "RAMPART_CLI not defined: the rampart binary is not built"; }
#endif

}  // namespace
}  // namespace rampart::flows
