// The canonical (and wire) form of a batch, its signature, and frames.
#include <algorithm>

#include <fmt/format.h>

#include "core/base64.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

namespace {
constexpr std::string_view kMagic = "rampart-exchange 1";

std::string item_key(const Item& i) { return std::string(kind_name(i.kind)) + ' ' + i.value; }

// One line without its '\n'; kParse when there is none or it is too long.
Result<std::string_view> take_line(std::string_view& in) {
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return fail(Errc::kParse, "batch: line without '\\n'");
  if (nl > kMaxLine) return fail(Errc::kLimit, "batch: line over 512 bytes");
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl + 1);
  return line;
}

// Strict decimal: no sign, no leading zero, fits in uint64.
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

Result<std::string_view> field(std::string_view& in, std::string_view name) {
  auto line = take_line(in);
  if (!line) return line;
  if (line->size() <= name.size() || !line->starts_with(name) || (*line)[name.size()] != ' ')
    return fail(Errc::kParse, fmt::format("batch: expected '{} ...'", name));
  return line->substr(name.size() + 1);
}

Result<uint64_t> number_field(std::string_view& in, std::string_view name) {
  auto v = field(in, name);
  if (!v) return tl::unexpected(v.error());
  uint64_t n = 0;
  if (!parse_u64(*v, n)) return fail(Errc::kParse, fmt::format("batch: {}: not a canonical decimal", name));
  return n;
}
}  // namespace

std::string canonical_body(std::string_view group, Batch& b) {
  // Sort and merge equal items, so one set of items has one encoding.
  std::sort(b.items.begin(), b.items.end(),
            [](const Item& x, const Item& y) { return item_key(x) < item_key(y); });
  std::vector<Item> merged;
  merged.reserve(b.items.size());
  for (Item& i : b.items) {
    if (!merged.empty() && merged.back().kind == i.kind && merged.back().value == i.value) {
      const uint64_t sum = uint64_t{merged.back().count} + i.count;
      merged.back().count = static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX));
    } else {
      merged.push_back(std::move(i));
    }
  }
  b.items = std::move(merged);
  std::string out;
  out.reserve(128 + b.items.size() * 32);
  fmt::format_to(std::back_inserter(out), "{}\ngroup {}\norigin {}\nclass {}\nseq {}\ntime {}\nitems {}\n",
                 kMagic, group, b.origin, class_name(b.cls), b.seq, b.time, b.items.size());
  for (const Item& i : b.items)
    fmt::format_to(std::back_inserter(out), "{} {} {}\n", kind_name(i.kind), i.value, i.count);
  return out;
}

