#include "dns/wire.h"

#include <algorithm>
#include <array>
#include <limits>

#include "core/strings.h"
#include "dns/name.h"

namespace rampart::dns {
namespace {

// Bounds-checked big-endian reader over a whole message.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> m) : m_(m) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return m_.size() - pos_; }
  void seek(size_t p) { pos_ = p; }
  bool u8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = m_[pos_++];
    return true;
  }
  bool u16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((m_[pos_] << 8) | m_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = (uint32_t{m_[pos_]} << 24) | (uint32_t{m_[pos_ + 1]} << 16) | (uint32_t{m_[pos_ + 2]} << 8) |
         uint32_t{m_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // Reads a possibly compressed name at pos() into `out` (canonical
  // spelling of name.h: lower-case, no trailing dot, odd octets as \DDD). Compression pointers must point
  // strictly before every position visited so far, so loops cannot happen.
  bool name(std::string* out) {
    out->clear();
    size_t p = pos_;
    size_t lowest = pos_;
    size_t wire_len = 0;
    bool jumped = false;
    for (;;) {
      if (p >= m_.size()) return false;
      uint8_t len = m_[p];
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= m_.size()) return false;
        size_t target = (size_t{len & 0x3Fu} << 8) | m_[p + 1];
        if (target >= lowest) return false;  // forward, self or loop
        if (!jumped) pos_ = p + 2;
        jumped = true;
        lowest = target;
        p = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;  // obsolete extended label types
      wire_len += 1 + len;
      if (wire_len > kMaxWireName) return false;
      if (len == 0) {
        if (!jumped) pos_ = p + 1;
        return true;
      }
      if (m_.size() - p - 1 < len) return false;
      if (!out->empty()) out->push_back('.');
      for (size_t i = 0; i < len; ++i) append_canonical_octet(*out, m_[p + 1 + i]);
      p += 1 + len;
    }
  }
  std::span<const uint8_t> bytes(size_t n) const { return m_.subspan(pos_, n); }

 private:
  std::span<const uint8_t> m_;
  size_t pos_ = 0;
};

struct Writer {
  std::vector<uint8_t> out;
  // (suffix, offset) pairs for name compression.
  std::vector<std::pair<std::string, uint16_t>> names;

  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void put16(size_t at, uint16_t v) {
    out[at] = static_cast<uint8_t>(v >> 8);
    out[at + 1] = static_cast<uint8_t>(v);
  }
  // Writes a presentation-form name (escapes decoded, case kept) with
  // compression keyed on the canonical spelling of each suffix.
  bool name(std::string_view n, bool compress) {
    auto labels = name_labels(n);
    if (!labels) return false;
    // Canonical spelling of each suffix, built from the last label back.
    std::vector<std::string> suffix(labels->size());
    for (size_t i = labels->size(); i-- > 0;) {
      std::string s;
      for (unsigned char c : (*labels)[i]) append_canonical_octet(s, c);
      if (i + 1 < labels->size()) s += "." + suffix[i + 1];
      suffix[i] = std::move(s);
    }
    for (size_t i = 0; i < labels->size(); ++i) {
      if (compress) {
        for (const auto& [known, off] : names) {
          if (known == suffix[i]) {
            u16(static_cast<uint16_t>(0xC000 | off));
            return true;
          }
        }
        if (out.size() < 0x3FFF) names.emplace_back(suffix[i], static_cast<uint16_t>(out.size()));
      }
      const std::string& label = (*labels)[i];
      u8(static_cast<uint8_t>(label.size()));
      for (char c : label) u8(static_cast<uint8_t>(c));
    }
    u8(0);
    return true;
  }
};

uint16_t header_flags(bool qr, uint8_t opcode, bool aa, bool tc, bool rd, bool ra, uint8_t rcode) {
  return static_cast<uint16_t>((qr ? 0x8000 : 0) | ((opcode & 0xF) << 11) | (aa ? 0x0400 : 0) |
                               (tc ? 0x0200 : 0) | (rd ? 0x0100 : 0) | (ra ? 0x0080 : 0) | (rcode & 0xF));
}

bool write_opt(Writer& w, uint16_t udp_size, bool dnssec_ok) {
  w.u8(0);  // root
  w.u16(kTypeOpt);
  w.u16(std::max<uint16_t>(udp_size, 512));
  w.u32(dnssec_ok ? 0x8000u : 0u);
  w.u16(0);
  return true;
}

// RFC 2181 8: a TTL with the top bit set is treated as zero.
uint32_t clamp_ttl(uint32_t ttl) { return (ttl & 0x80000000u) ? 0 : ttl; }

struct ParsedRR {
  std::string owner;
  Record record;
};

enum class RRParse { kOk, kSkipped, kBad };

// Parses one resource record at r.pos(). Known types of class IN go to *out;
// others are skipped. `soa` (optional) receives an SOA's negative TTL.
RRParse parse_rr(Reader& r, ParsedRR* out, std::optional<uint32_t>* soa_negative_ttl, std::string* why) {
  if (!r.name(&out->owner)) {
    *why = "bad owner name";
    return RRParse::kBad;
  }
  uint16_t type = 0, klass = 0, rdlen = 0;
  uint32_t ttl = 0;
  if (!r.u16(&type) || !r.u16(&klass) || !r.u32(&ttl) || !r.u16(&rdlen)) {
    *why = "truncated record header";
    return RRParse::kBad;
  }
  if (r.remaining() < rdlen) {
    *why = "rdlength past end of message";
    return RRParse::kBad;
  }
  size_t start = r.pos();
  size_t end = start + rdlen;
  ttl = clamp_ttl(ttl);
  auto finish = [&](RRParse res) {
    r.seek(end);
    return res;
  };
  if (klass != kClassIn) return finish(RRParse::kSkipped);
  Record& rec = out->record;
  rec.ttl = ttl;
  auto name_fills = [&](std::string* s) {
    if (!r.name(s) || r.pos() != end) {
      *why = "bad name in rdata";
      return false;
    }
    return true;
  };
  switch (type) {
    case 1: {  // A
      if (rdlen != 4) return *why = "A rdata not 4 octets", RRParse::kBad;
      std::array<uint8_t, 4> b{};
      auto s = r.bytes(4);
      std::copy(s.begin(), s.end(), b.begin());
      rec.type = RRType::A;
      rec.data = IpAddress::v4(b);
      return finish(RRParse::kOk);
    }
    case 28: {  // AAAA
      if (rdlen != 16) return *why = "AAAA rdata not 16 octets", RRParse::kBad;
      std::array<uint8_t, 16> b{};
      auto s = r.bytes(16);
      std::copy(s.begin(), s.end(), b.begin());
      rec.type = RRType::AAAA;
      rec.data = IpAddress::v6(b);
      return finish(RRParse::kOk);
    }
    case 2:
    case 5:
    case 12: {  // NS, CNAME, PTR
      std::string target;
      if (!name_fills(&target)) return RRParse::kBad;
      rec.type = static_cast<RRType>(type);
      rec.data = std::move(target);
      return finish(RRParse::kOk);
    }
    case 15: {  // MX
      Mx mx;
      if (rdlen < 3 || !r.u16(&mx.preference)) return *why = "short MX rdata", RRParse::kBad;
      if (!name_fills(&mx.exchange)) return RRParse::kBad;
      rec.type = RRType::MX;
      rec.data = std::move(mx);
      return finish(RRParse::kOk);
    }
    case 16:
    case 99: {  // TXT, SPF: one or more character-strings
      // RFC 1035 asks for at least one string, but servers do publish empty
      // rdata: it is a record without strings (no SPF text), not a reason to
      // throw away the whole answer (that would turn a domain's valid SPF
      // record beside it into a temperror).
      Txt txt;
      size_t p = start;
      while (p < end) {
        uint8_t len = 0;
        r.seek(p);
        r.u8(&len);
        if (end - p - 1 < len) return *why = "TXT string past rdata end", RRParse::kBad;
        auto s = r.bytes(len);
        txt.strings.emplace_back(reinterpret_cast<const char*>(s.data()), s.size());
        p += 1 + len;
      }
      rec.type = static_cast<RRType>(type);
      rec.data = std::move(txt);
      return finish(RRParse::kOk);
    }
    case 6: {  // SOA
      std::string mname, rname;
      uint32_t serial, refresh, retry, expire, minimum;
      if (!r.name(&mname) || !r.name(&rname) || r.pos() > end || !r.u32(&serial) || !r.u32(&refresh) ||
          !r.u32(&retry) || !r.u32(&expire) || !r.u32(&minimum) || r.pos() != end) {
        *why = "bad SOA rdata";
        return RRParse::kBad;
      }
      if (soa_negative_ttl) *soa_negative_ttl = std::min(ttl, clamp_ttl(minimum));
      return finish(RRParse::kSkipped);
    }
    default: return finish(RRParse::kSkipped);
  }
}

Answer malformed(std::string why) {
  Answer a;
  a.status = Status::kMalformed;
  a.error = std::move(why);
  return a;
}

}  // namespace

