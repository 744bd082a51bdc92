// File: src/reputation/overrides.h
// Manual overrides of the reputation classes (issue 14): an operator lists
// or delists an identity by hand, with a reason; who did it and when are
// kept, and every change is appended to an audit log. One mechanism for
// both users: the live DNSBL zones (src/server/live_zones.h) and the scan's
// reputation check (src/policy/feedback.cc).
//
//   auto store = reputation::OverrideStore::open(data_dir + "/overrides");   // Result<unique_ptr>
//   auto req = reputation::parse_override_request(R"({"identity": "ip:192.0.2.1",
//                                                      "action": "delist", "reason": "ticket 42"})");
//   auto o = (*store)->apply(*req, "desk", now);          // Result<Override>: persisted + audited
//   if (auto cur = (*store)->find("ip:192.0.2.1")) cur->action;   // kDelist
//   (*store)->list();  (*store)->audit(100);
//
// Identities: `ip:ADDR` (IPv4 or IPv6, canonical form), `net:CIDR` (no host
// bits), `domain:NAME` (lower case, LDH labels, no trailing dot); and the
// other channels' `voice:+E164`, `sms:+E164`, `shortcode:DIGITS`,
// `im:ACCOUNT`, `sip:ADDR`, `trunk:NAME` (event.h canonical_channel_key),
// which rampartd's calls and messages apply (block: refused; allow: never
// blocked nor tagged by the patterns) and the zones ignore. Actions:
//   block   listed in the block zones (code of the zone's "manual" category),
//           REP_SPAMMER in scans, whatever the class says;
//   allow   listed in the allow zones, never in block zones; scans ignore a
//           bad class of the identity;
//   delist  not listed in block zones, and it sticks against automatic
//           relisting until cleared (the class itself goes on: scans still
//           see it);
//   clear   the override is removed; automatic listing resumes.
//
// Persistence (a data dir given): `overrides.jsonl` holds the current set,
// one JSON object per line, rewritten whole (temp file, fsync, rename) on
// every change; `audit.jsonl` is append-only, one line per change (fsync'd
// before the change is applied). Without a dir both live in memory only.
// The JSON of an override and of an audit line:
//   {"identity": "ip:192.0.2.1", "action": "delist", "reason": "ticket 42", "who": "desk", "at": 1700000000}
//
// Threads: every method is safe from any thread (one mutex); the listener is
// called after each change, outside the lock, on the caller's thread.
//
// DIAGNOSTICS: parse_override_request fails (kParse) on anything but one
// JSON object with string members "identity", "action" and "reason" (an
// unknown member, a duplicate, a wrong type, bad escapes, trailing bytes,
// more than kMaxOverrideJson bytes), or (kInvalidArgument) on a bad
// identity, an unknown action, an empty reason or one over kMaxReason bytes.
// apply() fails with kIo when the audit line or the set cannot be written
// (nothing changes then), kLimit past max_overrides. open() fails with kIo
// for an unreadable dir and kParse naming file:line for a corrupt line of
// overrides.jsonl (the operator fixes it; nothing is guessed).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::reputation {

constexpr size_t kMaxOverrideJson = 4096;
constexpr size_t kMaxReason = 200;

// kRelease and kExtend are audit lines only (a bot incident released or
// extended by hand, src/server/flow_service.h): never in the set, never
// accepted by parse_override_request.
enum class OverrideAction : uint8_t { kAllow, kBlock, kDelist, kClear, kRelease, kExtend };
std::string_view override_action_name(OverrideAction a);  // "allow", "block", "delist", "clear"
std::optional<OverrideAction> parse_override_action(std::string_view s);

// "ip:192.0.2.1", "net:192.0.2.0/24", "domain:Example.COM." -> canonical
// ("domain:example.com"); kInvalidArgument otherwise.
Result<std::string> canonical_identity(std::string_view identity);

struct OverrideRequest {
  std::string identity;  // canonical
  OverrideAction action = OverrideAction::kClear;
  std::string reason;
};
// The body of POST /v1/overrides.
Result<OverrideRequest> parse_override_request(std::string_view json);

struct Override {
  std::string identity;
  OverrideAction action = OverrideAction::kClear;
  std::string reason, who;
  int64_t at = 0;
  std::string to_json() const;
};
// A line of overrides.jsonl or audit.jsonl (the object to_json() writes).
Result<Override> parse_override_json(std::string_view json);

struct OverrideOptions {
  size_t max_overrides = 100000;
  size_t audit_memory = 1000;  // audit lines kept in memory for audit()
};

class OverrideStore {
 public:
  // `dir` empty: memory only. Creates the dir when missing.
  static Result<std::unique_ptr<OverrideStore>> open(const std::string& dir, OverrideOptions o = {});

  // Audits, then applies (kClear removes). Returns the audit record.
  Result<Override> apply(const OverrideRequest& req, std::string_view who, int64_t now);
  // An audit line only (kRelease, kExtend of a bot incident): appended and
  // fsync'd like apply()'s; the set is not touched; no listener call.
  Result<Override> note(const OverrideRequest& req, std::string_view who, int64_t now);
  std::optional<Override> find(std::string_view identity) const;
  std::vector<Override> list() const;  // by identity
  // The last `limit` audit records, oldest first.
  std::vector<Override> audit(size_t limit) const;
  size_t size() const;

  // Called after every change with the audit record (kClear: removed).
  using Listener = std::function<void(const Override&)>;
  void set_listener(Listener l);

 private:
  OverrideStore() = default;
  Status write_set_locked() const;
  std::string dir_;
  OverrideOptions o_;
  mutable std::mutex mu_;
  std::map<std::string, Override, std::less<>> set_;
  std::deque<Override> audit_;
  std::shared_ptr<const Listener> listener_;
};

}  // namespace rampart::reputation
