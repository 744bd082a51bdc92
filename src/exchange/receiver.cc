// The receiver's checks and the book of applied sequence numbers.
#include <fmt/format.h>

#include "core/strings.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::kMalformed: return "malformed";
    case Refusal::kWrongGroup: return "wrong_group";
    case Refusal::kUnknownOrigin: return "unknown_origin";
    case Refusal::kBadSignature: return "bad_signature";
    case Refusal::kNoRight: return "no_right";
    case Refusal::kRevoked: return "revoked";
    case Refusal::kReplay: return "replay";
    case Refusal::kStale: return "stale";
    case Refusal::kFuture: return "future";
    case Refusal::kWindowFull: return "window_full";
  }
  return "?";
}

bool SeqBook::seen(std::string_view origin, uint64_t seq) const {
  auto it = by_origin_.find(origin);
  if (it == by_origin_.end()) return false;
  return seq <= it->second.floor || it->second.above.count(seq) > 0;
}

bool SeqBook::record(std::string_view origin, uint64_t seq) {
  auto it = by_origin_.find(origin);
  if (it == by_origin_.end()) it = by_origin_.emplace(std::string(origin), Origin{}).first;
  Origin& o = it->second;
  if (seq <= o.floor || o.above.count(seq) > 0) return false;
  if (seq == o.floor + 1) {
    o.floor = seq;
    while (!o.above.empty() && *o.above.begin() == o.floor + 1) {
      o.floor = *o.above.begin();
      o.above.erase(o.above.begin());
    }
    return true;
  }
  if (o.above.size() >= kMaxWindow) return false;
  o.above.insert(seq);
  return true;
}

uint64_t SeqBook::floor(std::string_view origin) const {
  auto it = by_origin_.find(origin);
  return it == by_origin_.end() ? 0 : it->second.floor;
}

std::string SeqBook::to_text() const {
  std::string out;
  for (const auto& [name, o] : by_origin_) {
    out += fmt::format("{} {}", name, o.floor);
    for (uint64_t s : o.above) out += fmt::format(" {}", s);
    out += '\n';
  }
  return out;
}

Result<SeqBook> SeqBook::parse(std::string_view text) {
  SeqBook b;
  for (std::string_view line : split(text, '\n')) {
    if (line.empty()) continue;
    auto parts = split(line, ' ');
    if (parts.size() < 2 || !valid_member_name(parts[0]))
      return fail(Errc::kParse, "seq book: '<member> <floor> ...'");
    Origin o;
    for (size_t i = 1; i < parts.size(); ++i) {
      uint64_t v = 0;
      for (char c : parts[i]) {
        if (c < '0' || c > '9' || v > UINT64_MAX / 10 - 9) return fail(Errc::kParse, "seq book: bad number");
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (parts[i].empty()) return fail(Errc::kParse, "seq book: empty number");
      if (i == 1)
        o.floor = v;
      else if (v > o.floor && o.above.size() < kMaxWindow)
        o.above.insert(v);
    }
    b.by_origin_[std::string(parts[0])] = std::move(o);
  }
  return b;
}

tl::expected<ParsedBatch, Refused> Receiver::check(std::string_view text, int64_t now) const {
  auto p = parse_batch(text);
  if (!p) return tl::unexpected(Refused{Refusal::kMalformed, {}, p.error().message});
  const Batch& b = p->batch;
  auto refuse = [&](Refusal r, std::string msg) {
    return tl::unexpected(Refused{r, b.origin, std::move(msg)});
  };
  if (p->group != group_->name()) return refuse(Refusal::kWrongGroup, "batch of group '" + p->group + "'");
  const Member* m = group_->find(b.origin);
  if (m == nullptr) return refuse(Refusal::kUnknownOrigin, "no member '" + b.origin + "'");
  if (!verify_signature(m->sign_key, text.substr(0, p->body_len), p->sig.data()))
    return refuse(Refusal::kBadSignature,
                  fmt::format("signature of {} seq {} does not verify", b.origin, b.seq));
  if (m->revoked_at && (now >= *m->revoked_at || b.time >= *m->revoked_at))
    return refuse(Refusal::kRevoked, fmt::format("{} revoked at {}", b.origin, *m->revoked_at));
  if (!m->may_write(b.cls, b.time) || !m->may_write(b.cls, now))
    return refuse(Refusal::kNoRight, fmt::format("{} may not write {}", b.origin, class_name(b.cls)));
  if (b.time > now + opt_.max_skew_s)
    return refuse(Refusal::kFuture, fmt::format("time {} ahead of now {}", b.time, now));
  if (b.time < now - opt_.max_age_s)
    return refuse(Refusal::kStale, fmt::format("time {} older than the window", b.time));
  if (book_->seen(b.origin, b.seq))
    return refuse(Refusal::kReplay, fmt::format("{} seq {} applied already", b.origin, b.seq));
  return std::move(*p);
}

tl::expected<Accepted, Refused> Receiver::accept(std::string_view text, int64_t now) {
  auto p = check(text, now);
  if (!p) return tl::unexpected(std::move(p.error()));
  if (!book_->record(p->batch.origin, p->batch.seq))
    return tl::unexpected(
        Refused{Refusal::kWindowFull, p->batch.origin, "too many out-of-order batches pending"});
  return Accepted{std::move(*p)};
}

}  // namespace rampart::exchange
