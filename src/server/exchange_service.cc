// File: src/server/exchange_service.cc
// rampartd's side of the members' exchange (see exchange_service.h).
#include "server/exchange_service.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/dmarc/orgdomain.h"
#include "console/forms.h"
#include "core/file.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strings.h"
#include "server/http/router.h"

namespace rampart::server {

namespace ex = rampart::exchange;
using Steady = std::chrono::steady_clock;

// ---------------------------------------------------------------- config
Result<ExchangeConfig> ExchangeConfig::from(const Config& cfg, const std::string& data_dir) {
  const size_t mark = cfg.error_count();
  ExchangeConfig c;
  Section s = cfg.section("exchange");
  c.enabled = s.boolean("enabled", false);
  c.group = s.string("group", "");
  c.self = s.string("self", "");
  c.key = s.string("key", "");
  c.group_key = s.string("group_key", "");
  c.listen = s.string("listen", c.listen);
  c.tls_cert = s.string("tls_cert", "");
  c.tls_key = s.string("tls_key", "");
  c.audit = s.string("audit", "");
  c.threshold = s.number("threshold", 1.0, 0.01, 1000);
  c.half_life_s = s.number("half_life_s", 3 * 86400.0, 0, 365 * 86400.0);
  c.fresh_s = s.number("fresh_s", 3600, 0, 365 * 86400.0);
  c.publish_transitions = s.boolean("publish_transitions", true);
  c.pull_interval_ms = s.integer("pull_interval_ms", 1000, 50, 3600 * 1000);
  c.timeout_ms = s.integer("timeout_ms", 3000, 100, 60000);
  c.max_age_s = s.integer("max_age_s", 7 * 86400, 60, 365 * 86400);
  c.max_skew_s = s.integer("max_skew_s", 300, 0, 86400);
  c.max_push_bytes = static_cast<size_t>(s.integer("max_push_bytes", 4 << 20, 1024, 64 << 20));
  c.max_journal_bytes =
      static_cast<size_t>(s.integer("max_journal_bytes", int64_t{256} << 20, 1024, int64_t{1} << 40));
  c.debug_dump_dir = s.string("debug_dump_dir", "");
  for (const std::string& n : s.strings("subscriber_networks")) {
    if (auto p = parse_cidr(n))
      c.policy.subscriber_networks.push_back(*p);
    else
      s.invalid("subscriber_networks", "not a CIDR: " + n);
  }
  for (const std::string& n : s.strings("publishable_networks")) {
    if (auto p = parse_cidr(n))
      c.policy.publishable_networks.push_back(*p);
    else
      s.invalid("publishable_networks", "not a CIDR: " + n);
  }
  if (s.has("trust")) {  // only when present: --print-config shows no empty table
    Section trust = s.table("trust");
    for (const std::string& k : trust.keys()) c.trust[k] = trust.number(k, 0, 0, 1000);
  }
  for (Section p : s.tables("peers")) {
    Peer peer{p.string("member", ""), p.string("address", "")};
    if (!ex::valid_member_name(peer.member)) p.invalid("member", "a member name of the group");
    if (!parse_host_port(peer.address)) p.invalid("address", "ADDR:PORT");
    c.peers.push_back(std::move(peer));
  }
  if (c.enabled) {
    for (auto [key, val] :
         {std::pair{"group", &c.group}, std::pair{"self", &c.self}, std::pair{"key", &c.key},
          std::pair{"tls_cert", &c.tls_cert}, std::pair{"tls_key", &c.tls_key}})
      if (val->empty()) s.invalid(key, "required when [exchange] enabled = true");
    if (!parse_host_port(c.listen, -1, true)) s.invalid("listen", "ADDR:PORT");
    if (data_dir.empty() && c.audit.empty())
      s.invalid("audit", "required without --data-dir (the audit log)");
  }
  if (!data_dir.empty()) c.state_dir = data_dir + "/exchange";
  if (c.audit.empty() && !c.state_dir.empty()) c.audit = c.state_dir + "/audit.log";
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

// ---------------------------------------------------------------- client
namespace {

struct Answer {
  int status = 0;
  std::string headers, body;
  std::string header(std::string_view name) const {
    for (std::string_view line : split(headers, '\n')) {
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name))
        return std::string(trim(line.substr(colon + 1)));
    }
    return {};
  }
};

// Waits for `fd` to be readable/writable until `deadline`.
bool wait_fd(int fd, short events, Steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) > 0;
}

// One HTTPS request with mutual TLS 1.3, a deadline over all of it, the
// peer's certificate pinned by SHA-256, the answer capped at `max_answer`.
Result<Answer> https_call(SSL_CTX* ctx, const HostPort& hp, const std::string& pin, std::string_view method,
                          std::string_view target, std::string_view body, std::chrono::milliseconds timeout,
                          size_t max_answer) {
  const auto deadline = Steady::now() + timeout;
  const int fd = ::socket(hp.ip.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    SSL* ssl = nullptr;
    ~Closer() {
      if (ssl) SSL_free(ssl);
      ::close(fd);
    }
  } closer{fd};
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (hp.ip.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(hp.port);
    std::memcpy(&a->sin_addr, hp.ip.bytes().data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(hp.port);
    std::memcpy(&a->sin6_addr, hp.ip.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) return fail(Errc::kTemporary, std::string("connect: ") + std::strerror(errno));
    if (!wait_fd(fd, POLLOUT, deadline)) return fail(Errc::kTemporary, "connect: timed out");
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) return fail(Errc::kTemporary, std::string("connect: ") + std::strerror(err));
  }
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return fail(Errc::kInternal, "SSL_new failed");
  closer.ssl = ssl;
  SSL_set_fd(ssl, fd);
  // Drives one OpenSSL call to completion within the deadline.
  auto drive = [&](auto&& op) -> int {
    for (;;) {
      const int r = op();
      if (r > 0) return r;
      const int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_READ) {
        if (!wait_fd(fd, POLLIN, deadline)) return -2;
      } else if (e == SSL_ERROR_WANT_WRITE) {
        if (!wait_fd(fd, POLLOUT, deadline)) return -2;
      } else if (e == SSL_ERROR_ZERO_RETURN) {
        return 0;
      } else {
        return -1;
      }
    }
  };
  ERR_clear_error();
  const int hs = drive([&] { return SSL_connect(ssl); });
  if (hs == -2) return fail(Errc::kTemporary, "TLS handshake: timed out");
  if (hs <= 0) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return fail(Errc::kTemporary, std::string("TLS handshake: ") + buf);
  }
  if (peer_certificate_sha256(ssl) != pin)
    return fail(Errc::kPermanent, "peer certificate is not the member's");
  std::string req =
      fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", method,
                  target, hp.to_string(), body.size());
  req.append(body);
  size_t off = 0;
  while (off < req.size()) {
    const int n = drive([&] {
      return SSL_write(ssl, req.data() + off, static_cast<int>(std::min<size_t>(req.size() - off, 1 << 20)));
    });
    if (n <= 0) return fail(Errc::kTemporary, n == -2 ? "write: timed out" : "write failed");
    off += static_cast<size_t>(n);
  }
  std::string in;
  char buf[16384];
  for (;;) {
    const int n = drive([&] { return SSL_read(ssl, buf, sizeof buf); });
    if (n == -2) return fail(Errc::kTemporary, "read: timed out");
    if (n <= 0) break;  // close_notify or EOF
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > max_answer) return fail(Errc::kLimit, "answer over the cap");
  }
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos || !in.starts_with("HTTP/1.1 ") || in.size() < 12)
    return fail(Errc::kTemporary, "malformed HTTP answer");
  Answer a;
  a.status = std::atoi(in.substr(9, 3).c_str());
  a.headers = in.substr(0, end);
  a.body = in.substr(end + 4);
  const std::string cl = a.header("content-length");
  if (!cl.empty() && std::to_string(a.body.size()) != cl) return fail(Errc::kTemporary, "answer truncated");
  return a;
}

