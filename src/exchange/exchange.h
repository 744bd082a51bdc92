// File: src/exchange/exchange.h
// The private exchange among member providers: the group (members, keys,
// rights per data class, revocations), signed batches in a canonical text
// form, the receiver's checks (signature, rights then and now, revocation,
// sequence window, time window), the outbound privacy policy, the tally that
// weighs reports by trust, and the append-only audit log. Pure library: no
// sockets, no event loop; rampartd and `rampart exchange` are shells over it.
//
//   auto group = exchange::Group::load_file("group.toml");          // Result<Group>
//   auto key = exchange::SigningKey::load_file("a.key");            // Result<SigningKey>
//   exchange::Publisher pub(*group, *key, policy, group_key);
//   pub.publish({exchange::DataClass::kBotIp, exchange::ItemKind::kIp, "192.0.2.7", 1});
//   auto text = pub.seal(DataClass::kBotIp, seq, now);              // signed batch bytes
//
//   exchange::Receiver rx(*group, book);
//   auto ok = rx.accept(text, now);           // Result<Accepted>: refused with the reason
//
// See README.md for the wire form, the rules and how each check fails.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"

namespace rampart::exchange {

// ---------------------------------------------------------------- classes
enum class DataClass : uint8_t { kBotIp, kSpamSource, kDomainRep, kComplaintAgg, kPhishUrl };
constexpr size_t kClassCount = 5;
std::string_view class_name(DataClass c);
std::optional<DataClass> parse_class(std::string_view s);

// What one item carries. Every kind has a strict grammar: free text (a
// message, a mailbox, a URL in clear) has no kind and cannot be written.
enum class ItemKind : uint8_t {
  kIp,        // an address in clear: "192.0.2.7", "2001:db8::1"
  kNet,       // a network: "192.0.2.0/24"
  kDomain,    // a domain name (LDH labels, lower case, no trailing dot)
  kIpHmac,    // HMAC-SHA256(group key, "ip\0" + canonical IP), 64 hex
  kUrlHmac,   // HMAC-SHA256(group key, "url\0" + URL), 64 hex
  kMailHmac,  // HMAC-SHA256(group key, "mail\0" + lower-cased address), 64 hex
};
std::string_view kind_name(ItemKind k);
std::optional<ItemKind> parse_kind(std::string_view s);
// Which kinds a class admits (bot_ip: ip, net, ip_hmac; ...).
bool class_admits(DataClass c, ItemKind k);

struct Item {
  DataClass cls = DataClass::kBotIp;
  ItemKind kind = ItemKind::kIp;
  std::string value;   // canonical form (see canonical_value)
  uint32_t count = 1;  // reports, complaints or a score: class-defined, >= 1; 0: retraction
};
// The canonical form of `value` for `kind` (IPs re-printed, domains lower
// case, HMACs lower-case hex), or Errc::kParse naming what is wrong.
Result<std::string> canonical_value(ItemKind kind, std::string_view value);

// ---------------------------------------------------------------- keys
constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;
using PublicKey = std::array<uint8_t, kPublicKeyBytes>;

// An Ed25519 key pair (libsodium). The file holds "ed25519-secret:" + base64
// of the 64-byte secret key (seed and public key), one line, mode 0600.
class SigningKey {
 public:
  static Result<SigningKey> generate();
  static Result<SigningKey> parse(std::string_view text);
  static Result<SigningKey> load_file(const std::string& path);
  std::string to_text() const;      // the file's contents
  std::string public_text() const;  // "ed25519:" + base64(public key)
  const PublicKey& public_key() const { return pk_; }
  std::array<uint8_t, kSignatureBytes> sign(std::string_view message) const;
  ~SigningKey();
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;