Result<std::vector<uint8_t>> build_query(uint16_t id, std::string_view name, RRType type,
                                         const QueryOptions& options) {
  return build_query(id, name, static_cast<uint16_t>(type), options);
}

Result<std::vector<uint8_t>> build_query(uint16_t id, std::string_view name, uint16_t type,
                                         const QueryOptions& options) {
  bool edns = options.edns || options.dnssec_ok;
  Writer w;
  w.out.reserve(kHeaderSize + name.size() + 2 + 4 + (edns ? 11 : 0));
  w.u16(id);
  w.u16(header_flags(false, 0, false, false, options.recursion_desired, false, 0));
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(edns ? 1 : 0);
  if (!w.name(name, false)) return fail(Errc::kInvalidArgument, "invalid domain name");
  w.u16(type);
  w.u16(kClassIn);
  if (edns) write_opt(w, options.udp_size, options.dnssec_ok);
  return std::move(w.out);
}

Result<Header> parse_header(std::span<const uint8_t> msg) {
  Reader r(msg);
  Header h;
  uint16_t flags = 0;
  if (!r.u16(&h.id) || !r.u16(&flags) || !r.u16(&h.qdcount) || !r.u16(&h.ancount) || !r.u16(&h.nscount) ||
      !r.u16(&h.arcount))
    return fail(Errc::kParse, "message shorter than a DNS header");
  h.qr = flags & 0x8000;
  h.opcode = static_cast<uint8_t>((flags >> 11) & 0xF);
  h.aa = flags & 0x0400;
  h.tc = flags & 0x0200;
  h.rd = flags & 0x0100;
  h.ra = flags & 0x0080;
  h.ad = flags & 0x0020;
  h.cd = flags & 0x0010;
  h.rcode = static_cast<uint8_t>(flags & 0xF);
  return h;
}

