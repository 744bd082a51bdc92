#include "reports/outbox.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file.h"
#include "core/log.h"
#include "core/strings.h"
#include "mime/header.h"

namespace rampart::reports {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

Result<std::string> read_or_create_secret(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.size() < 16)
      return fail(Errc::kConfig, "reports: " + path + " holds fewer than 16 bytes of secret");
    return s;
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    return fail(Errc::kInternal, "reports: no random bytes for the secret");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : raw) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (auto st = write_file_atomically(path, s + "\n", 0600); !st)
    return fail(Errc::kIo, "reports: cannot create the redaction secret: " + st.error().message);
  return s;
}

}  // namespace

Result<ReportsConfig> ReportsConfig::from(const Config& cfg, const std::string& data_dir) {
  const size_t mark = cfg.error_count();
  ReportsConfig c;
  Section s = cfg.section("reports");
  c.enabled = s.boolean("enabled", c.enabled);
  c.sender = s.string("from", c.sender);
  c.relay = s.string("relay", c.relay);
  c.helo = s.string("helo", c.helo);
  c.reporting_mta = s.string("reporting_mta", c.reporting_mta);
  c.timeout_ms = s.integer("timeout_ms", c.timeout_ms, 100, 600000);
  c.redact_secret_file = s.string("redact_secret_file", c.redact_secret_file);
  c.dkim_key = s.string("dkim_key", c.dkim_key);
  c.dkim_domain = to_lower(s.string("dkim_domain", c.dkim_domain));
  c.dkim_selector = s.string("dkim_selector", c.dkim_selector);
  c.cfbl = s.boolean("cfbl", c.cfbl);
  c.own_domains = s.strings("own_domains");
  for (auto& d : c.own_domains) d = to_lower(trim(d));
  c.include_body = s.boolean("include_body", c.include_body);
  c.per_destination_per_hour = s.integer("per_destination_per_hour", c.per_destination_per_hour, 1, 1000000);
  c.total_per_hour = s.integer("total_per_hour", c.total_per_hour, 1, 10000000);
  c.dedup_hours = s.integer("dedup_hours", c.dedup_hours, 0, 24 * 90);
  c.queue = s.integer("queue", c.queue, 1, 1000000);
  c.attempts = s.integer("attempts", c.attempts, 1, 10);
  for (Section t : s.tables("contacts")) {
    const std::string match = t.string("match", "");
    const std::string addr = t.string("address", "");
    auto ct = Contact::parse(match, addr);
    if (!ct)
      t.invalid("match", ct.error().message);
    else
      c.contacts.push_back(std::move(*ct));
  }
  if (c.enabled) {
    if (c.sender.empty() || c.sender.find('@') == std::string::npos)
      s.invalid("from", "reports.enabled needs the reports' sender address");
    if (!parse_host_port(c.relay, 25)) s.invalid("relay", "not ADDR:PORT: '" + c.relay + "'");
    if (!c.dkim_key.empty() && (c.dkim_domain.empty() || c.dkim_selector.empty()))
      s.invalid("dkim_key", "needs dkim_domain and dkim_selector");
    if (c.redact_secret_file.empty()) {
      if (data_dir.empty())
        s.invalid("redact_secret_file", "needed without --data-dir (the RFC 6590 redaction key)");
      else
        c.redact_secret_file = data_dir + "/reports.secret";
    }
  }
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  if (c.helo.empty()) c.helo = host_name();
  if (c.reporting_mta.empty()) c.reporting_mta = host_name();
  return c;
}

Outbox::Outbox(ReportsConfig cfg, std::string secret, std::optional<dkim::PrivateKey> key)
    : cfg_(std::move(cfg)),
      redactor_(std::move(secret)),
      key_(std::move(key)),
      limiter_(LimiterOptions{cfg_.per_destination_per_hour, cfg_.total_per_hour, cfg_.dedup_hours * 3600,
                              100000}) {
  for (const auto& c : cfg_.contacts) contacts_.add(c);
  auto hp = parse_host_port(cfg_.relay, 25);
  smtp_.host = hp ? hp->ip.to_string() : "127.0.0.1";
  smtp_.port = hp ? hp->port : 25;
  smtp_.helo = cfg_.helo;
  smtp_.timeout = std::chrono::milliseconds(cfg_.timeout_ms);
}

Result<std::unique_ptr<Outbox>> Outbox::start(const ReportsConfig& cfg) {
  auto secret = read_or_create_secret(cfg.redact_secret_file);
  if (!secret) return tl::unexpected(secret.error());
  std::optional<dkim::PrivateKey> key;
  if (!cfg.dkim_key.empty()) {
    std::ifstream in(cfg.dkim_key, std::ios::binary);
    if (!in) return fail(Errc::kConfig, "reports.dkim_key: cannot read " + cfg.dkim_key);
    std::stringstream ss;
    ss << in.rdbuf();
    auto k = dkim::load_private_key(ss.str());
    if (!k) return fail(Errc::kConfig, "reports.dkim_key " + cfg.dkim_key + ": " + k.error().message);
    key = std::move(*k);
  }
  std::unique_ptr<Outbox> o(new Outbox(cfg, std::move(*secret), std::move(key)));
  o->worker_ = std::thread([p = o.get()] { p->run(); });
  if (!o->key_ && cfg.cfbl)
    log::get()->warn("reports: no reports.dkim_key: RFC 9477 complaint addresses get no report (unsigned)");
  return o;
}

Outbox::~Outbox() { stop(); }