// One query parameter, form-decoded (console/forms.h); empty when absent or malformed.
std::string query_param(std::string_view target, std::string_view name) {
  auto f = console::parse_query(target);
  if (!f) return {};
  const std::string* v = console::find_field(*f, name);
  return v ? *v : std::string();
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

Status write_atomic(const std::string& path, const std::string& data) {
  return write_file_atomically(path, data, 0640);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---------------------------------------------------------------- service
// The identity the reputation engine keeps for an item in clear ("" for
// blinded items, which are tested, never listed).
std::string identity_of(const ex::Item& i) {
  switch (i.kind) {
    case ex::ItemKind::kIp: return "ip:" + i.value;
    case ex::ItemKind::kNet: return "net:" + i.value;
    // The engine keeps domains by their organisational domain (reputation/event.h):
    // a member's report on a subdomain is evidence about it.
    case ex::ItemKind::kDomain:
      return "domain:" + dmarc::PublicSuffixList::system().organizational_domain(i.value);
    default: return {};
  }
}

struct ExchangeService::Impl : std::enable_shared_from_this<Impl> {
  // Each peer has its own thread: a peer that is slow or gone delays only
  // its own pushes and pulls.
  struct PeerState {
    ExchangeConfig::Peer cfg;
    HostPort addr;
    uint64_t cursor = 0;  // their journal position we pulled up to (under mu)
    Steady::time_point next_try{};
    int failures = 0;
    std::deque<std::string> outbox;  // sealed batches to push (under mu)
    std::condition_variable cv;
    std::thread thread;
  };
  // What the reputation engine reads (shared_evidence()): per identity and
  // class, the reports as the tally holds them; its own lock, so that a scan
  // never waits for a batch being applied.
  struct EvRec {
    ex::DataClass cls;
    std::string value;  // the item's own value (several subdomains share one domain: identity)
    std::vector<ex::Report> reports;
    bool retracted = false;
  };

  ExchangeConfig cfg;
  std::shared_ptr<TlsContext> server_tls, client_tls;
  std::optional<ex::SigningKey> key;
  std::optional<ex::GroupKey> group_key;
  std::optional<ex::AuditLog> audit;

  std::mutex mu;  // everything below
  std::shared_ptr<const ex::Group> group;
  const int64_t started = unix_now();  // members_json's "since" when the audit log was empty
  std::filesystem::file_time_type group_mtime{};
  ex::SeqBook book;
  ex::Journal journal;
  std::unique_ptr<ex::Tally> tally;
  std::unique_ptr<ex::Publisher> publisher;
  std::deque<PeerState> peers;
  uint64_t own_seq = 0;
  reputation::ClassListener sink;
  // Listings of the journal read at start, for the sink once it is set.
  std::vector<ex::Tally::Change> restored;
  bool wake = false, stopping = false;
  uint64_t dump_n = 0;

  std::condition_variable cv;
  std::thread worker;
  Counter applied, refused, published, pulls_failed, pushes_failed, retracted_sent, retracted_received,
      compacted, snapshots, shared_events;

  std::shared_mutex ev_mu;
  std::unordered_map<std::string, std::vector<EvRec>> evidence;
  std::function<void(std::vector<reputation::Event>)> event_sink;  // set once, before traffic

  std::unique_ptr<HttpHandler> listener_handler;

  Status load() {
    if (auto st = reload_group(true); !st) return st;
    auto k = ex::SigningKey::load_file(cfg.key);
    if (!k) return tl::unexpected(k.error());
    key.emplace(std::move(*k));
    const ex::Member* me = group->find(cfg.self);
    if (me == nullptr)
      return fail(Errc::kConfig, "exchange: self '" + cfg.self + "' is not a member of the group");
    if (me->sign_key != key->public_key())
      return fail(Errc::kConfig, "exchange: " + cfg.key + " is not the signing key of '" + cfg.self + "'");
    if (!cfg.group_key.empty()) {
      auto gk = ex::load_group_key(cfg.group_key);
      if (!gk) return tl::unexpected(gk.error());
      group_key = *gk;
    }
    auto st = TlsContext::server_mutual(cfg.tls_cert, cfg.tls_key);
    if (!st) return tl::unexpected(st.error());
    server_tls = *st;
    auto ct = TlsContext::client_mutual(cfg.tls_cert, cfg.tls_key);
    if (!ct) return tl::unexpected(ct.error());
    client_tls = *ct;
    if (!cfg.state_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg.state_dir, ec);
      if (ec) return fail(Errc::kIo, cfg.state_dir + ": " + ec.message());
    }
    if (!cfg.debug_dump_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg.debug_dump_dir, ec);
    }
    auto a = ex::AuditLog::open(cfg.audit);
    if (!a) return tl::unexpected(a.error());
    // What each member published and read before this start (members_json): the log's last 16 MiB.
    if (auto seeded = a->tally_existing(); !seeded) log::get()->warn("exchange: {}", seeded.error().message);
    audit.emplace(std::move(*a));
    tally = std::make_unique<ex::Tally>(cfg.trust, cfg.threshold, cfg.half_life_s, cfg.fresh_s);
    publisher = std::make_unique<ex::Publisher>(*group, cfg.self, cfg.policy);
    for (const auto& p : cfg.peers) {
      PeerState& ps = peers.emplace_back();
      ps.cfg = p;
      ps.addr = *parse_host_port(p.address);
    }
    return load_state();
  }

  // The journal, the seq book and the peers' cursors of an earlier run.
  Status load_state() {
    if (cfg.state_dir.empty()) return {};
    std::string warning;
    journal = ex::Journal::open(cfg.state_dir, &warning);
    if (!warning.empty()) log::get()->error("exchange: {}", warning);
    for (const auto& e : journal.entries()) {
      auto p = ex::parse_batch(e.text);
      if (!p) continue;
      if (p->batch.origin == cfg.self) own_seq = std::max(own_seq, p->batch.seq);
      for (auto& ch : tally->add(p->batch, unix_now())) restored.push_back(std::move(ch));
      if (p->batch.origin != cfg.self) refresh_evidence_locked(p->batch);
    }
    if (auto sb = ex::SeqBook::parse(read_file_or_empty(cfg.state_dir + "/seqbook"))) book = std::move(*sb);
    // The journal may have been compacted past our own newest batch: the
    // seq book remembers it (numbers are never reused).
    own_seq = std::max(own_seq, book.floor(cfg.self));
    for (std::string_view line : split(read_file_or_empty(cfg.state_dir + "/cursors"), '\n')) {
      const size_t sp = line.find(' ');
      uint64_t pos = 0;
      if (sp == std::string_view::npos || !parse_u64(line.substr(sp + 1), pos)) continue;
      for (auto& p : peers)
        if (p.cfg.member == line.substr(0, sp)) p.cursor = pos;
    }
    // Own batches are never applied again.
    for (uint64_t s = 1; s <= own_seq; ++s) book.record(cfg.self, s);
    return {};
  }

  Status reload_group(bool first) {
    std::error_code ec;
    const auto mt = std::filesystem::last_write_time(cfg.group, ec);
    if (!first && (ec || mt == group_mtime)) return {};
    auto g = ex::Group::load_file(cfg.group);
    if (!g) {
      if (first) return tl::unexpected(g.error());
      log::get()->error("exchange: group file not reloaded: {}", g.error().message);
      group_mtime = mt;
      return {};
    }
    group = std::make_shared<const ex::Group>(std::move(*g));
    group_mtime = mt;
    if (!first) {
      publisher = std::make_unique<ex::Publisher>(*group, cfg.self, cfg.policy);
      log::get()->info("exchange: group file reloaded ({} members)", group->members().size());
    }
    return {};
  }

  void persist_locked() {
    if (cfg.state_dir.empty()) return;
    (void)write_atomic(cfg.state_dir + "/seqbook", book.to_text());
    std::string cur;
    for (const auto& p : peers) cur += fmt::format("{} {}\n", p.cfg.member, p.cursor);
    (void)write_atomic(cfg.state_dir + "/cursors", cur);
  }

  void journal_append_locked(std::string text, const ex::Batch& b) {
    if (auto st = journal.append(std::move(text), b); !st)
      log::get()->error("exchange: journal: {}", st.error().message);
    // Over the size cap: down to 3/4 of it at once (the files are rewritten
    // once per quarter of the cap appended, not at every batch).
    if (journal.bytes() > cfg.max_journal_bytes) compact_locked(unix_now(), cfg.max_journal_bytes / 4 * 3);
  }

  // Drops the batches older than max_age_s from the head of the journal
  // (every receiver refuses them as stale anyway), then the oldest while it
  // is over `max_bytes` (max_journal_bytes): a peer behind them catches up
  // from the snapshot.
  void compact_locked(int64_t now, size_t max_bytes) {
    size_t by_size = 0;
    const size_t n = journal.compact(now - cfg.max_age_s, max_bytes, &by_size);
    if (n == 0) return;
    compacted.inc(n);
    log::get()->info(
        "exchange: journal compacted: {} batches older than {} s and {} over max_journal_bytes {} "
        "dropped, {} kept ({} bytes)",
        n - by_size, cfg.max_age_s, by_size, cfg.max_journal_bytes, journal.size(), journal.bytes());
  }

  // The engine's view of the items of `b` (under mu; takes ev_mu).
  void refresh_evidence_locked(const ex::Batch& b) {
    std::unique_lock lock(ev_mu);
    for (const ex::Item& i : b.items) {
      const std::string id = identity_of(i);
      if (id.empty()) continue;
      auto& recs = evidence[id];
      auto it = std::find_if(recs.begin(), recs.end(),
                             [&](const EvRec& r) { return r.cls == i.cls && r.value == i.value; });
      const auto* reps = tally->reports(i);
      if (!reps) {
        if (it != recs.end()) recs.erase(it);
      } else {
        if (it == recs.end()) it = recs.insert(recs.end(), EvRec{i.cls, i.value, {}, false});
        it->reports = *reps;
        it->retracted = tally->retracted(i);
      }
      if (recs.empty()) evidence.erase(id);
    }
  }

  // After the tally's expiry pass: what it forgot, the engine forgets.
  void prune_evidence_locked() {
    std::unique_lock lock(ev_mu);
    for (auto it = evidence.begin(); it != evidence.end();) {
      auto& recs = it->second;
      const std::string_view id = it->first;
      const size_t colon = id.find(':');
      const auto kind = id.substr(0, colon) == "ip"    ? ex::ItemKind::kIp
                        : id.substr(0, colon) == "net" ? ex::ItemKind::kNet
                                                       : ex::ItemKind::kDomain;
      std::erase_if(recs, [&](EvRec& r) {
        const ex::Item item{r.cls, kind, std::string(id.substr(colon + 1)), 1};
        r.retracted = tally->retracted(item);
        return tally->reports(item) == nullptr;
      });
      it = recs.empty() ? evidence.erase(it) : std::next(it);
    }
  }

  double decay(int64_t age) const {
    const double a = std::max(0.0, static_cast<double>(age) - cfg.fresh_s);
    return cfg.half_life_s > 0 ? std::exp2(-a / cfg.half_life_s) : 1.0;
  }

  std::optional<reputation::SharedEvidence> evidence_for(std::string_view identity, int64_t now) {
    std::shared_lock lock(ev_mu);
    auto it = evidence.find(std::string(identity));
    if (it == evidence.end()) return std::nullopt;
    reputation::SharedEvidence best;
    bool any = false, retracted = false;
    for (const EvRec& r : it->second) {
      retracted = retracted || r.retracted;
      reputation::SharedEvidence e;
      e.bot = r.cls == ex::DataClass::kBotIp;
      for (const ex::Report& rep : r.reports) {
        if (rep.count == 0) continue;
        const double t = tally->trust(rep.origin);  // the trust table never changes after start
        e.weight += t * decay(now - rep.time) / cfg.threshold;
        e.by.push_back(reputation::Provenance{rep.origin, rep.seq, rep.time});
        e.trust.push_back(t);
      }
      if (!any || e.weight > best.weight) best = std::move(e);
      any = true;
    }
    best.retracted = retracted;
    return best;
  }

  // The reputation events of an applied batch: one per item in clear about
  // an identity, with its provenance and the origin's trust (0 for a retraction).
  void shared_events_of(const ex::Batch& b, int64_t now, std::vector<reputation::Event>& out) const {
    if (!event_sink) return;
    const double trust = tally->trust(b.origin);
    for (const ex::Item& i : b.items) {
      std::string id = identity_of(i);
      if (id.empty()) continue;
      reputation::Event e;
      e.type = reputation::EventType::kShared;
      e.time = std::min(b.time, now);
      e.subject = std::move(id);
      e.origin = reputation::Provenance{b.origin, b.seq, b.time};
      e.weight = i.count == 0 ? 0.0 : trust;
      out.push_back(std::move(e));
    }
  }

  void emit(std::vector<reputation::Event> evs) {
    if (evs.empty()) return;
    std::function<void(std::vector<reputation::Event>)> to;
    {
      std::lock_guard lock(mu);
      to = event_sink;
    }
    if (!to) return;
    shared_events.inc(evs.size());
    to(std::move(evs));
  }

  // One received batch (a pull answer's or a push's), from member `via`.
  // Returns the listing changes to hand to the sink (outside the lock).
  std::vector<ex::Tally::Change> apply_locked(std::string_view text, std::string_view via, int64_t now,
                                              bool& accepted, std::vector<reputation::Event>& events) {
    accepted = false;
    ex::ReceiveOptions ro;
    ro.max_age_s = cfg.max_age_s;
    ro.max_skew_s = cfg.max_skew_s;
    ex::Receiver rx(*group, book, ro);
    auto r = rx.accept(text, now);
    if (!r) {
      // Our own batches come back through relays: nothing to say about them.
      if (r.error().origin == cfg.self && r.error().why == ex::Refusal::kReplay) return {};
      // A replay is refused and audited; through a relay (another path
      // brought the batch already) it is normal, so it is not a warning.
      if (r.error().why == ex::Refusal::kReplay) {
        (void)audit->record(now, "refuse", via, "", 0, 0,
                            fmt::format("replay origin={}: {}", r.error().origin, r.error().message));
        log::get()->debug("exchange: {} from {}: {}", ex::refusal_name(r.error().why), via,
                          r.error().message);
        return {};
      }
      refused.inc();
      log::get()->warn("exchange: refused a batch from {} (origin {}): {}: {}", via,
                       r.error().origin.empty() ? "?" : r.error().origin, ex::refusal_name(r.error().why),
                       r.error().message);
      (void)audit->record(now, "refuse", via, "", 0, 0,
                          fmt::format("{} origin={}: {}", ex::refusal_name(r.error().why), r.error().origin,
                                      r.error().message));
      return {};
    }
    accepted = true;
    applied.inc();
    const ex::Batch& b = r->parsed.batch;
    (void)audit->record(now, "write", b.origin, ex::class_name(b.cls), b.items.size(), b.seq,
                        via == b.origin ? "" : "via " + std::string(via));
    journal_append_locked(std::string(text), b);
    auto changes = tally->add(b, now);
    for (const auto& i : b.items)
      if (i.count == 0) retracted_received.inc();
    refresh_evidence_locked(b);
    shared_events_of(b, now, events);
    return changes;
  }

  void to_sink(const std::vector<ex::Tally::Change>& changes, int64_t now) {
    if (changes.empty()) return;
    reputation::ClassListener s;
    std::vector<reputation::ClassChange> out;
    {
      std::lock_guard lock(mu);
      s = sink;
      for (const auto& c : changes) {
        if (c.item.kind != ex::ItemKind::kIp && c.item.kind != ex::ItemKind::kNet &&
            c.item.kind != ex::ItemKind::kDomain)
          continue;  // blinded items are tested, never listed
        reputation::ClassChange cc;
        cc.identity = std::string(c.item.kind == ex::ItemKind::kIp    ? "ip:"
                                  : c.item.kind == ex::ItemKind::kNet ? "net:"
                                                                      : "domain:") +
                      c.item.value;
        cc.at = now;
        cc.from = reputation::SenderClass::kUnknown;
        if (!c.listed) {
          cc.to = reputation::SenderClass::kUnknown;
        } else {
          cc.to = c.item.cls == ex::DataClass::kBotIp ? reputation::SenderClass::kCompromised
                                                      : reputation::SenderClass::kSpammer;
          if (c.item.cls == ex::DataClass::kBotIp) cc.reasons.push_back({"BOT_DETECTED", 1.0, "exchange"});
          std::string who;
          if (const auto* reps = tally->reports(c.item))
            for (const auto& r : *reps)
              if (r.count > 0) who += fmt::format("{}{}@{}", who.empty() ? "" : " ", r.origin, r.time);
          cc.reasons.push_back({"EXCHANGE", tally->score(c.item, now), "reported by " + who});
        }
        out.push_back(std::move(cc));
      }
    }
    if (s && !out.empty()) s(out);
  }

  void dump(std::string_view what, std::string_view peer, std::string_view bytes) {
    if (cfg.debug_dump_dir.empty() || bytes.empty()) return;
    uint64_t n;
    {
      std::lock_guard lock(mu);
      n = ++dump_n;
    }
    (void)write_atomic(fmt::format("{}/{}-{:06}-{}-{}", cfg.debug_dump_dir, ::getpid(), n, peer, what),
                       std::string(bytes));
  }

  // Seals what was published into batches (one per class); returns them.
  std::vector<std::string> seal_locked(int64_t now) {
    std::vector<std::string> out;
    for (size_t c = 0; c < ex::kClassCount; ++c) {
      const auto cls = static_cast<ex::DataClass>(c);
      while (publisher->pending(cls) > 0) {
        auto b = publisher->take(cls, own_seq + 1, now);
        if (!b) break;
        ++own_seq;
        book.record(cfg.self, own_seq);
        const size_t n = b->items.size();
        std::string text = ex::sign_batch(group->name(), *b, *key);
        (void)audit->record(now, "publish", cfg.self, ex::class_name(cls), n, own_seq);
        size_t withdrawn = 0;
        for (const auto& i : b->items) withdrawn += i.count == 0;
        published.inc(n - withdrawn);
        retracted_sent.inc(withdrawn);
        auto parsed = ex::parse_batch(text);
        journal_append_locked(text, parsed->batch);
        out.push_back(std::move(text));
      }
    }
    return out;
  }

  // Hands sealed batches to every peer's thread (under mu). What a peer
  // does not take in time is in the journal: it gets it by pulling.
  void enqueue_locked(const std::vector<std::string>& batches) {
    if (batches.empty()) return;
    for (auto& p : peers) {
      for (const auto& b : batches) p.outbox.push_back(b);
      while (p.outbox.size() > 256) p.outbox.pop_front();
      p.cv.notify_one();
    }
  }

  void push_to(PeerState& p, const std::string& body, size_t batches) {
    std::string pin;
    {
      std::lock_guard lock(mu);
      const ex::Member* m = group->find(p.cfg.member);
      if (!m) return;
      pin = m->tls_sha256;
    }
    dump("push", p.cfg.member, body);
    auto a = https_call(client_tls->get(), p.addr, pin, "POST", "/v1/exchange/push", body,
                        std::chrono::milliseconds(cfg.timeout_ms), 1 << 20);
    if (!a || a->status != 200) {
      pushes_failed.inc();
      log::get()->info("exchange: push to {} failed ({}); it catches up by pulling", p.cfg.member,
                       a ? std::to_string(a->status) : a.error().message);
    } else {
      log::get()->info("exchange: pushed {} batches to {}: {}", batches, p.cfg.member, a->body);
      dump("push-answer", p.cfg.member, a->body);
    }
  }

  void pull_from(PeerState& p) {
    std::string pin;
    uint64_t cursor;
    {
      std::lock_guard lock(mu);
      const ex::Member* m = group->find(p.cfg.member);
      if (!m) return;
      pin = m->tls_sha256;
      cursor = p.cursor;
    }
    for (int round = 0; round < 16; ++round) {
      auto a =
          https_call(client_tls->get(), p.addr, pin, "GET", fmt::format("/v1/exchange/pull?since={}", cursor),
                     {}, std::chrono::milliseconds(cfg.timeout_ms), 8u << 20);
      if (!a || a->status != 200) {
        pulls_failed.inc();
        ++p.failures;
        const auto backoff = std::chrono::milliseconds(
            std::min<int64_t>(30000, cfg.pull_interval_ms * (int64_t{1} << std::min(p.failures, 10))));
        p.next_try = Steady::now() + backoff;
        if (p.failures <= 3 || p.failures % 10 == 0)
          log::get()->info("exchange: pull from {} failed ({}); next try in {} ms", p.cfg.member,
                           a ? fmt::format("HTTP {}", a->status) : a.error().message, backoff.count());
        return;
      }
      p.failures = 0;
      dump("pull", p.cfg.member, a->body);
      uint64_t next = 0;
      if (!parse_u64(a->header("x-exchange-next"), next)) return;
      std::vector<ex::Tally::Change> changes;
      std::vector<reputation::Event> events;
      const int64_t now = unix_now();
      // The peer compacted past our cursor (we were away longer than it
      // keeps batches): what it sends is everything it still holds, which is
      // everything not stale; said aloud, never a silent gap.
      uint64_t compacted_to = 0;
      if (parse_u64(a->header("x-exchange-compacted"), compacted_to) && compacted_to > cursor) {
        snapshots.inc();
        log::get()->warn(
            "exchange: {} compacted its journal past our position {} (to {}: batches older than its "
            "max_age_s or over its max_journal_bytes); catching up from the full snapshot it keeps",
            p.cfg.member, cursor, compacted_to);
        (void)audit_rec(now, "snapshot", p.cfg.member, "", 0,
                        fmt::format("cursor {} behind compacted {}", cursor, compacted_to));
      }
      {
        std::lock_guard lock(mu);
        std::string_view in = a->body;
        while (!in.empty()) {
          auto f = ex::next_frame(in);
          if (!f) {
            log::get()->warn("exchange: pull answer from {}: {}", p.cfg.member, f.error().message);
            break;
          }
          bool ok = false;
          auto ch = apply_locked(*f, p.cfg.member, now, ok, events);
          changes.insert(changes.end(), ch.begin(), ch.end());
        }
        p.cursor = cursor = next;
        persist_locked();
      }
      to_sink(changes, now);
      emit(std::move(events));
      if (a->header("x-exchange-more") != "1") return;
    }
  }

  // One thread per peer: pushes as soon as batches are sealed, pulls every
  // pull_interval_ms (later while it backs off).
  void peer_loop(PeerState& p) {
    auto next_pull = Steady::now();
    for (;;) {
      std::string body;
      size_t n = 0;
      {
        std::unique_lock lock(mu);
        p.cv.wait_until(lock, std::max(next_pull, p.next_try), [&] { return stopping || !p.outbox.empty(); });
        if (stopping) return;
        for (const auto& b : p.outbox) body += ex::frame(b);
        n = p.outbox.size();
        p.outbox.clear();
      }
      if (n > 0) push_to(p, body, n);
      const auto t = Steady::now();
      if (t >= next_pull && t >= p.next_try) {
        pull_from(p);
        next_pull = Steady::now() + std::chrono::milliseconds(cfg.pull_interval_ms);
      }
    }
  }

  // The worker: seals what was published (at once when urgent, else within
  // a pull interval), hands it to the peers' threads, and every 10 s decays
  // the tally and compacts the journal.
  void run() {
    auto next_seal = Steady::now();
    auto next_expire = Steady::now() + std::chrono::seconds(10);
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv.wait_until(lock, std::min(next_seal, next_expire), [&] { return wake || stopping; });
        if (stopping) return;
        wake = false;
        (void)reload_group(false);
        auto sealed = seal_locked(unix_now());
        if (!sealed.empty()) persist_locked();
        enqueue_locked(sealed);
        next_seal = Steady::now() + std::chrono::milliseconds(cfg.pull_interval_ms);
      }
      if (Steady::now() >= next_expire) {
        const int64_t now = unix_now();
        std::vector<ex::Tally::Change> ch;
        {
          std::lock_guard lock(mu);
          ch = tally->expire(now);
          prune_evidence_locked();
          compact_locked(now, cfg.max_journal_bytes);
        }
        to_sink(ch, now);
        next_expire = Steady::now() + std::chrono::seconds(10);
      }
    }
  }

  // ---- the listener's requests (event loop threads)
  HttpReply handle(const HttpRequest& req) {
    const int64_t now = unix_now();
    const std::string path = req.target.substr(0, req.target.find('?'));
    std::shared_ptr<const ex::Group> g;
    {
      std::lock_guard lock(mu);
      g = group;
    }
    const ex::Member* m = req.tls_peer_sha256.empty() ? nullptr : g->find_by_cert(req.tls_peer_sha256);
    if (m == nullptr) {
      (void)audit_rec(now, "deny", "", "", 0, "unknown certificate from " + req.peer);
      return HttpReply{403, error_json("not a member of the group")};
    }
    if (!m->active(now)) {
      (void)audit_rec(now, "deny", m->name, "", 0, "revoked");
      return HttpReply{403, error_json("revoked")};
    }
    if (path == "/v1/exchange/pull" && req.method == "GET") {
      uint64_t since = 0;
      const std::string s = query_param(req.target, "since");
      if (!s.empty() && !parse_u64(s, since)) return HttpReply{400, error_json("since: a journal position")};
      ex::Journal::Slice sl;
      {
        std::lock_guard lock(mu);
        // Batches compacted away (older than max_age_s) are not sent: the
        // member gets everything kept, and is told so (compacted_to).
        sl = journal.read(since, 4u << 20, [&](const ex::Journal::Entry& e) {
          return m->may_read(e.cls, now) && e.origin != m->name;
        });
        for (const auto& [cls, n] : sl.items)
          (void)audit->record(now, "read", m->name, ex::class_name(cls), n);
        if (sl.compacted_to)
          (void)audit->record(now, "snapshot", m->name, "", 0, 0,
                              fmt::format("since {} behind compacted {}", since, sl.compacted_to));
      }
      HttpReply r{200, std::move(sl.body), "application/x-rampart-exchange"};
      r.headers = fmt::format("X-Exchange-Next: {}\r\nX-Exchange-More: {}\r\n", sl.next, sl.more ? 1 : 0);
      if (sl.compacted_to) r.headers += fmt::format("X-Exchange-Compacted: {}\r\n", sl.compacted_to);
      return r;
    }
    if (path == "/v1/exchange/push" && req.method == "POST") {
      if (req.body.size() > cfg.max_push_bytes) return HttpReply{413, error_json("push over max_push_bytes")};
      std::string_view in = req.body;
      size_t ok_n = 0, bad_n = 0;
      std::vector<ex::Tally::Change> changes;
      std::vector<reputation::Event> events;
      {
        std::lock_guard lock(mu);
        while (!in.empty()) {
          auto f = ex::next_frame(in);
          if (!f) {
            ++bad_n;
            (void)audit->record(now, "refuse", m->name, "", 0, 0, "malformed frame: " + f.error().message);
            break;
          }
          bool ok = false;
          auto ch = apply_locked(*f, m->name, now, ok, events);
          (ok ? ok_n : bad_n)++;
          changes.insert(changes.end(), ch.begin(), ch.end());
        }
        persist_locked();
      }
      to_sink(changes, now);
      emit(std::move(events));
      return HttpReply{200, fmt::format("{{\"accepted\":{},\"not_applied\":{}}}", ok_n, bad_n)};
    }
    return HttpReply{404, error_json("no such exchange endpoint")};
  }

  Status audit_rec(int64_t now, std::string_view op, std::string_view who, std::string_view cls, size_t n,
                   std::string_view detail) {
    std::lock_guard lock(mu);
    return audit->record(now, op, who, cls, n, 0, detail);
  }
};

