// File: src/auth/dkim/signature.cc
// DKIM-Signature and key record parsing; see signature.h.
#include "auth/dkim/signature.h"

#include <charconv>

#include "core/strings.h"

namespace rampart::dkim {
namespace {

constexpr uint64_t kMaxNumber = uint64_t{1} << 62;

Result<uint64_t> parse_number(std::string_view tag, std::string_view v) {
  if (v.empty()) return fail(Errc::kParse, std::string(tag) + "= is empty");
  uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return fail(Errc::kParse, std::string(tag) + "= is not a decimal number");
    if (n > kMaxNumber / 10) return fail(Errc::kParse, std::string(tag) + "= is too large");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > kMaxNumber) return fail(Errc::kParse, std::string(tag) + "= is too large");
  return n;
}

// dkim-quoted-printable (RFC 6376 2.11) decoding for i=: "=XX" hex escapes.
Result<std::string> decode_qp(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    auto hex = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      return -1;
    };
    if (i + 2 >= v.size()) return fail(Errc::kParse, "i=: bad quoted-printable");
    const int hi = hex(v[i + 1]), lo = hex(v[i + 2]);
    if (hi < 0 || lo < 0) return fail(Errc::kParse, "i=: bad quoted-printable");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool domain_within(std::string_view sub, std::string_view parent) {
  if (sub.size() == parent.size()) return iequals(sub, parent);
  if (sub.size() < parent.size() + 1) return false;
  return sub[sub.size() - parent.size() - 1] == '.' &&
         iequals(sub.substr(sub.size() - parent.size()), parent);
}

}  // namespace

bool plausible_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t start = 0;
  for (size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      const size_t len = i - start;
      if (len == 0 || len > 63) return false;
      start = i + 1;
    } else {
      const unsigned char c = static_cast<unsigned char>(d[i]);
      if (c <= 0x20 || c == 0x7f || c == ';' || c == '@' || c == ':') return false;
    }
  }
  return true;
}

std::string Signature::identity_domain() const {
  const size_t at = identity.rfind('@');
  return to_lower(at == std::string::npos ? identity : identity.substr(at + 1));
}

std::string Signature::key_name() const { return selector + "._domainkey." + domain; }

Result<Signature> parse_signature(std::string_view value, TagList* tags_out) {
  auto tl = parse_tag_list(value);
  if (!tl) return tl::unexpected(tl.error());
  Signature s;
  const Tag* tv = tl->find("v");
  const Tag* ta = tl->find("a");
  const Tag* tb = tl->find("b");
  const Tag* tbh = tl->find("bh");
  const Tag* td = tl->find("d");
  const Tag* th = tl->find("h");
  const Tag* ts = tl->find("s");
  if (!tv) return fail(Errc::kParse, "missing required tag v=");
  if (!ta) return fail(Errc::kParse, "missing required tag a=");
  if (!tb) return fail(Errc::kParse, "missing required tag b=");
  if (!tbh) return fail(Errc::kParse, "missing required tag bh=");
  if (!td) return fail(Errc::kParse, "missing required tag d=");
  if (!th) return fail(Errc::kParse, "missing required tag h=");
  if (!ts) return fail(Errc::kParse, "missing required tag s=");

  if (tv->value != "1") return fail(Errc::kParse, "unsupported version v=" + std::string(tv->value));
  auto alg = parse_algorithm(ta->value);
  if (!alg) return tl::unexpected(alg.error());
  s.algorithm = *alg;

  s.b_value = strip_fws(tb->value);
  auto b = base64_decode(s.b_value);
  if (!b) return fail(Errc::kParse, "b=: " + b.error().message);
  if (b->empty()) return fail(Errc::kParse, "b= is empty");
  s.signature = std::move(*b);
  auto bh = base64_decode(tbh->value);
  if (!bh) return fail(Errc::kParse, "bh=: " + bh.error().message);
  if (bh->empty()) return fail(Errc::kParse, "bh= is empty");
  s.body_hash = std::move(*bh);

  if (const Tag* c = tl->find("c")) {
    std::string_view v = c->value;
    const size_t slash = v.find('/');
    auto hc = parse_canon(trim(v.substr(0, slash)));
    if (!hc) return fail(Errc::kParse, "c=: " + hc.error().message);
    s.header_canon = *hc;
    if (slash != std::string_view::npos) {
      auto bc = parse_canon(trim(v.substr(slash + 1)));
      if (!bc) return fail(Errc::kParse, "c=: " + bc.error().message);
      s.body_canon = *bc;
    }
  }

  s.domain = to_lower(td->value);
  if (!plausible_domain(s.domain)) return fail(Errc::kParse, "d= is not a domain name");
  s.selector = std::string(ts->value);
  if (!plausible_domain(s.selector)) return fail(Errc::kParse, "s= is not a valid selector");
  if (s.key_name().size() > 253) return fail(Errc::kParse, "s=._domainkey.d= is longer than 253 characters");

  bool has_from = false;
  for (std::string_view h : split_colon_list(th->value)) {
    if (h.empty()) return fail(Errc::kParse, "h= has an empty header name");
    for (char c : h)
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
        return fail(Errc::kParse, "h= has an invalid header name");
    // Every name is checked; only the first kMaxSignedHeaders are kept, so a
    // hostile h= costs one pass over its text, not an allocation per name.
    if (++s.signed_header_count <= kMaxSignedHeaders) s.signed_headers.push_back(to_lower(h));
    if (iequals(h, "from")) has_from = true;
  }
  if (!has_from) return fail(Errc::kParse, "h= does not include From (RFC 6376 5.4)");

  if (const Tag* i = tl->find("i")) {
    auto id = decode_qp(i->value);
    if (!id) return tl::unexpected(id.error());
    const size_t at = id->rfind('@');
    if (at == std::string::npos) return fail(Errc::kParse, "i= has no '@'");
    s.identity = std::move(*id);
    const std::string idom = s.identity_domain();
    if (!domain_within(idom, s.domain)) return fail(Errc::kParse, "i= domain is not d= or a subdomain of it");
  } else {
    s.identity = "@" + s.domain;
  }

  if (const Tag* l = tl->find("l")) {
    auto n = parse_number("l", l->value);
    if (!n) return tl::unexpected(n.error());
    s.body_length = *n;
  }
  if (const Tag* q = tl->find("q")) {
    bool dns = false;
    for (std::string_view m : split_colon_list(q->value))
      if (iequals(m, "dns/txt")) dns = true;
    if (!dns) return fail(Errc::kParse, "q= does not offer dns/txt");
  }
  if (const Tag* t = tl->find("t")) {
    auto n = parse_number("t", t->value);
    if (!n) return tl::unexpected(n.error());
    s.timestamp = static_cast<int64_t>(*n);
  }
  if (const Tag* x = tl->find("x")) {
    auto n = parse_number("x", x->value);
    if (!n) return tl::unexpected(n.error());
    s.expiration = static_cast<int64_t>(*n);
    if (s.timestamp && *s.expiration < *s.timestamp) return fail(Errc::kParse, "x= is before t=");
  }
  if (const Tag* z = tl->find("z")) s.copied_headers = std::string(z->value);
  if (tags_out) *tags_out = std::move(*tl);
  return s;
}

