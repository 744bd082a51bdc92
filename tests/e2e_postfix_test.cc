// File: tests/e2e_postfix_test.cc
// End to end with a real Postfix (Debian's): a private instance in a temp
// dir (own config_directory, queue_directory, data_directory, log file),
// smtpd on a loopback port with smtpd_milters pointing at rampartd and
// milter_default_action = tempfail, delivery by virtual(8) into a maildir in
// the temp dir. DNS comes from DnsTestServer (SPF, DMARC, a domain DNSBL).
// Mail is sent with swaks. Checked:
//   1. good mail is delivered with Authentication-Results (spf=pass,
//      dmarc=pass) and X-Rampart added, body byte for byte;
//   2. a spoofed mail (SPF -all, DMARC p=reject) is refused with 550 5.7.1
//      and the HTTP API gives the same verdict for it;
//   3. a sender on a domain DNSBL gets X-Spam: Yes;
//   4. 20 messages sent in parallel all arrive, once each;
//   5. SIGKILL of rampartd in the middle of 30 parallel sends: every message
//      is either delivered or tempfailed to the client, and after rampartd
//      is back and the client retries, each is in the mailbox exactly once;
//   5b. an unknown recipient is refused by Postfix (550 5.1.1) and
//      `rampart reputation maillog` turns its log line into a bounce event;
//   6. SIGHUP reload with a low per-IP limit: the burst gets 451 4.7.1;
//   7. SIGTERM: rampartd drains and exits 0.
// And the verdicts of issue 12 (test Verdicts), on an inbound service and a
// submission service (a second smtpd with SASL enabled):
//   - inbound, a bulk mailer outside its SPF with DMARC p=none: delivered;
//   - inbound, a spoof of a p=quarantine domain: held (milter quarantine);
//   - inbound, a message without From: delivered, marked (X-Spam: Yes);
//   - submission, a subscriber logged in, From the provider's own domain
//     (p=reject, client outside its SPF): delivered, judged as outbound;
//     the same message on the inbound service is refused.
// The submission login: Postfix's SASL servers are Cyrus and Dovecot only;
// Debian's postfix has Cyrus built in and libsasl2-modules is installed,
// but creating a user needs saslpasswd2 (sasl2-bin) or a running
// saslauthd/Dovecot. Instead the submission smtpd has SASL enabled (so
// Postfix gives milters {auth_authen}) and trusts XCLIENT from loopback:
// swaks sends `XCLIENT LOGIN=alice`, which sets the session's SASL login
// exactly as AUTH would, and the milter sees {auth_authen}=alice at MAIL FROM.
// Skipped when not root or when postfix/swaks are not installed. Every
// process is stopped at the end (destructors), network only on 127.0.0.1,
// waits are polls with deadlines.
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dns/zone_file.h"
#include "e2e_support.h"
#include "support/dns_test_server.h"

namespace rampart {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kZone = R"(
good.rampart-e2e.net.           300 TXT "v=spf1 ip4:127.0.0.0/8 -all"
_dmarc.good.rampart-e2e.net.    300 TXT "v=DMARC1; p=reject"
spoof.rampart-e2e.net.          300 TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.spoof.rampart-e2e.net.   300 TXT "v=DMARC1; p=reject"
provider.rampart-e2e.net.       300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.provider.rampart-e2e.net. 300 TXT "v=DMARC1; p=reject"
bulk.rampart-e2e.net.           300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.bulk.rampart-e2e.net.    300 TXT "v=DMARC1; p=none"
quar.rampart-e2e.net.           300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.quar.rampart-e2e.net.    300 TXT "v=DMARC1; p=quarantine"
listed.rampart-e2e.net.         300 TXT "v=spf1 ip4:127.0.0.0/8 -all"
listed.rampart-e2e.net.dbl.rampart-e2e.net. 300 A 127.0.1.2
brisbane._domainkey.football.example.com. 300 TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey.football.example.com. 300 TXT "v=DKIM1; g=*; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
)";

struct Postfix {
  std::string dir;
  bool started = false;
  ~Postfix() { stop(); }
  void stop() {
    if (!started) return;
    started = false;
    e2e::run({"/usr/sbin/postfix", "-c", dir + "/etc", "stop"}, dir);
    // master exits after its children; wait for its pid file's process.
    const std::string pidfile = dir + "/queue/pid/master.pid";
    e2e::poll_until(
        [&] {
          const std::string p = e2e::slurp(pidfile);
          const int pid = std::atoi(p.c_str());
          return pid <= 0 || ::kill(pid, 0) != 0;
        },
        20s);
  }
};

