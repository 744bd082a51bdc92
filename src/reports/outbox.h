// File: src/reports/outbox.h
// rampartd's outbound complaint reports: when a subscriber reports a message
// as spam (POST /v1/learn with X-Label: spam), an ARF report (complaint.h)
// goes to the sender's complaint address (RFC 9477 CFBL-Address, when the
// message earns it) and to the abuse contacts the operator configured for the
// source network or the verified DKIM domain; rate-limited per destination,
// each message reported once per destination, DKIM-signed by the provider
// and handed to the provider's own MTA (smtp.h), which delivers it.
//
//   auto cfg = reports::ReportsConfig::from(config, data_dir);   // [reports]
//   auto ob = reports::Outbox::start(*cfg);                      // its own thread
//   ob->submit(reports::Complaint{raw, ip, {"alice@isp.example"}, dkim_results, now});   // any thread
//   ob->collect_metrics(w);   // rampart_outbound_reports_total{result}
//   ob->stop();               // also in the destructor
//
// Configuration ([reports], the keys in policy/config.cc's default text):
// enabled, from, relay, helo, reporting_mta, timeout_ms, redact_secret_file
// (created with 32 random bytes under the data dir when empty), dkim_key /
// dkim_domain / dkim_selector (the report's signature; RFC 9477 3.2 makes it
// required for CFBL reports, which are not sent without it), cfbl,
// own_domains, include_body, per_destination_per_hour, total_per_hour,
// dedup_hours, queue, attempts, and [[reports.contacts]] match + address.
//
// Threads: submit() only queues (bounded by `queue`: past it the complaint is
// dropped and counted, never blocking the caller); one worker builds, signs
// and sends. A relay that fails temporarily is tried again up to `attempts`
// times, waiting 1 s, 4 s, 16 s ... (stop() cuts the wait); a permanent
// refusal (5xx) is not tried again. Reports waiting in the queue when the
// process stops are lost (counted as dropped in the log line): complaint
// reports are advisory, the subscriber's complaint itself is already recorded
// by the reputation store.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/dkim/dkim.h"
#include "core/config.h"
#include "core/ip.h"
#include "core/metrics.h"
#include "core/result.h"
#include "reports/complaint.h"
#include "reports/smtp.h"

namespace rampart::reports {

struct ReportsConfig {
  bool enabled = false;
  std::string sender;  // key `from`: the reports' From and envelope sender
  std::string relay = "127.0.0.1:25";
  std::string helo;           // default: the host name
  std::string reporting_mta;  // default: the host name
  int64_t timeout_ms = 30000;
  std::string redact_secret_file;
  std::string dkim_key, dkim_domain, dkim_selector;
  bool cfbl = true;
  std::vector<std::string> own_domains;
  bool include_body = false;
  int64_t per_destination_per_hour = 20;
  int64_t total_per_hour = 1000;
  int64_t dedup_hours = 24;
  int64_t queue = 1000;
  int64_t attempts = 3;
  std::vector<Contact> contacts;

  static Result<ReportsConfig> from(const Config& cfg, const std::string& data_dir);
};

struct Complaint {
  std::string message;
  std::optional<IpAddress> source_ip;
  std::vector<std::string> recipients;  // the complaining subscriber(s)
  std::vector<dkim::SignatureResult> dkim;
  int64_t time = 0;
};

class Outbox {
 public:
  static Result<std::unique_ptr<Outbox>> start(const ReportsConfig& cfg);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Thread-safe, never blocks. False when the queue is full (dropped, counted).
  bool submit(Complaint c);
  void stop();
  // Sent, duplicate, rate-limited, no destination, failed, refused, dropped.
  void collect_metrics(MetricsWriter& w) const;

  struct Stats {
    std::atomic<uint64_t> sent{0}, duplicate{0}, rate_limited{0}, no_destination{0}, failed{0}, refused{0},
        dropped{0}, cfbl_refused{0};
  };
  const Stats& stats() const { return stats_; }

  // The destinations of one complaint and why (for tests and the log).
  struct Destination {
    std::string address;
    std::string why;  // "cfbl", "network 198.51.100.0/24", "domain example.com"
  };
  std::vector<Destination> destinations(const Complaint& c, std::string* cfbl_reason = nullptr) const;

 private:
  explicit Outbox(ReportsConfig cfg, std::string secret, std::optional<dkim::PrivateKey> key);
  void run();
  void handle(Complaint& c);
  bool wait_for(std::chrono::milliseconds d);  // false when stopping

  ReportsConfig cfg_;
  Redactor redactor_;
  std::optional<dkim::PrivateKey> key_;
  Contacts contacts_;
  Limiter limiter_;
  SmtpOptions smtp_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Complaint> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread worker_;
};

}  // namespace rampart::reports