 private:
  SigningKey() = default;
  std::array<uint8_t, 64> sk_{};
  PublicKey pk_{};
};
Result<PublicKey> parse_public_key(std::string_view text);  // "ed25519:" + base64
std::string public_key_text(const PublicKey& pk);
bool verify_signature(const PublicKey& pk, std::string_view message, const uint8_t* sig);

// The group key for keyed hashes: 32 random bytes, "hmac-sha256:" + hex.
using GroupKey = std::array<uint8_t, 32>;
Result<GroupKey> generate_group_key();
Result<GroupKey> parse_group_key(std::string_view text);
Result<GroupKey> load_group_key(const std::string& path);
std::string group_key_text(const GroupKey& k);
// HMAC-SHA256(key, domain + '\0' + value), lower-case hex. `domain` is the
// kind's label ("ip", "url", "mail") so equal bytes of different kinds never
// collide.
std::string blind(const GroupKey& key, ItemKind kind, std::string_view value);
// The blinded item for a value a member must be able to test but not read:
// an IP (canonicalised first), a URL or a mailbox (lower-cased).
Result<Item> blinded_item(const GroupKey& key, DataClass cls, std::string_view what, std::string_view value);

// SHA-256 of a DER certificate, lower-case hex (the member's tls_sha256).
std::string sha256_hex(std::string_view bytes);

// ---------------------------------------------------------------- group
struct Rights {
  std::set<DataClass> read, write;
};

struct Member {
  std::string name;        // [A-Za-z0-9._-]{1,64}
  PublicKey sign_key{};    // Ed25519
  std::string tls_sha256;  // SHA-256 of the client certificate (DER), hex
  Rights rights;
  int64_t added = 0;                  // rights hold from this time (unix seconds)
  std::optional<int64_t> revoked_at;  // nothing holds from this time on
  std::string revoked_reason;
  // Holds `cls` for reading (or writing) at time t: added <= t < revoked_at.
  bool may_read(DataClass cls, int64_t t) const;
  bool may_write(DataClass cls, int64_t t) const;
  bool active(int64_t t) const { return t >= added && (!revoked_at || t < *revoked_at); }
};

// The group file (TOML):
//   [group]
//   name = "northern-isps"
//   [[members]]
//   name = "A"; sign_key = "ed25519:..."; tls_sha256 = "<hex>";
//   read = ["bot_ip", ...]; write = ["bot_ip"]; added = 1765000000
//   [[revocations]]
//   member = "C"; at = 1765003600; reason = "left the group"
// Revocations are appended, never edited away; the earliest one counts.
class Group {
 public:
  static Result<Group> parse(std::string_view text, std::string_view source = "<group>");
  static Result<Group> load_file(const std::string& path);
  const std::string& name() const { return name_; }
  const Member* find(std::string_view name) const;
  const Member* find_by_cert(std::string_view tls_sha256_hex) const;
  const std::vector<Member>& members() const { return members_; }

 private:
  std::string name_;
  std::vector<Member> members_;
};
bool valid_member_name(std::string_view s);
// TOML text of one [[members]] table / one [[revocations]] table, for the
// CLI to append to the group file.
std::string member_toml(const Member& m);
std::string revocation_toml(std::string_view member, int64_t at, std::string_view reason);

// ---------------------------------------------------------------- batches
// Limits of the wire form (refused with Errc::kLimit beyond them).
constexpr size_t kMaxBatchBytes = 1 << 20;
constexpr size_t kMaxItems = 20000;
constexpr size_t kMaxLine = 512;

struct Batch {
  DataClass cls = DataClass::kBotIp;
  std::string origin;
  uint64_t seq = 0;  // per origin, from 1, never reused
  int64_t time = 0;  // unix seconds, when the origin sealed it
  std::vector<Item> items;
};

// The canonical form, which is also the wire form (see README.md):
//   rampart-exchange 1\n
//   group <group name>\n
//   origin <member>\nclass <class>\nseq <n>\ntime <unix>\nitems <n>\n
//   <kind> <value> <count>\n   (one per item, sorted, no duplicates)
//   sig <base64 of the Ed25519 signature over every byte above>\n
// The signed part; items are sorted and deduplicated first (counts of equal
// items added, capped at 2^32-1).
std::string canonical_body(std::string_view group, Batch& b);
std::string sign_batch(std::string_view group, Batch b, const SigningKey& key);

struct ParsedBatch {
  std::string group;
  Batch batch;
  size_t body_len = 0;  // bytes covered by the signature
  std::array<uint8_t, kSignatureBytes> sig{};
};
// Parses the wire form strictly: any deviation from the canonical form
// (order of lines, spacing, unsorted or duplicate items, CR, leading zeros,
// a value not in its kind's canonical form) is Errc::kParse; so one batch has
// exactly one encoding and the signature covers what was parsed.
Result<ParsedBatch> parse_batch(std::string_view text);

// A stream of batches (pull answers, journal files): each is
// "batch <n>\n" + n bytes of batch text. Parses one frame from `in`,
// advancing it; Errc::kParse / kLimit on a malformed or oversized frame.
Result<std::string_view> next_frame(std::string_view& in);
std::string frame(std::string_view batch_text);

// ---------------------------------------------------------------- receiving
// Which sequence numbers of each origin were applied: everything <= floor,
// plus a window of numbers above it (batches may arrive out of order when a
// push overtakes a pull). Text form: "origin floor n1 n2 ...\n" per origin.
class SeqBook {
 public:
  bool seen(std::string_view origin, uint64_t seq) const;
  // Records seq; false (and nothing changes) when it was seen, or when the
  // window above the floor is full (kMaxWindow).
  bool record(std::string_view origin, uint64_t seq);
  uint64_t floor(std::string_view origin) const;
  std::string to_text() const;
  static Result<SeqBook> parse(std::string_view text);
  static constexpr size_t kMaxWindow = 65536;