namespace {
class ListenerHandler final : public HttpHandler {
 public:
  explicit ListenerHandler(ExchangeService::Impl* impl) : impl_(impl) {}
  void handle(HttpRequest req, HttpRespond respond) override { respond(impl_->handle(req)); }
  HttpReply timeout_reply(std::string_view) override { return HttpReply{503, error_json("timed out")}; }

 private:
  ExchangeService::Impl* impl_;
};
}  // namespace

ExchangeService::ExchangeService(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ExchangeService::~ExchangeService() { stop(); }

void ExchangeService::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    for (auto& p : impl_->peers) p.cv.notify_all();
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  for (auto& p : impl_->peers)
    if (p.thread.joinable()) p.thread.join();
}

void ExchangeService::register_metrics(Metrics& metrics, std::weak_ptr<Impl> weak) {
  // Registered whether [exchange] is on or not (zero when off), so that the
  // reference and the dashboards know every family.
  metrics.collect("exchange", [weak](MetricsWriter& w) {
    auto i = weak.lock();
    auto v = [&](Counter Impl::*c) -> double { return i ? static_cast<double>(((*i).*c).value()) : 0.0; };
    w.family("rampart_exchange_batches_total", "Exchange batches received, by outcome.",
             MetricType::kCounter);
    w.sample({{"outcome", "applied"}}, v(&Impl::applied));
    w.sample({{"outcome", "refused"}}, v(&Impl::refused));
    w.family("rampart_exchange_published_items_total", "Items this member published to the exchange.",
             MetricType::kCounter);
    w.sample({}, v(&Impl::published));
    w.family("rampart_exchange_retracted_items_total",
             "Items withdrawn: by this member (sent) or by others (received).", MetricType::kCounter);
    w.sample({{"direction", "sent"}}, v(&Impl::retracted_sent));
    w.sample({{"direction", "received"}}, v(&Impl::retracted_received));
    w.family("rampart_exchange_pull_failures_total", "Pulls from a peer that failed (then backed off).",
             MetricType::kCounter);
    w.sample({}, v(&Impl::pulls_failed));
    w.family("rampart_exchange_push_failures_total",
             "Pushes to a peer that failed (it catches up by pulling).", MetricType::kCounter);
    w.sample({}, v(&Impl::pushes_failed));
    w.family("rampart_exchange_compacted_batches_total",
             "Journal batches dropped: older than max_age_s (receivers refuse them as stale), or the oldest "
             "over max_journal_bytes.",
             MetricType::kCounter);
    w.sample({}, v(&Impl::compacted));
    w.family("rampart_exchange_snapshot_catchups_total",
             "Pulls that found the peer's journal compacted past our position (caught up from its snapshot).",
             MetricType::kCounter);
    w.sample({}, v(&Impl::snapshots));
    w.family("rampart_exchange_shared_events_total",
             "Reputation events made of received items (with their provenance).", MetricType::kCounter);
    w.sample({}, v(&Impl::shared_events));
    double journal = 0, journal_bytes = 0, tally = 0, evidence = 0;
    if (i) {
      std::lock_guard lock(i->mu);
      journal = static_cast<double>(i->journal.size());
      journal_bytes = static_cast<double>(i->journal.bytes());
      tally = static_cast<double>(i->tally->size());
      std::shared_lock el(i->ev_mu);
      evidence = static_cast<double>(i->evidence.size());
    }
    w.family("rampart_exchange_journal_batches", "Batches the journal keeps (after compaction).",
             MetricType::kGauge);
    w.sample({}, journal);
    w.family("rampart_exchange_journal_bytes",
             "The journal's size (framed batches, capped by max_journal_bytes).", MetricType::kGauge);
    w.sample({}, journal_bytes);
    w.family("rampart_exchange_tally_items", "Items the trust tally holds (decayed ones are dropped).",
             MetricType::kGauge);
    w.sample({}, tally);
    w.family("rampart_exchange_evidence_identities",
             "Identities the reputation engine reads members' evidence for.", MetricType::kGauge);
    w.sample({}, evidence);
  });
}