std::string sign_batch(std::string_view group, Batch b, const SigningKey& key) {
  std::string body = canonical_body(group, b);
  const auto sig = key.sign(body);
  body += "sig ";
  body += base64_encode(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
  body += '\n';
  return body;
}

Result<ParsedBatch> parse_batch(std::string_view text) {
  if (text.size() > kMaxBatchBytes) return fail(Errc::kLimit, "batch: over 1 MiB");
  ParsedBatch p;
  std::string_view in = text;
  auto magic = take_line(in);
  if (!magic) return tl::unexpected(magic.error());
  if (*magic != kMagic) return fail(Errc::kParse, "batch: not 'rampart-exchange 1'");
  auto grp = field(in, "group");
  if (!grp) return tl::unexpected(grp.error());
  if (!valid_member_name(*grp)) return fail(Errc::kParse, "batch: bad group name");
  p.group = std::string(*grp);
  auto origin = field(in, "origin");
  if (!origin) return tl::unexpected(origin.error());
  if (!valid_member_name(*origin)) return fail(Errc::kParse, "batch: bad origin name");
  p.batch.origin = std::string(*origin);
  auto cls = field(in, "class");
  if (!cls) return tl::unexpected(cls.error());
  auto c = parse_class(*cls);
  if (!c) return fail(Errc::kParse, "batch: unknown class");
  p.batch.cls = *c;
  auto seq = number_field(in, "seq");
  if (!seq) return tl::unexpected(seq.error());
  if (*seq == 0) return fail(Errc::kParse, "batch: seq starts at 1");
  p.batch.seq = *seq;
  auto tm = number_field(in, "time");
  if (!tm) return tl::unexpected(tm.error());
  if (*tm > (uint64_t{1} << 40)) return fail(Errc::kParse, "batch: time out of range");
  p.batch.time = static_cast<int64_t>(*tm);
  auto n = number_field(in, "items");
  if (!n) return tl::unexpected(n.error());
  if (*n > kMaxItems) return fail(Errc::kLimit, "batch: more than 20000 items");
  p.batch.items.reserve(*n);
  std::string prev;
  for (uint64_t k = 0; k < *n; ++k) {
    auto line = take_line(in);
    if (!line) return tl::unexpected(line.error());
    const size_t sp1 = line->find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line->find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line->find(' ', sp2 + 1) != std::string_view::npos)
      return fail(Errc::kParse, "batch: item is '<kind> <value> <count>'");
    Item it;
    it.cls = p.batch.cls;
    auto kind = parse_kind(line->substr(0, sp1));
    if (!kind) return fail(Errc::kParse, "batch: unknown item kind");
    if (!class_admits(p.batch.cls, *kind)) return fail(Errc::kParse, "batch: kind not admitted by the class");
    it.kind = *kind;
    std::string_view value = line->substr(sp1 + 1, sp2 - sp1 - 1);
    auto canon = canonical_value(it.kind, value);
    if (!canon) return fail(Errc::kParse, "batch: " + canon.error().message);
    if (*canon != value) return fail(Errc::kParse, "batch: value not in canonical form");
    it.value = std::move(*canon);
    uint64_t count = 0;
    // 0: the origin withdraws its report of the item (a retraction).
    if (!parse_u64(line->substr(sp2 + 1), count) || count > UINT32_MAX)
      return fail(Errc::kParse, "batch: count is 0-4294967295");
    it.count = static_cast<uint32_t>(count);
    std::string key = item_key(it);
    if (k > 0 && !(prev < key)) return fail(Errc::kParse, "batch: items not sorted or repeated");
    prev = std::move(key);
    p.batch.items.push_back(std::move(it));
  }
  p.body_len = text.size() - in.size();
  auto sig = field(in, "sig");
  if (!sig) return tl::unexpected(sig.error());
  auto raw = base64_decode(*sig, {.padding = Base64Padding::kRequired, .whitespace = false});
  if (!raw || raw->size() != kSignatureBytes) return fail(Errc::kParse, "batch: sig is 64 bytes of base64");
  if (base64_encode(*raw) != *sig) return fail(Errc::kParse, "batch: sig not in canonical base64");
  std::copy(raw->begin(), raw->end(), p.sig.begin());
  if (!in.empty()) return fail(Errc::kParse, "batch: bytes after the signature");
  return p;
}

std::string frame(std::string_view batch_text) {
  std::string out = fmt::format("batch {}\n", batch_text.size());
  out += batch_text;
  return out;
}

Result<std::string_view> next_frame(std::string_view& in) {
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos || nl > 32) return fail(Errc::kParse, "frame: expected 'batch <n>\\n'");
  std::string_view head = in.substr(0, nl);
  if (!head.starts_with("batch ")) return fail(Errc::kParse, "frame: expected 'batch <n>'");
  uint64_t n = 0;
  if (!parse_u64(head.substr(6), n)) return fail(Errc::kParse, "frame: bad length");
  if (n > kMaxBatchBytes) return fail(Errc::kLimit, "frame: batch over 1 MiB");
  if (in.size() - nl - 1 < n) return fail(Errc::kParse, "frame: truncated");
  std::string_view body = in.substr(nl + 1, n);
  in.remove_prefix(nl + 1 + n);
  return body;
}

}  // namespace rampart::exchange