Result<Query> parse_query(std::span<const uint8_t> msg) {
  auto h = parse_header(msg);
  if (!h) return tl::unexpected(h.error());
  if (h->qr) return fail(Errc::kParse, "QR set: not a query");
  if (h->qdcount != 1) return fail(Errc::kParse, "query must have exactly one question");
  Query q;
  q.id = h->id;
  q.opcode = h->opcode;
  q.recursion_desired = h->rd;
  q.checking_disabled = h->cd;
  Reader r(msg);
  r.seek(kHeaderSize);
  if (!r.name(&q.name)) return fail(Errc::kParse, "bad question name");
  if (!r.u16(&q.type) || !r.u16(&q.qclass)) return fail(Errc::kParse, "truncated question");
  // Skip answer and authority records, look for OPT in the additional section.
  size_t total = size_t{h->ancount} + h->nscount + h->arcount;
  std::string owner;
  for (size_t i = 0; i < total; ++i) {
    uint16_t type = 0, klass = 0, rdlen = 0;
    uint32_t ttl = 0;
    if (!r.name(&owner) || !r.u16(&type) || !r.u16(&klass) || !r.u32(&ttl) || !r.u16(&rdlen) ||
        !r.skip(rdlen))
      return fail(Errc::kParse, "truncated record in query");
    if (i >= size_t{h->ancount} + h->nscount && type == kTypeOpt) {
      if (!owner.empty()) return fail(Errc::kParse, "OPT owner not root");
      q.edns = true;
      q.udp_size = std::max<uint16_t>(klass, 512);
      q.dnssec_ok = ttl & 0x8000;
    }
  }
  return q;
}