void ExchangeService::register_idle_metrics(Metrics& metrics) { register_metrics(metrics, {}); }

Result<std::unique_ptr<ExchangeService>> ExchangeService::start(const ExchangeConfig& cfg, Metrics* metrics) {
  auto impl = std::make_shared<Impl>();
  impl->cfg = cfg;
  if (auto st = impl->load(); !st) return fail(st.error().code, "exchange: " + st.error().message);
  impl->listener_handler = std::make_unique<ListenerHandler>(impl.get());
  if (metrics) register_metrics(*metrics, impl);
  impl->worker = std::thread([raw = impl.get()] { raw->run(); });
  for (auto& p : impl->peers) p.thread = std::thread([raw = impl.get(), pp = &p] { raw->peer_loop(*pp); });
  log::get()->info("exchange: member {} of {}, {} peers, journal of {} batches", cfg.self,
                   impl->group->name(), cfg.peers.size(), impl->journal.size());
  return std::unique_ptr<ExchangeService>(new ExchangeService(std::move(impl)));
}

HttpHandler* ExchangeService::handler() { return impl_->listener_handler.get(); }
std::shared_ptr<TlsContext> ExchangeService::tls() { return impl_->server_tls; }

void ExchangeService::set_listing_sink(reputation::ClassListener sink) {
  std::vector<ex::Tally::Change> restored;
  {
    std::lock_guard lock(impl_->mu);
    impl_->sink = std::move(sink);
    restored.swap(impl_->restored);
  }
  // What the journal lists after a restart goes back into the zones; the
  // sum of merged changes is the final state (a listing, then a delisting).
  impl_->to_sink(restored, unix_now());
}

