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
  explicit HttpServer(std::vector<int> statuses, bool silent = false)
      : statuses_(std::move(statuses)), silent_(silent) {
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
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
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
      std::string data;
      size_t need = std::string::npos;
      HttpRequest req;
      char buf[4096];
      while (data.size() < need && wait_in(c)) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
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
      (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::vector<int> statuses_;
  bool silent_;
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

  auto https = parse_webhook_url("https://127.0.0.1/x");
  ASSERT_FALSE(https);
  EXPECT_NE(https.error().message.find("https is not supported"), std::string::npos);
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
  o.webhook = "https://127.0.0.1/";
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
    for (const char* url : {"https://127.0.0.1/x", "ftp://127.0.0.1/", "http://127.0.0.1:99999/"}) {
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
