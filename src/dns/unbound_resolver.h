// File: src/dns/unbound_resolver.h
// UnboundResolver: the production Resolver, on libunbound (validating,
// caching). Asynchronous: resolve() queues the query, process() (called when
// fd() is readable, or periodically) delivers answers on the caller's thread
// and expires queries older than timeout_ms with Status::kTimeout.
//
//   dns::UnboundOptions opt;
//   opt.forwarders = {"127.0.0.1@5353"};   // empty: use /etc/resolv.conf
//   opt.timeout_ms = 2000;
//   auto r = dns::UnboundResolver::create(opt);   // Result<unique_ptr<UnboundResolver>>
//   if (!r) die(r.error().message);
//   (*r)->resolve("example.com", RRType::MX, [](AnswerPtr a) { ... });
//   while ((*r)->pending()) (*r)->wait(100);
//
// With forwarders, every query goes to them (forward zone for "."), with
// loopback allowed. Without, the servers of /etc/resolv.conf are used as
// forwarders. trust_anchor_file enables DNSSEC validation; Answer::secure and
// Answer::bogus report it, a bogus answer is kServFail with the reason.
// DIAGNOSTICS: create() fails with kConfig on a bad forwarder, option or
// trust-anchor file. Answers: see resolver.h; libunbound errors and bogus
// data give kServFail, an unparseable reply kMalformed, no reply in time
// kTimeout. An invalid name (label > 63, name > 253, empty label) answers
// kNxDomain at once. Callbacks still pending at destruction never run.
// Not thread-safe: use one instance per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "dns/resolver.h"

struct ub_ctx;
struct ub_result;

namespace rampart::dns {

struct UnboundOptions {
  // "ADDR" or "ADDR@PORT", IPv4 or IPv6.
  std::vector<std::string> forwarders;
  bool use_resolv_conf = true;  // when forwarders is empty
  bool use_hosts_file = false;  // /etc/hosts
  int timeout_ms = 3000;
  std::string trust_anchor_file;  // DNSSEC trust anchor (ub_ctx_add_ta_file)
  // Extra unbound.conf settings, e.g. {"edns-buffer-size:", "1232"}.
  std::vector<std::pair<std::string, std::string>> unbound_options;
};

class UnboundResolver final : public Resolver {
 public:
  static Result<std::unique_ptr<UnboundResolver>> create(const UnboundOptions& options);
  ~UnboundResolver() override;
  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  void resolve(std::string_view name, RRType type, Callback cb) override;
  int fd() const override;
  void process() override;
  void wait(int timeout_ms) override;
  size_t pending() const override { return pending_.size(); }

  // Number of queries that completed with kTimeout so far.
  size_t timeouts() const { return timeouts_; }

 private:
  struct Pending {
    UnboundResolver* self = nullptr;
    uint64_t id = 0;
    int async_id = 0;
    std::string name;
    RRType type = RRType::A;
    Callback cb;
    std::chrono::steady_clock::time_point deadline;
  };
  explicit UnboundResolver(ub_ctx* ctx, int timeout_ms) : ctx_(ctx), timeout_(timeout_ms) {}
  static void on_result(void* data, int err, ub_result* result);
  void complete(uint64_t id, AnswerPtr answer);
  void expire();

  ub_ctx* ctx_;
  std::chrono::milliseconds timeout_;
  uint64_t next_id_ = 1;
  size_t timeouts_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Pending>> pending_;
};

}  // namespace rampart::dns