class PostfixE2E : public ::testing::Test {
 protected:
  std::string tmp;
  std::unique_ptr<dns::DnsTestServer> dns_server;
  std::unique_ptr<e2e::Child> rampartd;
  Postfix postfix;
  uint16_t milter_port = 0, http_port = 0, smtp_port = 0, submission_port = 0;
  std::string rampartd_bin;

  void SetUp() override {
    // Fails rather than skips: the project's tests run as root with
    // scripts/install-deps.sh done (README).
    ASSERT_EQ(::geteuid(), 0u) << "needs root (a private Postfix instance)";
    ASSERT_TRUE(fs::exists("/usr/sbin/postfix") && fs::exists("/usr/bin/swaks"))
        << "postfix and swaks are not installed (scripts/install-deps.sh)";
    const char* bin = std::getenv("RAMPARTD_BIN");
    ASSERT_NE(bin, nullptr) << "RAMPARTD_BIN not set";
    rampartd_bin = bin;
    char tmpl[] = "/tmp/rampart-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp = tmpl;
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    auto zone = dns::parse_zone(kZone);
    ASSERT_TRUE(zone) << zone.error().message;
    auto srv = dns::DnsTestServer::start(std::move(*zone));
    ASSERT_TRUE(srv) << srv.error().message;
    dns_server = std::move(*srv);
    write_rampart_config(240, 120);
    start_rampartd("127.0.0.1:0");
    start_postfix();
  }

  void TearDown() override {
    postfix.stop();
    if (rampartd) rampartd->kill_now();
    if (!tmp.empty() && !::testing::Test::HasFailure()) fs::remove_all(tmp);
    if (!tmp.empty() && ::testing::Test::HasFailure()) std::fprintf(stderr, "e2e: kept %s\n", tmp.c_str());
  }

  void write_rampart_config(double burst, double per_minute) {
    std::ofstream(tmp + "/rampart.toml")
        << "[policy]\nauthserv_id = \"mx.rampart-e2e.test\"\n"
        << "[[policy.dnsbl.domain]]\nzone = \"dbl.rampart-e2e.net\"\nsymbol = \"DBL_E2E\"\nweight = 6.0\n"
        << "[throttle.ip]\nburst = " << burst << "\nper_minute = " << per_minute << "\n"
        << "[throttle.net]\nburst = 100000.0\n";
  }

  void start_rampartd(const std::string& milter) {
    rampartd = std::make_unique<e2e::Child>();
    ASSERT_TRUE(
        rampartd->start({rampartd_bin, "--config", tmp + "/rampart.toml", "--milter", milter, "--http",
                         "127.0.0.1:0", "--nameserver", "127.0.0.1:" + std::to_string(dns_server->port())},
                        tmp + "/rampartd.log", true));
    std::map<std::string, uint16_t> ports;
    while (true) {
      std::string line = rampartd->read_line(20s);
      ASSERT_FALSE(line.empty()) << "rampartd did not start: " << e2e::slurp(tmp + "/rampartd.log");
      if (line == "rampartd: ready") break;
      // "rampartd: NAME 127.0.0.1:PORT"
      const std::string_view pre = "rampartd: ", host = " 127.0.0.1:";
      if (line.rfind(pre, 0) == 0) {
        const size_t at = line.find(host, pre.size());
        const std::string port = at == std::string::npos ? "" : line.substr(at + host.size());
        if (!port.empty() && port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5)
          ports[line.substr(pre.size(), at - pre.size())] = static_cast<uint16_t>(std::stoi(port));
      }
    }
    milter_port = ports["milter"];
    http_port = ports["http"];
    ASSERT_NE(milter_port, 0);
    ASSERT_NE(http_port, 0);
  }

