// File: tests/rampartd_milter_dkim_test.cc
// DKIM over messages larger than [policy] max_scan_bytes through a real
// rampartd (issue 11): the milter protocol over a loopback socket, as
// Postfix speaks it (NR_BODY, 64 KiB body chunks), max_scan_bytes at its
// default (10 MiB), DNS from a master file. The body hashes stream over the
// whole body, so a DKIM-signed 12 MiB message gets dkim=pass and DMARC
// passes on it (the sender's SPF fails: DKIM is its only alignment, under
// p=reject); one byte changed past the cap fails DKIM and DMARC rejects; a
// signature with l= over the cap passes with content appended after l=.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "e2e_support.h"
#include "server/milter/codec.h"

namespace rampart {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr size_t kMiB = size_t{1} << 20;

const char* kHead =
    "From: Alice <alice@signed.test>\r\nTo: bob@example.net\r\nSubject: big\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <big@signed.test>\r\n\r\n";

std::string body(size_t bytes) {
  std::string b;
  b.reserve(bytes + 64);
  for (size_t i = 0; b.size() < bytes; ++i)
    b += "line " + std::to_string(i) + " of a message over the cap\r\n";
  return b;
}

bool send_all(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

class MilterClient {
 public:
  explicit MilterClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~MilterClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool send(const milter::Command& c) { return send_all(fd_, milter::encode_command(c)); }
  std::optional<milter::Reply> reply(milliseconds limit) {
    return e2e::read_milter_reply(fd_, framer_, limit);
  }

 private:
  int fd_ = -1;
  milter::Framer framer_;
};

// What rampartd answered at end of message.
struct Outcome {
  bool complete = false;  // a final reply arrived
  std::string auth_results;
  std::string reply_code;  // REPLYCODE text, if any
};

// utime + stime of a process, in ms (/proc/PID/stat fields 14 and 15).
double cpu_ms(pid_t pid) {
  const std::string stat = e2e::slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  unsigned long long utime = 0, stime = 0;
  // After "(comm)": state and fields 4-13, then utime (14) and stime (15).
  if (std::sscanf(stat.c_str() + close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                  &stime) != 2)
    return 0;
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct RampartdMilterDkim : ::testing::Test {
  std::string tmp;
  e2e::Child child;
  uint16_t milter_port = 0, http_port = 0;
  dkim::PrivateKey key;

  void SetUp() override {
    const char* bin = std::getenv("RAMPARTD_BIN");
    ASSERT_NE(bin, nullptr) << "RAMPARTD_BIN not set (tests/rampartd.cmake sets it)";
    key = *dkim::load_private_key(dkim::testing::generate_pem(dkim::KeyType::kEd25519));
    tmp = ::testing::TempDir() + "/rampartd_milter_dkim." + std::to_string(::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp + "/data");
    std::ofstream(tmp + "/zone") << "$ORIGIN signed.test.\n$TTL 300\n"
                                 << "@ TXT \"v=spf1 ip4:198.51.100.1 -all\"\n"
                                 << "_dmarc TXT \"v=DMARC1; p=reject\"\n"
                                 << "s1._domainkey TXT \"" << dkim::testing::key_record(key) << "\"\n";
    // max_scan_bytes left at its default (10 MiB).
    std::ofstream(tmp + "/rampart.toml") << "[reputation]\nsync = false\n";
    ASSERT_TRUE(child.start({bin, "--config", tmp + "/rampart.toml", "--milter", "127.0.0.1:0", "--http",
                             "127.0.0.1:0", "--zone", tmp + "/zone", "--data-dir", tmp + "/data"},
                            tmp + "/rampartd.log", true));
    for (int i = 0; i < 6; ++i) {
      const std::string line = child.read_line(std::chrono::seconds(30));
      const std::string pre = "rampartd: milter 127.0.0.1:";
      if (line.rfind(pre, 0) == 0) milter_port = static_cast<uint16_t>(std::atoi(line.c_str() + pre.size()));
      const std::string hpre = "rampartd: http 127.0.0.1:";
      if (line.rfind(hpre, 0) == 0) http_port = static_cast<uint16_t>(std::atoi(line.c_str() + hpre.size()));
      if (line == "rampartd: ready" || line.empty()) break;
    }
    ASSERT_NE(milter_port, 0) << e2e::slurp(tmp + "/rampartd.log");
  }
  void TearDown() override {
    child.signal(SIGTERM);
    child.wait(std::chrono::seconds(10));
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  }

  std::string sign(const std::string& b, bool body_length = false) {
    dkim::SignOptions o;
    o.domain = "signed.test";
    o.selector = "s1";
    o.body_length = body_length;
    auto f = dkim::sign(std::string(kHead) + b, key, o);
    EXPECT_TRUE(f);
    return f ? *f : std::string();
  }

  // One message on its own milter connection, as Postfix sends it.
  Outcome send(const std::string& sig_field, const std::string& b) {
    Outcome out;
    MilterClient m(milter_port);
    if (!m.ok()) return out;
    m.send(milter::OptNeg{6, 0x1ff, 0x1fffff});
    auto neg = m.reply(milliseconds(10000));
    if (!neg || !std::holds_alternative<milter::OptNeg>(*neg)) return out;
    EXPECT_TRUE(std::get<milter::OptNeg>(*neg).protocol & milter::kNrBody);
    m.send(milter::Macros{'C', {{"j", "mx.example.net"}}});
    m.send(milter::Connect{"mx.signed.test", '4', 25, "192.0.2.9"});  // outside the SPF record
    m.send(milter::Helo{"mx.signed.test"});
    m.send(milter::Mail{{"<alice@signed.test>"}});
    auto mail = m.reply(milliseconds(10000));
    if (!mail || !std::holds_alternative<milter::Continue>(*mail)) return out;
    m.send(milter::Rcpt{{"<bob@example.net>"}});
    m.send(milter::Data{});
    const size_t colon = sig_field.find(':');
    m.send(milter::Header{"DKIM-Signature", sig_field.substr(colon + 1, sig_field.size() - colon - 3)});
    m.send(milter::Header{"From", " Alice <alice@signed.test>"});
    m.send(milter::Header{"To", " bob@example.net"});
    m.send(milter::Header{"Subject", " big"});
    m.send(milter::Header{"Date", " Mon, 1 Jan 2024 00:00:00 +0000"});
    m.send(milter::Header{"Message-ID", " <big@signed.test>"});
    m.send(milter::EndOfHeaders{});
    constexpr size_t kChunk = 65535;  // Postfix's MILTER_CHUNK_SIZE
    for (size_t at = 0; at < b.size(); at += kChunk)
      if (!m.send(milter::Body{b.substr(at, kChunk)})) return out;
    m.send(milter::EndOfBody{});
    while (auto r = m.reply(milliseconds(30000))) {
      if (auto* h = std::get_if<milter::InsertHeader>(&*r)) {
        if (h->name == "Authentication-Results") out.auth_results = h->value;
        continue;
      }
      if (std::holds_alternative<milter::AddHeader>(*r) || std::holds_alternative<milter::ChangeHeader>(*r) ||
          std::holds_alternative<milter::Progress>(*r))
        continue;
      if (auto* c = std::get_if<milter::ReplyCode>(&*r)) out.reply_code = c->text;
      out.complete = true;
      break;
    }
    return out;
  }
};

TEST_F(RampartdMilterDkim, SignedTwelveMiBPassesAndDmarcIsJudged) {
  const std::string b = body(12 * kMiB);
  const std::string sig = sign(b);
  const double cpu0 = cpu_ms(child.pid());
  Outcome o = send(sig, b);
  // A figure, not an assertion: the daemon's CPU for the whole 12 MiB message.
  std::printf("rampartd CPU for one 12 MiB message: %.0f ms\n", cpu_ms(child.pid()) - cpu0);
  ASSERT_TRUE(o.complete) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_TRUE(o.reply_code.empty()) << o.reply_code;
  EXPECT_NE(o.auth_results.find("dkim=pass"), std::string::npos) << o.auth_results;
  EXPECT_NE(o.auth_results.find("spf=fail"), std::string::npos) << o.auth_results;
  EXPECT_NE(o.auth_results.find("dmarc=pass"), std::string::npos) << o.auth_results;
  // The message in /metrics: its authentication results and its end-of-message latency.
  ASSERT_NE(http_port, 0);
  const std::string m = e2e::http(http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(m.find("\nrampart_auth_results_total{method=\"dkim\",result=\"pass\"} 1\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\nrampart_auth_results_total{method=\"spf\",result=\"fail\"} 1\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\nrampart_auth_results_total{method=\"dmarc\",result=\"pass\"} 1\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\nrampart_auth_results_total{method=\"spf\",result=\"pass\"} 0\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\nrampart_milter_message_seconds_count 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\nrampart_milter_message_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << m;
}

TEST_F(RampartdMilterDkim, OneByteChangedPastTheCapFails) {
  std::string b = body(12 * kMiB);
  const std::string sig = sign(b);
  const size_t at = b.find("line", 11 * kMiB);
  ASSERT_NE(at, std::string::npos);
  b[at] = 'L';
  Outcome o = send(sig, b);
  ASSERT_TRUE(o.complete) << e2e::slurp(tmp + "/rampartd.log");
  // dkim=fail (body hash mismatch) leaves DMARC failing under p=reject.
  EXPECT_EQ(o.reply_code.rfind("550 5.7.1 ", 0), 0u) << o.reply_code;
}

TEST_F(RampartdMilterDkim, BodyLengthOverTheCap) {
  std::string b = body(11 * kMiB);
  const std::string sig = sign(b, /*body_length=*/true);
  ASSERT_NE(sig.find("l="), std::string::npos);
  b += body(kMiB);  // after signing: outside l=
  Outcome o = send(sig, b);
  ASSERT_TRUE(o.complete) << e2e::slurp(tmp + "/rampartd.log");
  EXPECT_TRUE(o.reply_code.empty()) << o.reply_code;
  EXPECT_NE(o.auth_results.find("dkim=pass"), std::string::npos) << o.auth_results;
  EXPECT_NE(o.auth_results.find("dmarc=pass"), std::string::npos) << o.auth_results;
}

}  // namespace
}  // namespace rampart