 private:
  struct Origin {
    uint64_t floor = 0;
    std::set<uint64_t> above;
  };
  std::map<std::string, Origin, std::less<>> by_origin_;
};

enum class Refusal : uint8_t {
  kMalformed,      // parse failed
  kWrongGroup,     // the batch names another group
  kUnknownOrigin,  // no such member
  kBadSignature,   // the bytes are not what the origin signed
  kNoRight,        // the origin may not write this class (then or now)
  kRevoked,        // the origin is revoked (at the batch's time or now)
  kReplay,         // this origin's sequence number was applied already
  kStale,          // older than the time window
  kFuture,         // later than now + the allowed skew
  kWindowFull,     // too many out-of-order numbers pending
};
std::string_view refusal_name(Refusal r);

struct ReceiveOptions {
  int64_t max_age_s = 7 * 86400;  // a batch older than this is refused
  int64_t max_skew_s = 300;       // a batch from the future beyond this is refused
};

struct Accepted {
  ParsedBatch parsed;
};
struct Refused {
  Refusal why;
  std::string origin;  // as claimed (may be empty when malformed)
  std::string message;
};

class Receiver {
 public:
  Receiver(const Group& group, SeqBook& book, ReceiveOptions opt = {})
      : group_(&group), book_(&book), opt_(opt) {}
  // Checks in order: parse, group, origin, signature, rights and revocation
  // (at the batch's time and now), time window, sequence. On success the
  // sequence number is recorded, so the same batch is refused next time.
  tl::expected<Accepted, Refused> accept(std::string_view text, int64_t now);
  // The same checks without recording (a relay checks before storing).
  tl::expected<ParsedBatch, Refused> check(std::string_view text, int64_t now) const;

 private:
  const Group* group_;
  SeqBook* book_;
  ReceiveOptions opt_;
};

// ---------------------------------------------------------------- publishing
// The member's outbound policy. Enforced by Publisher::publish: what the
// policy does not allow is refused (Errc::kPermanent, naming the rule), so
// nothing private can be sealed into a batch by mistake.
struct OutboundPolicy {
  // Subscriber networks: an address inside one leaves only blinded
  // (ip_hmac); a network overlapping one never leaves.
  std::vector<IpPrefix> subscriber_networks;
  // Networks the member may publish in clear although they are inside a
  // subscriber network (e.g. its dynamic pools, whose bots it lists).
  std::vector<IpPrefix> publishable_networks;
  // Classes this member publishes at all (empty: every class it may write).
  std::set<DataClass> classes;
  // Widest network published in clear (IPv4 / IPv6 prefix length floor).
  unsigned min_v4_prefix = 16, min_v6_prefix = 32;
};

class Publisher {
 public:
  Publisher(const Group& group, std::string self, OutboundPolicy policy)
      : group_(&group), self_(std::move(self)), policy_(std::move(policy)) {}
  // Checks the item against the grammar of its kind, the class's kinds, the
  // member's write right and the policy; queues it. Errors name the rule.
  Status publish(Item item, int64_t now);
  // The same checks without queueing; canonicalises item.value.
  Status check(Item& item, int64_t now) const;
  // Withdraws this member's earlier report of `item` (count is ignored): the
  // same checks as publish(), then queued with count 0, which receivers read
  // as "the origin no longer reports this" (Tally::add).
  Status retract(Item item, int64_t now);
  // Items queued for `cls`.
  size_t pending(DataClass cls) const { return pending_[static_cast<size_t>(cls)].size(); }
  // Takes the queued items of `cls` (at most kMaxItems) into a batch.
  std::optional<Batch> take(DataClass cls, uint64_t seq, int64_t now);
  const std::string& self() const { return self_; }