Result<std::string> strip_b_value(std::string_view raw) {
  const size_t colon = raw.find(':');
  if (colon == std::string_view::npos) return fail(Errc::kParse, "header field without a colon");
  std::string_view value = raw.substr(colon + 1);
  auto tl = parse_tag_list(value);
  if (!tl) return tl::unexpected(tl.error());
  const Tag* b = tl->find("b");
  if (!b) return fail(Errc::kParse, "no b= tag");
  std::string out;
  out.reserve(raw.size());
  out.append(raw.substr(0, colon + 1 + b->raw_begin));
  out.append(raw.substr(colon + 1 + b->raw_end));
  return out;
}

bool KeyRecord::allows(HashAlg h) const {
  for (HashAlg a : hashes)
    if (a == h) return true;
  return false;
}

Result<KeyRecord> parse_key_record(std::string_view text) {
  auto tl = parse_tag_list(text);
  if (!tl) return tl::unexpected(tl.error());
  KeyRecord k;
  const auto& tags = tl->tags();
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].name != "v") continue;
    if (i != 0) return fail(Errc::kParse, "key record: v= is not the first tag");
    if (tags[i].value != "DKIM1") return fail(Errc::kParse, "key record: v= is not DKIM1");
  }
  if (const Tag* h = tl->find("h")) {
    k.hashes.clear();
    for (std::string_view a : split_colon_list(h->value)) {
      if (iequals(a, "sha1")) k.hashes.push_back(HashAlg::kSha1);
      if (iequals(a, "sha256")) k.hashes.push_back(HashAlg::kSha256);
    }
    if (k.hashes.empty()) return fail(Errc::kParse, "key record: h= names no known hash algorithm");
  }
  if (const Tag* kt = tl->find("k")) {
    if (iequals(kt->value, "rsa")) {
      k.type = KeyType::kRsa;
    } else if (iequals(kt->value, "ed25519")) {
      k.type = KeyType::kEd25519;
    } else {
      k.unknown_type = true;
    }
  }
  const Tag* p = tl->find("p");
  if (!p) return fail(Errc::kParse, "key record: no p= tag");
  k.p_text = p->value;
  auto der = base64_decode(p->value);
  if (!der) return fail(Errc::kParse, "key record: p=: " + der.error().message);
  k.public_key = std::move(*der);
  if (const Tag* s = tl->find("s")) {
    bool email = false;
    for (std::string_view st : split_colon_list(s->value))
      if (st == "*" || iequals(st, "email")) email = true;
    if (!email) return fail(Errc::kParse, "key record: s= does not allow email");
  }
  if (const Tag* t = tl->find("t")) {
    for (std::string_view f : split_colon_list(t->value)) {
      if (iequals(f, "y")) k.testing = true;
      if (iequals(f, "s")) k.strict = true;
    }
  }
  return k;
}

}  // namespace rampart::dkim