Answer parse_response(std::span<const uint8_t> msg, RRType qtype, std::string_view qname) {
  auto h = parse_header(msg);
  if (!h) return malformed(h.error().message);
  if (!h->qr) return malformed("QR not set: not a response");
  Reader r(msg);
  r.seek(kHeaderSize);
  std::string question;
  std::string scratch;
  for (size_t i = 0; i < h->qdcount; ++i) {
    if (!r.name(i == 0 ? &question : &scratch) || !r.skip(4)) return malformed("bad question section");
  }
  std::string target = qname.empty() ? question : normalize_name(qname);

  std::vector<ParsedRR> rrs;
  std::string why;
  std::optional<uint32_t> negative_ttl;
  for (size_t i = 0; i < h->ancount; ++i) {
    ParsedRR rr;
    RRParse res = parse_rr(r, &rr, nullptr, &why);
    if (res == RRParse::kBad) return malformed("answer section: " + why);
    if (res == RRParse::kOk) rrs.push_back(std::move(rr));
  }
  for (size_t i = 0; i < h->nscount; ++i) {
    ParsedRR rr;
    if (parse_rr(r, &rr, &negative_ttl, &why) == RRParse::kBad) return malformed("authority section: " + why);
  }
  // The additional section is not needed; it is not parsed.

  Answer a;
  uint32_t neg = negative_ttl.value_or(0);
  if (h->rcode == static_cast<uint8_t>(Rcode::kNxDomain)) {
    a.status = Status::kNxDomain;
    a.min_ttl = neg;
    return a;
  }
  if (h->rcode != 0) {
    a.status = Status::kServFail;
    a.error = "server answered rcode " + std::to_string(h->rcode);
    return a;
  }
  uint32_t min_ttl = std::numeric_limits<uint32_t>::max();
  std::string current = target;
  for (int hop = 0;; ++hop) {
    const Record* cname = nullptr;
    const std::string* cname_target = nullptr;
    for (auto& rr : rrs) {
      if (rr.owner != current) continue;
      if (rr.record.type == qtype || qtype == RRType::ANY) {
        min_ttl = std::min(min_ttl, rr.record.ttl);
        a.records.push_back(std::move(rr.record));
        rr.owner.clear();  // moved from
      } else if (rr.record.type == RRType::CNAME) {
        cname = &rr.record;
        cname_target = rr.record.name();
      }
    }
    if (!a.records.empty()) {
      a.status = Status::kOk;
      a.min_ttl = min_ttl;
      return a;
    }
    if (!cname || !cname_target) break;
    if (hop >= kMaxCnameChain) {
      a.status = Status::kServFail;
      a.error = "CNAME chain longer than " + std::to_string(kMaxCnameChain) + " or a loop";
      return a;
    }
    min_ttl = std::min(min_ttl, cname->ttl);
    current = *cname_target;
  }
  a.status = Status::kNoData;
  a.min_ttl = neg;
  return a;
}

Response Response::to(const Query& q) {
  Response r;
  r.id = q.id;
  r.opcode = q.opcode;
  r.rd = q.recursion_desired;
  r.qname = q.name;
  r.qtype = q.type;
  r.qclass = q.qclass;
  r.edns = q.edns;
  return r;
}