 private:
  Status queue(Item item);
  const Group* group_;
  std::string self_;
  OutboundPolicy policy_;
  std::array<std::vector<Item>, kClassCount> pending_;
  std::array<size_t, kClassCount> retractions_{};  // pending items with count 0
};

// ---------------------------------------------------------------- trust
// What the receiver believes: per (class, kind, value), the reports of each
// origin with their time and weight; a value is listed when the sum over
// origins of trust(origin) * decay(age) reaches the threshold. A report
// counts fully for `fresh_s` after its batch's time (clocks and delivery
// differ by seconds; a member trusted exactly at the threshold lists alone),
// then halves every `half_life_s`. One origin counts at most its trust,
// however often it reports.
struct Report {
  std::string origin;
  int64_t time = 0;  // the batch's time
  uint64_t seq = 0;
  uint32_t count = 0;
};

class Tally {
 public:
  Tally(std::map<std::string, double, std::less<>> trust, double threshold, double half_life_s,
        double fresh_s = 3600)
      : trust_(std::move(trust)), threshold_(threshold), half_life_s_(half_life_s), fresh_s_(fresh_s) {}
  // Adds the batch's items (an item with count 0 withdraws the origin's
  // report of it); returns the keys whose listed state changed.
  struct Change {
    Item item;
    bool listed = false;
  };
  std::vector<Change> add(const Batch& b, int64_t now);
  double score(const Item& key, int64_t now) const;
  // Whether the key is listed as of the last add()/expire() (what the zones
  // were told); the score decays in between.
  bool listed(const Item& key) const;
  // One per origin, the newest; a report with count 0 was withdrawn.
  const std::vector<Report>* reports(const Item& key) const;
  // An origin withdrew its report of the key within the last kRetractionKeep
  // seconds (as of the last expire()); a key nobody reports any more is
  // forgotten after that.
  bool retracted(const Item& key) const;
  static constexpr int64_t kRetractionKeep = 3600;
  double trust(std::string_view origin) const;
  // Re-evaluates every key (decay); returns the changes since the last call.
  std::vector<Change> expire(int64_t now);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<Report> reports;  // one per origin, the newest (count 0: withdrawn)
    bool listed = false;
    int64_t retracted = 0;  // when a report was last withdrawn (0: not recently)
  };
  static std::string key_of(const Item& i);
  double score_of(const Entry& e, int64_t now) const;
  std::map<std::string, double, std::less<>> trust_;
  double threshold_;
  double half_life_s_;
  double fresh_s_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// ---------------------------------------------------------------- journal
// Every batch a member holds (its own and what it applied), in arrival
// order, for the others to pull: position p is the p-th batch ever kept
// (from 0; a pull "since p" gets the batches at p and after). Compaction
// drops the batches older than the time window from the head (receivers
// refuse them as stale anyway), then, while the journal is over its size
// cap, the oldest batches still in the window (a member that falls behind
// them is answered with the snapshot: Slice::compacted_to); positions stay
// (base()). On disk (dir not
// empty): <dir>/journal (framed batches, appended; rewritten by compaction)
// and <dir>/journal.base (the first position kept).
class Journal {
 public:
  struct Entry {
    std::string text;  // the batch's bytes as signed by its origin
    DataClass cls = DataClass::kBotIp;
    std::string origin;
    size_t items = 0;
    int64_t time = 0;  // the batch's
  };
  // Reads what an earlier run kept (a malformed tail is dropped and named in
  // `warning`); "" : memory only.
  static Journal open(const std::string& dir, std::string* warning = nullptr);
  Status append(std::string text, const Batch& b);
  // Drops the head's batches older than `older_than` (unix seconds), then
  // the oldest ones left while bytes() is over `max_bytes`, and rewrites the
  // files; returns how many (both kinds; `by_size`: how many of them for the
  // cap).
  size_t compact(int64_t older_than, size_t max_bytes = SIZE_MAX, size_t* by_size = nullptr);
  // The journal's size as kept on disk (framed batches).
  size_t bytes() const { return bytes_; }
  uint64_t base() const { return base_; }
  uint64_t end() const { return base_ + entries_.size(); }
  size_t size() const { return entries_.size(); }
  const std::deque<Entry>& entries() const { return entries_; }

