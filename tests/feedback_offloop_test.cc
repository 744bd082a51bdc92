// File: tests/feedback_offloop_test.cc
// Issue 11, "no blocking call on a loop thread": the content model's reload
// on SIGHUP and learning without reputation run off the event loops. Runs
// the real server::Server (HTTP API, scan pipeline with the content check,
// policy::Feedback without a store) on 127.0.0.1 port 0 with two loops, and
// makes the slow operation really slow with a named pipe (no test double):
//   Reload  the model file replaced by a FIFO, then SIGHUP: the reload's
//           open() blocks until the test opens the FIFO's other end;
//   Learn   save_interval_s = 0 (a save after each learnt message) and a FIFO
//           where the save writes its temporary file (model + ".tmp." +
//           pid): the save's open() blocks until the test reads the FIFO.
// While each is blocked (it stays blocked until the test releases it, after
// the scans), scans (which use the content model) are answered within 2.5 s
// and a 10 ms probe posted to the loops never waits 2.5 s. Loose bounds for
// a shared machine (load 16 on 2 cores: scheduling alone added up to 1.1 s
// in one of 12 runs; typical 0.1-400 ms); a loop blocked by the operation
// fails both by far: its scans get no answer before their 5 s timeout;
// then the test releases the FIFO and the operation completes (counted in
// rampart_classify_errors_total: a FIFO is not a model file, nor a place a
// save can fsync). With the old code (the reload or the learning on the
// loop) the scans wait for the FIFO and the test fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "core/executor.h"
#include "dns/zone_resolver.h"
#include "e2e_support.h"
#include "policy/feedback.h"
#include "policy/policy.h"
#include "policy/throttle.h"
#include "server/http/access.h"
#include "server/http/feedback_routes.h"
#include "server/http/router.h"
#include "server/server.h"

namespace rampart {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

const std::string kToken = "feedback-offloop-token";

std::string message(int i) {
  return "From: alice@good.test\r\nTo: bob@example.net\r\nSubject: hello " + std::to_string(i) +
         "\r\nMessage-ID: <" + std::to_string(i) + "@good.test>\r\n\r\nHello Bob, see you at " +
         std::to_string(i) + ".\r\n";
}

std::string scan_request(int i) {
  const std::string body = message(i);
  return "POST /v1/scan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
         "\r\nX-Client-IP: 192.0.2.1\r\nX-Helo: mx.good.test\r\nX-Mail-From: alice@good.test\r\n"
         "X-Rcpt-To: bob@example.net\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string learn_request(int i, const char* label) {
  const std::string body = message(i);
  return "POST /v1/learn HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken + "\r\nX-Label: " + label +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int status_of(const std::string& r) { return r.size() > 12 ? std::atoi(r.c_str() + 9) : 0; }

long ms_since(Steady::time_point t0) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count());
}

double metric(const std::string& text, const std::string& name) {
  const size_t p = text.find("\n" + name + " ");
  return p == std::string::npos ? -1 : std::strtod(text.c_str() + p + name.size() + 2, nullptr);
}

// A real server::Server with two loops over a Feedback without a store.
class FeedbackOffLoop : public ::testing::Test {
 protected:
  static constexpr size_t kLoops = 2;
  SystemClock clock;
  dns::ZoneResolver resolvers[kLoops];
  policy::PolicyConfig pcfg;
  policy::FeedbackConfig fcfg;
  std::shared_ptr<policy::Feedback> fb;
  std::shared_ptr<policy::Throttle> throttle;
  server::AccessControl access;
  std::unique_ptr<server::Router> router;
  std::unique_ptr<server::Server> srv;
  server::Server::PipelineFactory pipes;
  std::thread runner;
  std::string dir;
  uint16_t port = 0;
  std::atomic<bool> probing{false};
  std::atomic<long> max_lag_us{0}, probes{0};
  std::thread prober;