  void start_postfix() {
    postfix.dir = tmp;
    for (const char* d : {"etc", "queue", "data", "mail"}) fs::create_directories(tmp + "/" + d);
    const passwd* pf = ::getpwnam("postfix");
    ASSERT_NE(pf, nullptr);
    ASSERT_EQ(::chown((tmp + "/data").c_str(), pf->pw_uid, pf->pw_gid), 0);
    ASSERT_EQ(::chown((tmp + "/mail").c_str(), 65534, 65534), 0);
    smtp_port = e2e::free_tcp_port();
    do {
      submission_port = e2e::free_tcp_port();
    } while (submission_port == smtp_port);
    fs::create_directories(tmp + "/sasl");
    std::ofstream(tmp + "/sasl/smtpd.conf") << "mech_list: PLAIN\n";
    std::ofstream(tmp + "/etc/master.cf") << "127.0.0.1:" << smtp_port << " inet n - n - - smtpd\n"
                                          << "127.0.0.1:" << submission_port
                                          << " inet n - n - - smtpd -o syslog_name=postfix/submission"
                                             " -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=cyrus"
                                             " -o smtpd_authorized_xclient_hosts=127.0.0.0/8\n"
                                             "pickup unix n - n 60 1 pickup\n"
                                             "cleanup unix n - n - 0 cleanup\n"
                                             "qmgr unix n - n 300 1 qmgr\n"
                                             "rewrite unix - - n - - trivial-rewrite\n"
                                             "bounce unix - - n - 0 bounce\n"
                                             "defer unix - - n - 0 bounce\n"
                                             "trace unix - - n - 0 bounce\n"
                                             "verify unix - - n - 1 verify\n"
                                             "flush unix n - n 1000? 0 flush\n"
                                             "proxymap unix - - n - - proxymap\n"
                                             "showq unix n - n - - showq\n"
                                             "error unix - - n - - error\n"
                                             "retry unix - - n - - error\n"
                                             "discard unix - - n - - discard\n"
                                             "virtual unix - n n - - virtual\n"
                                             "anvil unix - - n - 1 anvil\n"
                                             "scache unix - - n - 1 scache\n"
                                             "postlog unix-dgram n - n - 1 postlogd\n";
    std::ofstream(tmp + "/etc/main.cf")
        << "compatibility_level = 3.6\n"
        << "queue_directory = " << tmp << "/queue\n"
        << "data_directory = " << tmp << "/data\n"
        << "mail_owner = postfix\nsetgid_group = postdrop\n"
        << "myhostname = mx.rampart-e2e.test\nmydestination =\n"
        << "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
        << "mynetworks = 127.0.0.0/8\n"
        << "smtpd_recipient_restrictions = permit_mynetworks, reject\n"
        << "smtpd_client_connection_count_limit = 0\n"
        << "smtpd_client_connection_rate_limit = 0\n"
        << "default_process_limit = 60\n"
        << "virtual_mailbox_domains = example.net\n"
        << "virtual_mailbox_base = " << tmp << "/mail\n"
        << "virtual_mailbox_maps = inline:{ bob@example.net=inbox/ }\n"
        << "virtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n"
        << "smtpd_milters = inet:127.0.0.1:" << milter_port << "\n"
        << "non_smtpd_milters =\n"
        << "milter_default_action = tempfail\nmilter_protocol = 6\n"
        << "milter_connect_timeout = 5s\n"
        << "maillog_file = " << tmp << "/maillog\n"
        << "maillog_file_prefixes = " << tmp << "\n"
        << "alias_maps =\nalias_database =\n"
        << "smtp_dns_support_level = disabled\nbiff = no\n"
        << "cyrus_sasl_config_path = " << tmp
        << "/sasl\n"
        // An MX: no From/Date/Message-ID added for clients (127.0.0.1 is an
        // inet_interfaces address, so the default would add them).
        << "local_header_rewrite_clients =\n";
    auto r = e2e::run({"/usr/sbin/postfix", "-c", tmp + "/etc", "start"}, tmp);
    ASSERT_EQ(r.status, 0) << r.output << e2e::slurp(tmp + "/maillog");
    postfix.started = true;
    ASSERT_TRUE(e2e::poll_until(
        [&] { return e2e::tcp_accepts(smtp_port) && e2e::tcp_accepts(submission_port); }, 30s))
        << e2e::slurp(tmp + "/maillog");
  }

  // Sends one message with swaks; the data file is written first.
  e2e::RunResult send(const std::string& from, const std::string& id, const std::string& body,
                      const std::string& header_from = "") {
    const std::string file = tmp + "/msg-" + id + ".eml";
    std::ofstream(file, std::ios::binary)
        << "From: " << (header_from.empty() ? from : header_from) << "\r\nTo: bob@example.net\r\n"
        << "Subject: e2e " << id << "\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <" << id
        << "@rampart-e2e.net>\r\nX-Test-Id: " << id << "\r\n\r\n"
        << body;
    return e2e::run(
        {"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtp_port), "--from", from, "--to",
         "bob@example.net", "--helo", "client.rampart-e2e.net", "--data", "@" + file, "--timeout", "60"},
        tmp);
  }