Status ExchangeService::publish(ex::Item item, bool urgent) {
  std::vector<ex::Item> one;
  one.push_back(std::move(item));
  return publish(std::move(one), urgent);
}

Status ExchangeService::publish(std::vector<ex::Item> items, bool urgent) {
  {
    // All checked, then all queued under one lock: they go out in one batch.
    std::lock_guard lock(impl_->mu);
    const int64_t now = unix_now();
    for (auto& item : items)
      if (auto st = impl_->publisher->check(item, now); !st) return st;
    for (auto& item : items)
      if (auto st = impl_->publisher->publish(std::move(item), now); !st) return st;
    if (urgent) impl_->wake = true;
  }
  if (urgent) impl_->cv.notify_all();
  return {};
}

Status ExchangeService::retract(std::vector<ex::Item> items, bool urgent) {
  {
    std::lock_guard lock(impl_->mu);
    const int64_t now = unix_now();
    for (auto& item : items) {
      item.count = 1;
      if (auto st = impl_->publisher->check(item, now); !st) return st;
    }
    for (auto& item : items)
      if (auto st = impl_->publisher->retract(std::move(item), now); !st) return st;
    if (urgent) impl_->wake = true;
  }
  if (urgent) impl_->cv.notify_all();
  return {};
}

void ExchangeService::set_event_sink(std::function<void(std::vector<reputation::Event>)> sink) {
  std::lock_guard lock(impl_->mu);
  impl_->event_sink = std::move(sink);
}