  // What a pull "since" gets: the framed batches `take` admits, from `since`
  // (or from base() when since is before it: `compacted_to` = base(), the
  // member was away longer than what is kept and gets all of it, told so),
  // up to about `max_bytes`; `next` is the position to ask next.
  struct Slice {
    std::string body;
    uint64_t next = 0;
    uint64_t compacted_to = 0;  // 0: no gap
    bool more = false;
    std::map<DataClass, size_t> items;  // per class served (the audit's)
  };
  template <typename Take>
  Slice read(uint64_t since, size_t max_bytes, Take&& take) const {
    Slice s;
    uint64_t pos = since;
    if (pos < base_) {
      s.compacted_to = base_;
      pos = base_;
    }
    for (; pos < end(); ++pos) {
      const Entry& e = entries_[pos - base_];
      if (s.body.size() + e.text.size() > max_bytes && !s.body.empty()) {
        s.more = true;
        break;
      }
      if (!take(e)) continue;
      s.body += frame(e.text);
      s.items[e.cls] += e.items;
    }
    s.next = std::min(pos, end());
    return s;
  }

 private:
  std::string dir_;
  std::deque<Entry> entries_;
  uint64_t base_ = 0;
  size_t bytes_ = 0;
};

// ---------------------------------------------------------------- audit
// What one member did in one class, as this member's audit log recorded it:
// "publish" (this member's own batches) and "write" (a member's batch
// applied here) count as published; "read" (a member pulled batches from
// this member's journal) as read.
struct AuditActivity {
  uint64_t published_items = 0, published_batches = 0, read_items = 0, reads = 0;
  int64_t last_published = 0, last_read = 0;  // unix seconds; 0: never
};
struct MemberActivity {
  std::map<std::string, AuditActivity, std::less<>> by_class;  // class name -> counts
  uint64_t refused = 0;                                        // "refuse" and "deny" lines naming it
  int64_t last_refused = 0;
};

// Append-only audit log: one line per read, write or refusal:
//   <unix time> <op> member=<name> class=<class> items=<n> [seq=<n>] [detail=<reason>]
// Opened O_APPEND; a write that fails is reported to the caller.
// activity(): the lines recorded since open() summed per member and class
// (read only; members without a name are not counted; at most 1024 members);
// tally_existing() adds the lines the file held at open (its last
// `max_bytes`; lines that do not parse are skipped), so that the counts
// survive a restart; first_time(): the time of the first line counted.
class AuditLog {
 public:
  static Result<AuditLog> open(const std::string& path);
  AuditLog(AuditLog&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), tally_(std::move(o.tally_)) {
    o.fd_ = -1;
  }
  AuditLog& operator=(AuditLog&&) = delete;
  ~AuditLog();
  Status record(int64_t now, std::string_view op, std::string_view member, std::string_view cls, size_t items,
                uint64_t seq = 0, std::string_view detail = {});
  std::map<std::string, MemberActivity, std::less<>> activity() const;
  Status tally_existing(size_t max_bytes = size_t{16} << 20);
  int64_t first_time() const;

  // One audit line (without its newline) as record() writes it; false when
  // it is not one. `member` and `cls` are empty for "-"; detail is not kept.
  struct Line {
    int64_t time = 0;
    std::string op, member, cls;
    uint64_t items = 0;
  };
  static bool parse_line(std::string_view line, Line& out);

 private:
  struct Tally;
  void count(int64_t now, std::string_view op, std::string_view member, std::string_view cls, size_t items);
  AuditLog(int fd, std::string path);
  int fd_ = -1;
  std::string path_;
  std::shared_ptr<Tally> tally_;
};

}  // namespace rampart::exchange