  void start() {
    dir = ::testing::TempDir() + "/feedback_offloop." + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    pcfg.authserv_id = "mx.example.net";
    pcfg.per_ip.enabled = pcfg.per_net.enabled = false;
    fcfg.reputation = false;
    fcfg.model = dir + "/model.bin";
    fcfg.min_learned = 0;
    fb = std::make_shared<policy::Feedback>(fcfg, clock, pcfg.authserv_id);
    ASSERT_TRUE(fb->load_model());  // no file yet: a fresh model
    ASSERT_NE(fb->classifier(), nullptr);
    throttle = std::make_shared<policy::Throttle>(clock);
    pipes = [this](dns::Resolver& r) {
      auto p = policy::Pipeline::create(pcfg, r, clock, throttle);
      fb->add_checks(*p);
      return p;
    };
    server::ApiToken t;
    t.name = "test";
    SHA256(reinterpret_cast<const unsigned char*>(kToken.data()), kToken.size(), t.sha256.data());
    t.rights = static_cast<uint32_t>(server::Right::kScan) | static_cast<uint32_t>(server::Right::kLearn);
    access.add(t);
    router = std::make_unique<server::Router>(access);
    server::add_feedback_routes(*router, fb);
    server::ServerOptions so;
    so.milter_listen = "127.0.0.1:0";
    so.http_listen = "127.0.0.1:0";
    so.loops = kLoops;
    // SIGHUP: what rampartd's Daemon::reload() does with the model.
    auto s = server::Server::create(
        so, {&resolvers[0], &resolvers[1]}, pipes,
        [this]() -> Result<server::Server::PipelineFactory> {
          fb->reload_model_off_loop();
          return pipes;
        },
        [this] { return fb->metrics(); }, router.get());
    ASSERT_TRUE(s) << s.error().message;
    srv = std::move(*s);
    runner = std::thread([this] { srv->run(); });
    port = srv->http_port();
    // Warm: a scan with the content check.
    const std::string r = e2e::http(port, scan_request(0));
    ASSERT_EQ(status_of(r), 200) << r;
  }
  // Every 10 ms a function posted to each loop in turn; its lag is how long it waited to run.
  void start_probe() {
    probing = true;
    prober = std::thread([this] {
      auto next = Steady::now();
      for (size_t turn = 0; probing; ++turn) {
        next += 10ms;
        std::this_thread::sleep_until(next);
        const auto posted = Steady::now();
        srv->executor(turn % kLoops).post([posted, this] {
          const long lag = static_cast<long>(
              std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - posted).count());
          long m = max_lag_us.load();
          while (lag > m && !max_lag_us.compare_exchange_weak(m, lag)) {
          }
          ++probes;
        });
      }
    });
  }
  void stop_probe() {
    probing = false;
    if (prober.joinable()) prober.join();
  }
  // Scans while the slow operation is blocked, each answered in time, until
  // the probe has run 30 times (at most 10 s).
  long worst_scan() {
    long worst = 0;
    const auto deadline = Steady::now() + 10s;
    for (int i = 1; probes.load() < 30 && Steady::now() < deadline; ++i) {
      const auto t0 = Steady::now();
      const std::string r = e2e::http(port, scan_request(i), 5);
      EXPECT_EQ(status_of(r), 200) << r;
      worst = std::max(worst, ms_since(t0));
    }
    return worst;
  }
  double errors() {
    return metric(e2e::http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
                  "rampart_classify_errors_total");
  }
  void TearDown() override {
    stop_probe();
    if (srv) srv->stop();
    if (runner.joinable()) runner.join();
    srv.reset();
    fb.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

TEST_F(FeedbackOffLoop, ModelReloadOnSighupDoesNotHoldScans) {
  start();
  ASSERT_EQ(errors(), 0);
  // The model file becomes a FIFO: the reload's open() waits for a writer.
  ASSERT_EQ(::mkfifo(fcfg.model.c_str(), 0644), 0);
  start_probe();
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  // The reload is under way and blocked (nothing counted yet) ...
  const long worst = worst_scan();
  EXPECT_EQ(errors(), 0) << "the reload finished before the FIFO was opened";
  stop_probe();
  EXPECT_LT(worst, 2500) << "scans waited for the model reload";
  EXPECT_GE(probes.load(), 30);
  EXPECT_LT(max_lag_us.load(), 2500000) << "a loop stalled during the model reload";
  // ... until the other end opens: the worker reads, and refuses a FIFO as a
  // model file (the old model stays in use).
  const int fd = ::open(fcfg.model.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << "no reader: the reload never opened the model file";
  ::close(fd);
  EXPECT_TRUE(e2e::poll_until([&] { return errors() == 1; }, 10s)) << errors();
  const std::string r = e2e::http(port, scan_request(99));
  EXPECT_EQ(status_of(r), 200) << r;
  std::printf(
      "model reload blocked on a FIFO: worst scan %ld ms, loop probe lag max %.1f ms over %ld probes\n",
      worst, static_cast<double>(max_lag_us.load()) / 1000, probes.load());
}

TEST_F(FeedbackOffLoop, LearningWithoutReputationDoesNotHoldScans) {
  fcfg.save_interval_s = 0;  // a save after every learnt message
  start();
  // Where the save writes its temporary file (classify::Model::save): a FIFO,
  // so the save's open() waits for a reader.
  const std::string tmp = fcfg.model + ".tmp." + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(tmp.c_str(), 0644), 0);
  start_probe();
  std::atomic<bool> answered{false};
  std::string learn_answer;
  std::thread learner([&] {
    learn_answer = e2e::http(port, learn_request(7, "spam"), 30);
    answered = true;
  });
  const long worst = worst_scan();
  EXPECT_FALSE(answered.load()) << "the learn request finished before the save could: " << learn_answer;
  stop_probe();
  EXPECT_LT(worst, 2500) << "scans waited for the learning (and its save)";
  EXPECT_GE(probes.load(), 30);
  EXPECT_LT(max_lag_us.load(), 2500000) << "a loop stalled during the learning";
  // The reader end: the save writes into it, then fails at fsync (a FIFO).
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  char buf[65536];
  const auto deadline = Steady::now() + 10s;
  while (!answered && Steady::now() < deadline) {
    if (::read(fd, buf, sizeof buf) <= 0) std::this_thread::sleep_for(1ms);  // poll interval
  }
  ::close(fd);
  learner.join();
  EXPECT_EQ(status_of(learn_answer), 200) << learn_answer;
  EXPECT_NE(learn_answer.find("\"learned\": true"), std::string::npos) << learn_answer;
  std::printf(
      "learning with a save blocked on a FIFO: worst scan %ld ms, loop probe lag max %.1f ms over %ld "
      "probes\n",
      worst, static_cast<double>(max_lag_us.load()) / 1000, probes.load());
}

}  // namespace
}  // namespace rampart