namespace {

bool write_rr(Writer& w, const ResourceRecord& rr) {
  const Record& rec = rr.record;
  if (!w.name(rr.name, true)) return false;
  w.u16(static_cast<uint16_t>(rec.type));
  w.u16(kClassIn);
  w.u32(rec.ttl);
  size_t len_at = w.out.size();
  w.u16(0);
  switch (rec.type) {
    case RRType::A:
    case RRType::AAAA: {
      const IpAddress* ip = rec.ip();
      if (!ip || ip->is_v4() != (rec.type == RRType::A)) return false;
      size_t n = ip->is_v4() ? 4 : 16;
      for (size_t i = 0; i < n; ++i) w.u8(ip->bytes()[i]);
      break;
    }
    case RRType::NS:
    case RRType::CNAME:
    case RRType::PTR:
      if (!rec.name() || !w.name(*rec.name(), true)) return false;
      break;
    case RRType::MX:
      if (!rec.mx()) return false;
      w.u16(rec.mx()->preference);
      if (!w.name(rec.mx()->exchange, true)) return false;
      break;
    case RRType::TXT:
    case RRType::SPF: {
      const Txt* t = rec.txt();
      if (!t) return false;
      // No strings: empty rdata, as some servers publish (parse_response
      // reads it back as a record without strings).
      for (const auto& s : t->strings) {
        if (s.size() > 255) return false;
        w.u8(static_cast<uint8_t>(s.size()));
        w.out.insert(w.out.end(), s.begin(), s.end());
      }
      break;
    }
    default: return false;
  }
  size_t rdlen = w.out.size() - len_at - 2;
  if (rdlen > 0xFFFF) return false;
  w.put16(len_at, static_cast<uint16_t>(rdlen));
  return true;
}

bool write_soa(Writer& w, const Soa& soa) {
  if (!w.name(soa.name, true)) return false;
  w.u16(static_cast<uint16_t>(RRType::SOA));
  w.u16(kClassIn);
  w.u32(soa.ttl);
  size_t len_at = w.out.size();
  w.u16(0);
  if (!w.name(soa.mname, true) || !w.name(soa.rname, true)) return false;
  w.u32(soa.serial);
  w.u32(soa.refresh);
  w.u32(soa.retry);
  w.u32(soa.expire);
  w.u32(soa.minimum);
  w.put16(len_at, static_cast<uint16_t>(w.out.size() - len_at - 2));
  return true;
}

Result<std::vector<uint8_t>> encode(const Response& resp, bool with_records) {
  Writer w;
  w.out.reserve(512);
  bool tc = resp.tc || !with_records;
  w.u16(resp.id);
  w.u16(header_flags(true, resp.opcode, resp.aa, tc, resp.rd, resp.ra, static_cast<uint8_t>(resp.rcode)));
  w.u16(resp.has_question ? 1 : 0);
  size_t an = with_records ? resp.answers.size() : 0;
  size_t ns = with_records && resp.authority_soa ? 1 : 0;
  if (an > 0xFFFF) return fail(Errc::kInvalidArgument, "too many answer records");
  w.u16(static_cast<uint16_t>(an));
  w.u16(static_cast<uint16_t>(ns));
  w.u16(resp.edns ? 1 : 0);
  if (resp.has_question) {
    if (!w.name(resp.qname, true)) return fail(Errc::kInvalidArgument, "invalid question name");
    w.u16(resp.qtype);
    w.u16(resp.qclass);
  }
  for (size_t i = 0; i < an; ++i)
    if (!write_rr(w, resp.answers[i]))
      return fail(Errc::kInvalidArgument, "cannot encode record at " + resp.answers[i].name);
  if (ns && !write_soa(w, *resp.authority_soa)) return fail(Errc::kInvalidArgument, "cannot encode SOA");
  if (resp.edns) write_opt(w, resp.edns_udp_size, false);
  return std::move(w.out);
}

}  // namespace

Result<std::vector<uint8_t>> encode_response(const Response& response, size_t max_size) {
  auto full = encode(response, true);
  if (!full || full->size() <= max_size) return full;
  return encode(response, false);
}

}  // namespace rampart::dns