  // Sends a prepared file; `extra` are more swaks options (--xclient-login).
  e2e::RunResult send_file(uint16_t port, const std::string& from, const std::string& file,
                           const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"/usr/bin/swaks",
                                     "--server",
                                     "127.0.0.1:" + std::to_string(port),
                                     "--from",
                                     from,
                                     "--to",
                                     "bob@example.net",
                                     "--helo",
                                     "client.rampart-e2e.net",
                                     "--data",
                                     "@" + file,
                                     "--timeout",
                                     "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return e2e::run(argv, tmp);
  }

  // Delivered messages: X-Test-Id -> contents (several for duplicates).
  std::multimap<std::string, std::string> mailbox() {
    std::multimap<std::string, std::string> out;
    for (const char* sub : {"new", "cur"}) {
      const fs::path d = fs::path(tmp) / "mail" / "inbox" / sub;
      if (!fs::exists(d)) continue;
      for (const auto& e : fs::directory_iterator(d)) {
        std::string m = e2e::slurp(e.path());
        const std::string_view field = "\nX-Test-Id: ";
        if (const size_t at = m.find(field); at != std::string::npos) {
          const size_t from = at + field.size();
          out.emplace(m.substr(from, m.find_first_of(" \t\r\n", from) - from), m);
        }
      }
    }
    return out;
  }
  std::string delivered(const std::string& id) {
    std::string m;
    e2e::poll_until(
        [&] {
          auto box = mailbox();
          auto it = box.find(id);
          if (it == box.end()) return false;
          m = it->second;
          return true;
        },
        30s);
    return m;
  }
  std::string log() { return e2e::slurp(tmp + "/maillog") + e2e::slurp(tmp + "/rampartd.log"); }
};