void Outbox::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard lk(mu_);
  if (!queue_.empty()) {
    log::get()->warn("reports: {} complaint reports not sent at stop", queue_.size());
    stats_.dropped += queue_.size();
    queue_.clear();
  }
}

bool Outbox::submit(Complaint c) {
  {
    std::lock_guard lk(mu_);
    if (stopping_ || static_cast<int64_t>(queue_.size()) >= cfg_.queue) {
      stats_.dropped++;
      return false;
    }
    queue_.push_back(std::move(c));
  }
  cv_.notify_one();
  return true;
}

bool Outbox::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  return !cv_.wait_for(lk, d, [this] { return stopping_; });
}

void Outbox::run() {
  for (;;) {
    Complaint c;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    handle(c);
  }
}

std::vector<Outbox::Destination> Outbox::destinations(const Complaint& c, std::string* cfbl_reason) const {
  std::vector<Destination> out;
  auto add = [&](const std::string& a, std::string why) {
    for (const auto& d : out)
      if (iequals(d.address, a)) return;
    out.push_back({a, std::move(why)});
  };
  if (cfg_.cfbl) {
    const auto h = mime::HeaderSection::parse(c.message);
    auto t = cfbl_target(h, c.dkim);
    if (t && key_)
      add(t->address, "cfbl");
    else if (cfbl_reason)
      *cfbl_reason = t ? "no reports.dkim_key to sign with" : t.error().message;
  }
  if (c.source_ip)
    for (const auto& a : contacts_.for_ip(*c.source_ip)) add(a, "network of " + c.source_ip->to_string());
  for (const auto& r : c.dkim)
    if (r.result == dkim::Verdict::kPass)
      for (const auto& a : contacts_.for_domain(r.domain)) add(a, "domain " + r.domain);
  return out;
}

void Outbox::handle(Complaint& c) {
  std::string cfbl_reason;
  auto dests = destinations(c, &cfbl_reason);
  if (!cfbl_reason.empty() && cfbl_reason != "no CFBL-Address field") stats_.cfbl_refused++;
  if (dests.empty()) {
    stats_.no_destination++;
    return;
  }
  ComplaintInput in;
  in.original = c.message;
  in.recipients = c.recipients;
  in.source_ip = c.source_ip;
  in.arrival_unix = 0;
  for (const auto& r : c.dkim)
    if (r.result == dkim::Verdict::kPass) {
      in.reported_domain = r.domain;
      break;
    }
  const std::string key = message_key(c.message);
  for (const auto& d : dests) {
    const int64_t now = c.time;
    switch (limiter_.admit(d.address, key, now)) {
      case Admit::kDuplicate: stats_.duplicate++; continue;
      case Admit::kRateLimited: stats_.rate_limited++; continue;
      case Admit::kSend: break;
    }
    ReportOptions o;
    o.from = cfg_.sender;
    o.to = {d.address};
    o.reporting_mta = cfg_.reporting_mta;
    o.own_domains = cfg_.own_domains;
    o.include_body = cfg_.include_body;
    o.now = static_cast<int64_t>(std::time(nullptr));
    std::string msg = write_complaint_report(in, o, redactor_);
    if (key_) {
      dkim::SignOptions so;
      so.domain = cfg_.dkim_domain;
      so.selector = cfg_.dkim_selector;
      so.timestamp = o.now;
      auto sig = dkim::sign(msg, *key_, so);
      if (!sig) {
        log::get()->error("reports: signing the report for {} failed: {}", d.address, sig.error().message);
        stats_.failed++;
        continue;
      }
      msg = *sig + msg;
    }
    Status st;
    std::chrono::milliseconds backoff(1000);
    for (int64_t attempt = 0; attempt < cfg_.attempts; ++attempt) {
      st = smtp_send(smtp_, cfg_.sender, {d.address}, msg);
      if (st || st.error().code == Errc::kPermanent || st.error().code == Errc::kInvalidArgument) break;
      if (attempt + 1 < cfg_.attempts && !wait_for(backoff)) break;
      backoff *= 4;
    }
    if (st) {
      stats_.sent++;
      log::get()->info("reports: complaint report to {} ({}) sent via {}", d.address, d.why, cfg_.relay);
    } else if (st.error().code == Errc::kPermanent || st.error().code == Errc::kInvalidArgument) {
      stats_.refused++;
      log::get()->warn("reports: complaint report to {} refused: {}", d.address, st.error().message);
    } else {
      stats_.failed++;
      log::get()->warn("reports: complaint report to {} not sent: {}", d.address, st.error().message);
    }
  }
}

void Outbox::collect_metrics(MetricsWriter& w) const {
  w.family("rampart_outbound_reports_total",
           "Complaint reports to other networks ([reports]), by result: sent, duplicate, rate_limited, "
           "no_destination, failed, refused (5xx), dropped (queue full or stopping).",
           MetricType::kCounter);
  w.sample({{"result", "sent"}}, stats_.sent.load());
  w.sample({{"result", "duplicate"}}, stats_.duplicate.load());
  w.sample({{"result", "rate_limited"}}, stats_.rate_limited.load());
  w.sample({{"result", "no_destination"}}, stats_.no_destination.load());
  w.sample({{"result", "failed"}}, stats_.failed.load());
  w.sample({{"result", "refused"}}, stats_.refused.load());
  w.sample({{"result", "dropped"}}, stats_.dropped.load());
  w.family("rampart_outbound_reports_cfbl_refused_total",
           "Complaints whose CFBL-Address did not meet RFC 9477 (no report to it).", MetricType::kCounter);
  w.sample({}, stats_.cfbl_refused.load());
}

}  // namespace rampart::reports