reputation::SharedEvidenceFn ExchangeService::shared_evidence() {
  std::weak_ptr<Impl> weak = impl_;
  return [weak](std::string_view identity, int64_t now) -> std::optional<reputation::SharedEvidence> {
    auto i = weak.lock();
    if (!i) return std::nullopt;
    return i->evidence_for(identity, now);
  };
}

Status ExchangeService::check(const ex::Item& item) {
  std::lock_guard lock(impl_->mu);
  ex::Item copy = item;
  return impl_->publisher->check(copy, unix_now());
}

reputation::ClassListener ExchangeService::class_listener() {
  std::weak_ptr<Impl> weak = impl_;
  return [weak](std::span<const reputation::ClassChange> cs) {
    auto i = weak.lock();
    if (!i || !i->cfg.publish_transitions) return;
    bool any = false;
    {
      std::lock_guard lock(i->mu);
      for (const auto& c : cs) {
        if (c.to != reputation::SenderClass::kSpammer && c.to != reputation::SenderClass::kCompromised)
          continue;
        // Learned from the members only: theirs, not ours (no echo loops).
        if (!c.learned_from.empty()) continue;
        ex::Item item;
        // A bot as the live zones see one: compromised, or a spammer for a
        // flow detector's finding (BOT_DETECTED); any other spammer is a spam source.
        const bool bot = c.to == reputation::SenderClass::kCompromised ||
                         std::any_of(c.reasons.begin(), c.reasons.end(),
                                     [](const reputation::Reason& r) { return r.code == "BOT_DETECTED"; });
        item.cls = bot ? ex::DataClass::kBotIp : ex::DataClass::kSpamSource;
        if (c.identity.starts_with("ip:")) {
          item.kind = ex::ItemKind::kIp;
          item.value = c.identity.substr(3);
        } else if (c.identity.starts_with("net:")) {
          item.kind = ex::ItemKind::kNet;
          item.value = c.identity.substr(4);
        } else if (c.identity.starts_with("domain:") && c.to == reputation::SenderClass::kSpammer) {
          item.cls = ex::DataClass::kDomainRep;
          item.kind = ex::ItemKind::kDomain;
          item.value = c.identity.substr(7);
        } else {
          continue;
        }
        if (auto st = i->publisher->publish(item, unix_now()); !st)
          log::get()->debug("exchange: {} not published: {}", c.identity, st.error().message);
        else
          any = true;
      }
      if (any) i->wake = true;
    }
    if (any) i->cv.notify_all();
  };
}

