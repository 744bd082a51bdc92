#include "dns/unbound_resolver.h"

#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <span>

#include "core/strings.h"
#include "dns/name.h"
#include "dns/wire.h"

namespace rampart::dns {
namespace {

AnswerPtr make_answer(Status status, std::string error) {
  auto a = std::make_shared<Answer>();
  a->status = status;
  a->error = std::move(error);
  return a;
}

Result<std::string> check_forwarder(const std::string& f) {
  std::string addr = f;
  size_t at = f.rfind('@');
  if (at != std::string::npos) {
    addr = f.substr(0, at);
    std::string port = f.substr(at + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535)
      return fail(Errc::kConfig, "bad forwarder port in '" + f + "'");
  }
  if (!IpAddress::parse(addr)) return fail(Errc::kConfig, "bad forwarder address in '" + f + "'");
  return f;
}

// The name as libunbound's parser reads it back octet for octet: every
// octet other than a letter, digit, '-' or '_' as \DDD (so ':', '/', '@',
// ';', '(' or a space in a label can never be taken for syntax).
std::string unbound_qname(std::string_view canonical) {
  auto labels = name_labels(canonical);
  if (!labels || labels->empty()) return ".";
  std::string out;
  for (const auto& label : *labels) {
    for (char ch : label) {
      auto c = static_cast<unsigned char>(ch);
      if (is_alnum(ch) || ch == '-' || ch == '_') {
        out.push_back(ch);
      } else {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + c / 100));
        out.push_back(static_cast<char>('0' + (c / 10) % 10));
        out.push_back(static_cast<char>('0' + c % 10));
      }
    }
    out.push_back('.');
  }
  return out;
}

// Reverse zones of special-purpose addresses that libunbound answers itself
// (NXDOMAIN, RFC 6303 and its built-in list) instead of asking anyone.
// Right for a full resolver; wrong for a stub that forwards to the site's
// resolver, which owns the PTRs of its private (RFC 1918, RFC 6598),
// link-local and documentation ranges: a mail host on 192.168.x.x or
// 2001:db8:: has a PTR there, and SPF's ptr mechanism and %{p} macro need it.
// With forwarders these zones go to the forwarder like any other name.
Result<void> forward_special_reverse_zones(ub_ctx* ctx) {
  std::vector<std::string> zones = {
      "10.in-addr.arpa.",      "168.192.in-addr.arpa.",    "254.169.in-addr.arpa.",
      "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
      "d.f.ip6.arpa.",         "8.e.f.ip6.arpa.",          "9.e.f.ip6.arpa.",
      "a.e.f.ip6.arpa.",       "b.e.f.ip6.arpa.",          "8.b.d.0.1.0.0.2.ip6.arpa."};
  for (int i = 16; i <= 31; ++i) zones.push_back(std::to_string(i) + ".172.in-addr.arpa.");
  for (int i = 64; i <= 127; ++i) zones.push_back(std::to_string(i) + ".100.in-addr.arpa.");
  for (const char* opt : {"unblock-lan-zones:", "insecure-lan-zones:"})
    if (int rc = ub_ctx_set_option(ctx, opt, "yes"); rc != 0)
      return fail(Errc::kConfig, std::string(opt) + " " + ub_strerror(rc));
  for (const auto& z : zones)
    if (int rc = ub_ctx_set_option(ctx, "local-zone:", (z + " nodefault").c_str()); rc != 0)
      return fail(Errc::kConfig, "local-zone " + z + " nodefault: " + ub_strerror(rc));
  return {};
}

}  // namespace