TEST_F(PostfixE2E, RealPostfix) {
  // 1. Good mail: delivered with our headers, body intact.
  const std::string body =
      "Hello Bob,\r\n\r\n.a line that starts with a dot\r\ntrailing spaces   \r\n\ttab\r\n" +
      std::string(900, 'x') + "\r\nbye\r\n";
  auto r = send("alice@good.rampart-e2e.net", "good1", body);
  ASSERT_EQ(r.status, 0) << r.output << log();
  std::string m = delivered("good1");
  ASSERT_FALSE(m.empty()) << log();
  EXPECT_NE(m.find("\nAuthentication-Results: mx.rampart-e2e.test;"), std::string::npos) << m;
  EXPECT_NE(m.find("spf=pass smtp.mailfrom=alice@good.rampart-e2e.net"), std::string::npos) << m;
  EXPECT_NE(m.find("dmarc=pass"), std::string::npos) << m;
  EXPECT_NE(m.find("\nX-Rampart: action=accept;"), std::string::npos) << m;
  // Maildir files use LF line ends: compare the body with CRLF -> LF. swaks
  // ends DATA with one more CRLF before the final dot, so that line is part
  // of what was sent.
  std::string want;
  for (const std::string sent = body + "\r\n"; char c : sent)
    if (c != '\r') want += c;
  const size_t sep = m.find("\n\n");
  ASSERT_NE(sep, std::string::npos);
  EXPECT_EQ(m.substr(sep + 2), want);

  // 1b. DKIM through the milter: the RFC 8463 appendix A message (ed25519 and
  // rsa, c=simple/simple) verifies only if the header fields rebuilt from
  // Postfix's milter callbacks are byte-exact.
  {
    std::string eml =
        e2e::slurp(std::string(RAMPART_SOURCE_DIR) + "/tests/data/dkim-rfc8463/rfc8463-appendixA-signed.eml");
    ASSERT_FALSE(eml.empty());
    const size_t at = eml.find("\n\n");
    ASSERT_NE(at, std::string::npos);
    eml.insert(at + 1, "X-Test-Id: dkim1\n");  // below the signed fields: not covered by h=
    std::ofstream(tmp + "/msg-dkim1.eml", std::ios::binary) << eml;
    r = e2e::run(
        {"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtp_port), "--from",
         "joe@football.example.com", "--to", "bob@example.net", "--data", "@" + tmp + "/msg-dkim1.eml"},
        tmp);
    ASSERT_EQ(r.status, 0) << r.output << log();
    m = delivered("dkim1");
    EXPECT_NE(m.find("dkim=pass header.d=football.example.com header.s=brisbane"), std::string::npos) << m;
    EXPECT_NE(m.find("dkim=pass header.d=football.example.com header.s=test"), std::string::npos) << m;
  }

  // 2. Spoofed: SPF -all and DMARC p=reject -> 550 5.7.1, nothing delivered.
  r = send("ceo@spoof.rampart-e2e.net", "spoof1", "Pay this invoice.\r\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("550 5.7.1 Rejected by the DMARC policy of spoof.rampart-e2e.net"),
            std::string::npos)
      << r.output;
  // The same message through the HTTP API: the same verdict.
  const std::string raw = e2e::slurp(tmp + "/msg-spoof1.eml");
  std::string resp = e2e::http(http_port,
                               "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: 127.0.0.1\r\n"
                               "X-Helo: client.rampart-e2e.net\r\nX-Mail-From: ceo@spoof.rampart-e2e.net\r\n"
                               "X-Rcpt-To: bob@example.net\r\nContent-Length: " +
                                   std::to_string(raw.size()) + "\r\n\r\n" + raw);
  EXPECT_NE(resp.find("\"action\": \"reject\""), std::string::npos) << resp;
  EXPECT_NE(resp.find("550 5.7.1 Rejected by the DMARC policy"), std::string::npos) << resp;
  EXPECT_NE(e2e::http(http_port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").find("200 OK"),
            std::string::npos);

  // 3. Domain DNSBL: delivered, marked.
  r = send("bulk@listed.rampart-e2e.net", "listed1", "Buy now.\r\n");
  ASSERT_EQ(r.status, 0) << r.output;
  m = delivered("listed1");
  EXPECT_NE(m.find("\nX-Spam: Yes"), std::string::npos) << m;
  EXPECT_NE(m.find("DBL_E2E(6.00)"), std::string::npos) << m;

  // 4. Parallel load: 20 at once, each delivered once.
  {
    std::vector<std::unique_ptr<e2e::Child>> kids;
    for (int i = 0; i < 20; ++i) {
      const std::string id = "par" + std::to_string(i);
      const std::string file = tmp + "/msg-" + id + ".eml";
      std::ofstream(file) << "From: alice@good.rampart-e2e.net\r\nTo: bob@example.net\r\nSubject: " << id
                          << "\r\nX-Test-Id: " << id << "\r\n\r\nbody " << id << "\r\n";
      kids.push_back(std::make_unique<e2e::Child>());
      kids.back()->start({"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtp_port), "--from",
                          "alice@good.rampart-e2e.net", "--to", "bob@example.net", "--data", "@" + file},
                         tmp + "/par.log");
    }
    for (auto& k : kids) EXPECT_EQ(k->wait(120s), 0);
    ASSERT_TRUE(e2e::poll_until(
        [&] {
          auto box = mailbox();
          for (int i = 0; i < 20; ++i)
            if (box.count("par" + std::to_string(i)) != 1) return false;
          return true;
        },
        60s))
        << log();
  }

  // 5. SIGKILL in the middle of a load: nothing lost, nothing duplicated.
  {
    constexpr int kN = 30;
    std::vector<std::unique_ptr<e2e::Child>> kids;
    std::vector<std::string> files;
    auto swaks = [&](const std::string& file) {
      auto c = std::make_unique<e2e::Child>();
      c->start({"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtp_port), "--from",
                "alice@good.rampart-e2e.net", "--to", "bob@example.net", "--data", "@" + file},
               tmp + "/fault.log");
      return c;
    };
    for (int i = 0; i < kN; ++i) {
      const std::string id = "fault" + std::to_string(i);
      files.push_back(tmp + "/msg-" + id + ".eml");
      std::ofstream(files.back()) << "From: alice@good.rampart-e2e.net\r\nTo: bob@example.net\r\nSubject: "
                                  << id << "\r\nX-Test-Id: " << id << "\r\n\r\nbody " << id << "\r\n";
      kids.push_back(swaks(files.back()));
    }
    // Kill as soon as the first of them has been delivered.
    ASSERT_TRUE(e2e::poll_until(
        [&] {
          for (const auto& [id, msg] : mailbox())
            if (id.rfind("fault", 0) == 0) return true;
          return false;
        },
        60s));
    rampartd->signal(SIGKILL);
    rampartd->wait(10s);
    std::vector<int> failed;
    for (int i = 0; i < kN; ++i)
      if (kids[static_cast<size_t>(i)]->wait(120s) != 0) failed.push_back(i);
    std::printf("e2e fault: %zu of %d sends tempfailed while rampartd was down\n", failed.size(), kN);
    // Back on the same port; the client retries what was tempfailed.
    start_rampartd("127.0.0.1:" + std::to_string(milter_port));
    for (int round = 0; round < 5 && !failed.empty(); ++round) {
      std::vector<int> still;
      for (int i : failed) {
        auto c = swaks(files[static_cast<size_t>(i)]);
        if (c->wait(120s) != 0) still.push_back(i);
      }
      failed = still;
    }
    EXPECT_TRUE(failed.empty());
    ASSERT_TRUE(e2e::poll_until(
        [&] {
          auto box = mailbox();
          for (int i = 0; i < kN; ++i)
            if (box.count("fault" + std::to_string(i)) != 1) return false;
          return true;
        },
        60s))
        << log();
    auto box = mailbox();
    for (int i = 0; i < kN; ++i) EXPECT_EQ(box.count("fault" + std::to_string(i)), 1u) << i;
  }

  // 5b. An unknown recipient: Postfix refuses it (550 5.1.1) before any
  // milter sees it; `rampart reputation maillog` reads the bounce event
  // from Postfix's own log.
  {
    const std::string file = tmp + "/msg-unknown1.eml";
    std::ofstream(file)
        << "From: alice@good.rampart-e2e.net\r\nTo: nosuch@example.net\r\nSubject: x\r\n\r\nx\r\n";
    r = e2e::run({"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtp_port), "--from",
                  "alice@good.rampart-e2e.net", "--to", "nosuch@example.net", "--helo",
                  "client.rampart-e2e.net", "--data", "@" + file},
                 tmp);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("550 5.1.1"), std::string::npos) << r.output;
    const char* cli = std::getenv("RAMPART_BIN");
    ASSERT_NE(cli, nullptr) << "RAMPART_BIN not set (tests/e2e.cmake sets it)";
    std::string events;
    ASSERT_TRUE(e2e::poll_until(
        [&] {
          events = e2e::run({cli, "reputation", "maillog", tmp + "/maillog"}, tmp).output;
          return events.find("\"type\": \"bounce\"") != std::string::npos;
        },
        30s))
        << events << e2e::slurp(tmp + "/maillog");
    EXPECT_NE(events.find("\"ip\": \"127.0.0.1\""), std::string::npos) << events;
    EXPECT_NE(events.find("\"mail_from\": \"alice@good.rampart-e2e.net\""), std::string::npos) << events;
    EXPECT_NE(events.find("\"helo\": \"client.rampart-e2e.net\""), std::string::npos) << events;
  }

  // 6. SIGHUP: a low per-IP limit takes effect; the burst gets 451 4.7.1.
  write_rampart_config(3, 1);
  rampartd->signal(SIGHUP);
  ASSERT_TRUE(e2e::poll_until(
      [&] {
        return e2e::http(http_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                   .find("rampart_reloads_total 1") != std::string::npos;
      },
      20s));
  int throttled = 0, accepted = 0;
  for (int i = 0; i < 6; ++i) {
    r = send("alice@good.rampart-e2e.net", "burst" + std::to_string(i), "burst\r\n");
    if (r.status == 0) ++accepted;
    if (r.output.find("451 4.7.1 Rate limit exceeded for client 127.0.0.1") != std::string::npos) ++throttled;
  }
  EXPECT_GE(throttled, 3) << log();
  EXPECT_LE(accepted, 3);

  // 7. SIGTERM: drain and exit 0 (Postfix holds no milter connection now).
  rampartd->signal(SIGTERM);
  EXPECT_EQ(rampartd->wait(30s), 0);
}

TEST_F(PostfixE2E, Verdicts) {
  // Inbound: a bulk mailer sends from outside its SPF; its DMARC is p=none.
  auto r = send("news@bulk.rampart-e2e.net", "bulk1", "This week's offers.\r\n");
  ASSERT_EQ(r.status, 0) << r.output << log();
  std::string m = delivered("bulk1");
  ASSERT_FALSE(m.empty()) << log();
  EXPECT_NE(m.find("DMARC_FAIL_NONE("), std::string::npos) << m;
  EXPECT_NE(m.find("SPF_FAIL(0.00)"), std::string::npos) << m;  // counted in DMARC, not twice
  EXPECT_NE(m.find("dmarc=fail"), std::string::npos) << m;

  // Inbound: a spoof of a p=quarantine domain is held, not refused.
  r = send("ceo@quar.rampart-e2e.net", "quar1", "Pay this invoice.\r\n");
  EXPECT_EQ(r.status, 0) << r.output << log();
  EXPECT_EQ(r.output.find("550 5.7.1"), std::string::npos) << r.output;
  EXPECT_TRUE(
      e2e::poll_until([&] { return log().find("milter triggers HOLD action") != std::string::npos; }, 30s))
      << log();

  // Inbound: no From field: delivered and marked.
  {
    const std::string file = tmp + "/msg-nofrom1.eml";
    std::ofstream(file, std::ios::binary)
        << "To: bob@example.net\r\nSubject: e2e nofrom1\r\n"
           "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           "Message-ID: <nofrom1@rampart-e2e.net>\r\nX-Test-Id: nofrom1\r\n\r\n"
           "No author.\r\n";
    r = send_file(smtp_port, "alice@good.rampart-e2e.net", file);
    ASSERT_EQ(r.status, 0) << r.output << log();
    m = delivered("nofrom1");
    ASSERT_FALSE(m.empty()) << log();
    EXPECT_NE(m.find("\nX-Spam: Yes"), std::string::npos) << m;
    EXPECT_NE(m.find("MISSING_FROM("), std::string::npos) << m;
    EXPECT_NE(m.find("X-Rampart: action=add_header;"), std::string::npos) << m;
  }

  // Submission: a subscriber logged in (XCLIENT LOGIN on the SASL-enabled
  // service) sends From the provider's own domain from an address outside
  // the provider's SPF (p=reject): judged as outbound, delivered.
  {
    const std::string file = tmp + "/msg-sub1.eml";
    std::ofstream(file, std::ios::binary)
        << "From: Alice <alice@provider.rampart-e2e.net>\r\nTo: bob@example.net\r\n"
           "Subject: e2e sub1\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           "Message-ID: <sub1@provider.rampart-e2e.net>\r\nX-Test-Id: sub1\r\n\r\n"
           "Hello from my laptop.\r\n";
    r = send_file(submission_port, "alice@provider.rampart-e2e.net", file, {"--xclient-login", "alice"});
    ASSERT_EQ(r.status, 0) << r.output << log();
    m = delivered("sub1");
    ASSERT_FALSE(m.empty()) << r.output << log();
    EXPECT_NE(m.find("X-Rampart: action=accept;"), std::string::npos) << m;
    EXPECT_NE(m.find("AUTH_SUBMISSION("), std::string::npos) << m;
    for (const char* inbound : {"SPF_", "DMARC_", "RDNS_", "FCRDNS_", "SENDERID_"})
      EXPECT_EQ(m.find(inbound), std::string::npos) << inbound << "\n" << m;
    // The same message on the inbound service, without a login: the spoof it looks like.
    r = send_file(smtp_port, "alice@provider.rampart-e2e.net", file);
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("550 5.7.1 Rejected by the DMARC policy of provider.rampart-e2e.net"),
              std::string::npos)
        << r.output;
    // And through the HTTP API with X-Auth-User: the submission's verdict.
    const std::string raw = e2e::slurp(file);
    std::string resp =
        e2e::http(http_port,
                  "POST /v1/scan HTTP/1.1\r\nHost: x\r\nX-Client-IP: 127.0.0.1\r\n"
                  "X-Helo: client.rampart-e2e.net\r\nX-Mail-From: alice@provider.rampart-e2e.net\r\n"
                  "X-Rcpt-To: bob@example.net\r\nX-Auth-User: alice\r\nContent-Length: " +
                      std::to_string(raw.size()) + "\r\n\r\n" + raw);
    EXPECT_NE(resp.find("\"action\": \"accept\""), std::string::npos) << resp;
    EXPECT_NE(resp.find("AUTH_SUBMISSION"), std::string::npos) << resp;
  }
}

}  // namespace
}  // namespace rampart