Result<ex::Item> ExchangeService::blinded(std::string_view what, ex::DataClass cls, std::string_view value) {
  if (!impl_->group_key) return fail(Errc::kConfig, "no [exchange] group_key: blinded items are unavailable");
  return ex::blinded_item(*impl_->group_key, cls, what, value);
}

std::string ExchangeService::listing_json(const ex::Item& key) {
  const int64_t now = unix_now();
  std::lock_guard lock(impl_->mu);
  std::string out = "{\"class\":";
  append_json_string(out, ex::class_name(key.cls));
  out += ",\"kind\":";
  append_json_string(out, ex::kind_name(key.kind));
  out += ",\"value\":";
  append_json_string(out, key.value);
  out += fmt::format(",\"listed\":{},\"score\":{:.4f},\"threshold\":{},\"retracted\":{},\"reports\":[",
                     impl_->tally->listed(key) ? "true" : "false", impl_->tally->score(key, now),
                     impl_->cfg.threshold, impl_->tally->retracted(key) ? "true" : "false");
  if (const auto* reps = impl_->tally->reports(key)) {
    bool first = true;
    for (const auto& r : *reps) {
      if (r.count == 0) continue;  // withdrawn
      out += first ? "" : ",";
      first = false;
      out += "{\"member\":";
      append_json_string(out, r.origin);
      out += fmt::format(",\"time\":{},\"seq\":{},\"count\":{},\"trust\":{}}}", r.time, r.seq, r.count,
                         impl_->tally->trust(r.origin));
    }
  }
  out += "]}";
  return out;
}