Result<std::unique_ptr<UnboundResolver>> UnboundResolver::create(const UnboundOptions& o) {
  if (o.timeout_ms <= 0) return fail(Errc::kConfig, "timeout_ms must be positive");
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return fail(Errc::kInternal, "ub_ctx_create failed");
  std::unique_ptr<UnboundResolver> r(new UnboundResolver(ctx, o.timeout_ms));
  auto check = [](int rc, const std::string& what) -> Result<void> {
    if (rc != 0) return fail(Errc::kConfig, what + ": " + ub_strerror(rc));
    return {};
  };
  // A worker thread does the network work; results come back through a
  // pipe and are delivered by ub_process() on the caller's thread.
  if (auto c = check(ub_ctx_async(ctx, 1), "ub_ctx_async"); !c) return tl::unexpected(c.error());
  for (const auto& [k, v] : o.unbound_options)
    if (auto c = check(ub_ctx_set_option(ctx, k.c_str(), v.c_str()), "option " + k + " " + v); !c)
      return tl::unexpected(c.error());
  if (!o.forwarders.empty()) {
    if (auto c = check(ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"), "do-not-query-localhost"); !c)
      return tl::unexpected(c.error());
    for (const auto& f : o.forwarders) {
      auto ok = check_forwarder(f);
      if (!ok) return tl::unexpected(ok.error());
      if (auto c = check(ub_ctx_set_fwd(ctx, f.c_str()), "forwarder " + f); !c)
        return tl::unexpected(c.error());
    }
  } else if (o.use_resolv_conf) {
    if (auto c = check(ub_ctx_resolvconf(ctx, nullptr), "/etc/resolv.conf"); !c)
      return tl::unexpected(c.error());
  }
  if (!o.forwarders.empty() || o.use_resolv_conf)
    if (auto c = forward_special_reverse_zones(ctx); !c) return tl::unexpected(c.error());
  if (o.use_hosts_file)
    if (auto c = check(ub_ctx_hosts(ctx, nullptr), "/etc/hosts"); !c) return tl::unexpected(c.error());
  // libunbound reads the file only at the first query; check it now.
  if (!o.trust_anchor_file.empty() && ::access(o.trust_anchor_file.c_str(), R_OK) != 0)
    return fail(Errc::kConfig, "trust anchor " + o.trust_anchor_file + " is not readable");
  if (!o.trust_anchor_file.empty())
    if (auto c = check(ub_ctx_add_ta_file(ctx, o.trust_anchor_file.c_str()),
                       "trust anchor " + o.trust_anchor_file);
        !c)
      return tl::unexpected(c.error());
  return r;
}

UnboundResolver::~UnboundResolver() {
  for (auto& [id, p] : pending_) ub_cancel(ctx_, p->async_id);
  pending_.clear();
  ub_ctx_delete(ctx_);
}

void UnboundResolver::resolve(std::string_view name, RRType type, Callback cb) {
  std::string n = normalize_name(name);
  if (!valid_name(n)) {
    cb(make_answer(Status::kNxDomain, "invalid domain name"));
    return;
  }
  auto p = std::make_unique<Pending>();
  p->self = this;
  p->id = next_id_++;
  p->name = std::move(n);
  p->type = type;
  p->cb = std::move(cb);
  p->deadline = std::chrono::steady_clock::now() + timeout_;
  std::string qname = unbound_qname(p->name);
  int rc = ub_resolve_async(ctx_, qname.c_str(), static_cast<int>(type), kClassIn, p.get(), &on_result,
                            &p->async_id);
  if (rc != 0) {
    Callback done = std::move(p->cb);
    done(make_answer(Status::kServFail, std::string("ub_resolve_async: ") + ub_strerror(rc)));
    return;
  }
  uint64_t id = p->id;
  pending_.emplace(id, std::move(p));
}

void UnboundResolver::on_result(void* data, int err, ub_result* result) {
  auto* p = static_cast<Pending*>(data);
  std::shared_ptr<Answer> a;
  if (err != 0) {
    a = std::make_shared<Answer>();
    a->status = Status::kServFail;
    a->error = std::string("libunbound: ") + ub_strerror(err);
  } else if (result && result->answer_packet && result->answer_len > 0) {
    a = std::make_shared<Answer>(
        parse_response(std::span<const uint8_t>(static_cast<const uint8_t*>(result->answer_packet),
                                                static_cast<size_t>(result->answer_len)),
                       p->type, p->name));
  } else {
    a = std::make_shared<Answer>();
    if (!result) {
      a->status = Status::kServFail;
    } else if (result->nxdomain) {
      a->status = Status::kNxDomain;
    } else if (result->rcode != 0) {
      a->status = Status::kServFail;
      a->error = "rcode " + std::to_string(result->rcode);
    } else {
      a->status = Status::kNoData;
    }
  }
  if (result && err == 0) {
    a->secure = result->secure != 0;
    a->bogus = result->bogus != 0;
    if (a->bogus) {
      a->status = Status::kServFail;
      a->records.clear();
      a->error = result->why_bogus ? std::string("DNSSEC bogus: ") + result->why_bogus : "DNSSEC bogus";
    }
  }
  if (result) ub_resolve_free(result);
  p->self->complete(p->id, std::move(a));
}

void UnboundResolver::complete(uint64_t id, AnswerPtr answer) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Callback cb = std::move(it->second->cb);
  pending_.erase(it);
  cb(std::move(answer));
}

void UnboundResolver::expire() {
  if (pending_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  std::vector<uint64_t> due;
  for (const auto& [id, p] : pending_)
    if (p->deadline <= now) due.push_back(id);
  std::sort(due.begin(), due.end());  // oldest first
  for (uint64_t id : due) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // completed by an earlier callback
    ub_cancel(ctx_, it->second->async_id);
    ++timeouts_;
    complete(id,
             make_answer(Status::kTimeout, "no answer within " + std::to_string(timeout_.count()) + " ms"));
  }
}

int UnboundResolver::fd() const { return ub_fd(ctx_); }

void UnboundResolver::process() {
  if (ub_poll(ctx_)) ub_process(ctx_);
  expire();
}

void UnboundResolver::wait(int timeout_ms) {
  if (!pending_.empty()) {
    auto now = std::chrono::steady_clock::now();
    auto earliest = now + std::chrono::milliseconds(timeout_ms);
    for (const auto& [id, p] : pending_) earliest = std::min(earliest, p->deadline);
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
    timeout_ms = static_cast<int>(std::max<int64_t>(0, ms));
  }
  pollfd p{fd(), POLLIN, 0};
  ::poll(&p, 1, timeout_ms);
  process();
}

}  // namespace rampart::dns