std::string ExchangeService::members_json() {
  const int64_t now = unix_now();
  std::shared_ptr<const ex::Group> g;
  std::map<std::string, ex::MemberActivity, std::less<>> act;
  {
    std::lock_guard lock(impl_->mu);
    g = impl_->group;
    if (impl_->audit) act = impl_->audit->activity();
  }
  const int64_t first = impl_->audit ? impl_->audit->first_time() : 0;
  const int64_t since = first > 0 ? std::min(first, impl_->started) : impl_->started;
  auto classes = [](const std::set<ex::DataClass>& set) {
    std::vector<std::string> v;
    for (ex::DataClass c : set) v.emplace_back(ex::class_name(c));
    return v;
  };
  std::string members;
  for (const ex::Member& m : g->members()) {
    JsonObject o;
    o.str("name", m.name).boolean("self", m.name == impl_->cfg.self).boolean("active", m.active(now));
    if (m.revoked_at) o.num("revoked_at", *m.revoked_at).str("revoked_reason", m.revoked_reason);
    o.strings("may_read", classes(m.rights.read)).strings("may_write", classes(m.rights.write));
    std::string per_class;
    uint64_t refused = 0;
    int64_t last_refused = 0;
    if (auto it = act.find(m.name); it != act.end()) {
      refused = it->second.refused;
      last_refused = it->second.last_refused;
      for (const auto& [cls, a] : it->second.by_class)
        per_class += (per_class.empty() ? "" : ", ") +
                     JsonObject()
                         .str("class", cls)
                         .num("published_items", static_cast<int64_t>(a.published_items))
                         .num("published_batches", static_cast<int64_t>(a.published_batches))
                         .num("last_published", a.last_published)
                         .num("read_items", static_cast<int64_t>(a.read_items))
                         .num("reads", static_cast<int64_t>(a.reads))
                         .num("last_read", a.last_read)
                         .done();
    }
    o.num("refused", static_cast<int64_t>(refused))
        .num("last_refused", last_refused)
        .raw("classes", "[" + per_class + "]");
    members += (members.empty() ? "" : ", ") + o.done();
  }
  return JsonObject()
      .str("group", g->name())
      .str("self", impl_->cfg.self)
      .num("since", since)
      .raw("members", "[" + members + "]")
      .done();
}

// ---------------------------------------------------------------- routes
namespace {
Result<ex::Item> item_from(ExchangeService* exs, std::string_view cls_s, std::string_view kind,
                           std::string_view value, uint64_t count) {
  auto cls = ex::parse_class(cls_s);
  if (!cls)
    return fail(Errc::kInvalidArgument, "class: bot_ip, spam_source, domain_rep, complaint_agg, phish_url");
  if (count < 1 || count > UINT32_MAX) return fail(Errc::kInvalidArgument, "count: 1-4294967295");
  if (kind.starts_with("blind-")) {
    auto b = exs->blinded(kind.substr(6), *cls, value);
    if (!b) return b;
    b->count = static_cast<uint32_t>(count);
    return b;
  }
  auto k = ex::parse_kind(kind);
  if (!k) return fail(Errc::kInvalidArgument, "kind: ip, net, domain, blind-ip, blind-url, blind-mail");
  auto canon = ex::canonical_value(*k, value);
  if (!canon) return tl::unexpected(canon.error());
  return ex::Item{*cls, *k, *canon, static_cast<uint32_t>(count)};
}
// The body of publish and retract: {"items": [...], "urgent": bool}; an
// error reply, or nothing when `items` is filled.
std::optional<HttpReply> items_from_body(ExchangeService* exs, std::string_view body,
                                         std::vector<ex::Item>& items, bool& urgent) {
  if (body.size() > 64 * 1024) return HttpReply{413, error_json("body over 64 KiB")};
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array() ||
      j["items"].size() > 1000)
    return HttpReply{400, error_json("expected {\"items\": [...]} with at most 1000 items")};
  const auto u = j.find("urgent");
  urgent = u == j.end() || !u->is_boolean() || u->get<bool>();
  for (const auto& it : j["items"]) {
    if (!it.is_object() || !it.contains("value") || !it["value"].is_string())
      return HttpReply{400, error_json("an item is {\"class\",\"kind\",\"value\",\"count\"}")};
    auto item = item_from(exs, it.value("class", std::string("bot_ip")), it.value("kind", std::string("ip")),
                          it["value"].get<std::string>(), it.value("count", uint64_t{1}));
    if (!item) return HttpReply{400, error_json(item.error().message)};
    items.push_back(std::move(*item));
  }
  return std::nullopt;
}
}  // namespace

void add_exchange_routes(Router& router, ExchangeService* exs) {
  router.add("POST", "/v1/exchange/publish", Right::kPublish,
             [exs](HttpRequest& req, std::string_view, HttpRespond done) {
               std::vector<ex::Item> items;
               bool urgent = true;
               if (auto bad = items_from_body(exs, req.body, items, urgent)) return done(std::move(*bad));
               // All or nothing: every item is checked before any is queued.
               const size_t n = items.size();
               if (auto st = exs->publish(std::move(items), urgent); !st)
                 return done(HttpReply{st.error().code == Errc::kPermanent ? 403 : 400,
                                       error_json(st.error().message)});
               done(HttpReply{200, fmt::format("{{\"published\":{}}}", n)});
             });
  router.add("POST", "/v1/exchange/retract", Right::kPublish,
             [exs](HttpRequest& req, std::string_view, HttpRespond done) {
               std::vector<ex::Item> items;
               bool urgent = true;
               if (auto bad = items_from_body(exs, req.body, items, urgent)) return done(std::move(*bad));
               const size_t n = items.size();
               if (auto st = exs->retract(std::move(items), urgent); !st)
                 return done(HttpReply{st.error().code == Errc::kPermanent ? 403 : 400,
                                       error_json(st.error().message)});
               done(HttpReply{200, fmt::format("{{\"retracted\":{}}}", n)});
             });
  router.add("GET", "/v1/exchange/members", Right::kRead,
             [exs](HttpRequest&, std::string_view, HttpRespond done) {
               done(HttpReply{200, exs->members_json()});
             });
  router.add("GET", "/v1/exchange/listing", Right::kRead,
             [exs](HttpRequest& req, std::string_view, HttpRespond done) {
               const std::string spec = query_param(req.target, "item");
               const std::string cls = query_param(req.target, "class");
               const size_t colon = spec.find(':');
               if (colon == std::string::npos) return done(HttpReply{400, error_json("item=KIND:VALUE")});
               auto item = item_from(exs, cls.empty() ? "bot_ip" : cls, spec.substr(0, colon),
                                     spec.substr(colon + 1), 1);
               if (!item) return done(HttpReply{400, error_json(item.error().message)});
               done(HttpReply{200, exs->listing_json(*item)});
             });
}

}  // namespace rampart::server
