// File: src/dnsbl/tsig.cc
// TSIG (RFC 8945) with OpenSSL's HMAC; see tsig.h.
#include "dnsbl/tsig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace rampart::dnsbl {
namespace {

const EVP_MD* digest_of(std::string_view alg) {
  if (alg == "hmac-sha256") return EVP_sha256();
  if (alg == "hmac-sha384") return EVP_sha384();
  if (alg == "hmac-sha512") return EVP_sha512();
  if (alg == "hmac-sha1") return EVP_sha1();
  return nullptr;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!r.empty() && r.back() == '.') r.pop_back();
  return r;
}

std::string normal_alg(std::string_view a) {
  std::string r = lower(a);
  if (!r.starts_with("hmac-")) r = "hmac-" + r;
  return r;
}

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v);
}
void put48(std::string& s, uint64_t v) {
  for (int i = 5; i >= 0; --i) s += static_cast<char>(v >> (8 * i));
}

// Skips a (possibly compressed) name at `pos`; false when malformed.
bool skip_name(std::span<const uint8_t> m, size_t& pos) {
  while (pos < m.size()) {
    uint8_t l = m[pos];
    if (l == 0) {
      ++pos;
      return true;
    }
    if ((l & 0xC0) == 0xC0) {
      if (pos + 2 > m.size()) return false;
      pos += 2;
      return true;
    }
    if (l & 0xC0) return false;
    pos += 1 + l;
  }
  return false;
}

// Reads a name (following pointers, bounded) as lower-case dotted text.
bool read_name(std::span<const uint8_t> m, size_t pos, std::string* out) {
  out->clear();
  for (int hops = 0; hops < 64 && pos < m.size();) {
    uint8_t l = m[pos];
    if (l == 0) return true;
    if ((l & 0xC0) == 0xC0) {
      if (pos + 2 > m.size()) return false;
      pos = ((l & 0x3F) << 8) | m[pos + 1];
      ++hops;
      continue;
    }
    if ((l & 0xC0) || pos + 1 + l > m.size() || out->size() > 255) return false;
    if (!out->empty()) *out += '.';
    for (size_t i = 0; i < l; ++i)
      *out += static_cast<char>(std::tolower(static_cast<unsigned char>(m[pos + 1 + i])));
    pos += 1 + l;
  }
  return false;
}

std::string hmac(const TsigKey& key, std::string_view data) {
  const EVP_MD* md = digest_of(key.algorithm);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!md || !HMAC(md, key.secret.data(), static_cast<int>(key.secret.size()),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len))
    return {};
  return {reinterpret_cast<char*>(mac), len};
}

// The TSIG variables (RFC 8945 4.3.3) or, `full` false, the timers only.
void variables(std::string& d, const TsigKey& key, bool full, uint64_t time, uint16_t fudge, uint16_t error,
               std::string_view other) {
  if (full) {
    d += wire_name(key.name);
    put16(d, 255);
    d.append(4, '\0');
    d += wire_name(key.algorithm);
  }
  put48(d, time);
  put16(d, fudge);
  if (full) {
    put16(d, error);
    put16(d, static_cast<uint16_t>(other.size()));
    d += other;
  }
}

void prior(std::string& d, std::string_view mac) {
  if (mac.empty()) return;
  put16(d, static_cast<uint16_t>(mac.size()));
  d += mac;
}

}  // namespace

std::string wire_name(std::string_view dotted) {
  std::string w;
  std::string n = lower(dotted);
  size_t start = 0;
  while (start < n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    w += static_cast<char>(dot - start);
    w.append(n, start, dot - start);
    start = dot + 1;
  }
  w += '\0';
  return w;
}

Result<TsigKey> parse_tsig_key(std::string_view spec) {
  size_t c1 = spec.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : spec.find(':', c1 + 1);
  if (c2 == std::string_view::npos)
    return fail(Errc::kConfig, "TSIG key '" + std::string(spec) + "': expected NAME:ALGORITHM:BASE64");
  std::string_view a = spec.substr(0, c1), b = spec.substr(c1 + 1, c2 - c1 - 1);
  TsigKey key;
  if (digest_of(normal_alg(b))) {
    key.name = lower(a);
    key.algorithm = normal_alg(b);
  } else if (digest_of(normal_alg(a))) {  // dig -y hmac-sha256:name:secret
    key.name = lower(b);
    key.algorithm = normal_alg(a);
  } else {
    return fail(Errc::kConfig, "TSIG key '" + std::string(a) + "': unknown algorithm '" + std::string(b) +
                                   "' (hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1)");
  }
  if (key.name.empty()) return fail(Errc::kConfig, "TSIG key without a name");
  auto secret = base64_decode(spec.substr(c2 + 1));
  if (!secret || secret->empty())
    return fail(Errc::kConfig, "TSIG key '" + key.name + "': the secret is not base64");
  key.secret = std::move(*secret);
  return key;
}

Result<std::vector<TsigKey>> parse_tsig_keyfile(std::string_view text) {
  // Tokens: words, quoted strings, and the punctuation { } ; (BIND); for
  // Knot's YAML, "key:" "- id: x" "algorithm: y" "secret: z" lines.
  std::vector<TsigKey> keys;
  std::vector<std::string> tok;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '{' || c == '}' || c == ';') {
      tok.emplace_back(1, c);
      ++i;
    } else if (c == '"') {
      size_t e = text.find('"', i + 1);
      if (e == std::string_view::npos) return fail(Errc::kConfig, "key file: unterminated string");
      tok.emplace_back(text.substr(i + 1, e - i - 1));
      i = e + 1;
    } else {
      size_t s = i;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ';' &&
             text[i] != '{' && text[i] != '}' && text[i] != '"')
        ++i;
      tok.emplace_back(text.substr(s, i - s));
    }
  }
  TsigKey cur;
  std::string secret;
  auto flush = [&]() -> Result<void> {
    if (cur.name.empty()) return {};
    if (!digest_of(cur.algorithm))
      return fail(Errc::kConfig,
                  "key file: key '" + cur.name + "': unknown algorithm '" + cur.algorithm + "'");
    auto s = base64_decode(secret);
    if (!s || s->empty()) return fail(Errc::kConfig, "key file: key '" + cur.name + "': bad secret");
    cur.secret = *s;
    keys.push_back(cur);
    cur = {};
    secret.clear();
    return {};
  };
  for (size_t i = 0; i < tok.size(); ++i) {
    const std::string& t = tok[i];
    if ((t == "key" || t == "-") && i + 1 < tok.size() && tok[i + 1] != "{" && tok[i + 1] != "key:") {
      if (auto r = flush(); !r) return tl::unexpected(r.error());
      if (t == "-" && tok[i + 1] == "id:" && i + 2 < tok.size()) {
        cur.name = lower(tok[i + 2]);
        i += 2;
      } else if (t == "key") {
        cur.name = lower(tok[i + 1]);
        ++i;
      }
    } else if ((t == "algorithm" || t == "algorithm:") && i + 1 < tok.size()) {
      cur.algorithm = normal_alg(tok[++i]);
    } else if ((t == "secret" || t == "secret:") && i + 1 < tok.size()) {
      secret = tok[++i];
    }
  }
  if (auto r = flush(); !r) return tl::unexpected(r.error());
  if (keys.empty()) return fail(Errc::kConfig, "key file: no key");
  return keys;
}

bool find_tsig(std::span<const uint8_t> m, TsigRecord* out, bool* formerr) {
  *formerr = false;
  if (m.size() < 12) return false;
  size_t counts[4] = {rd16(&m[4]), rd16(&m[6]), rd16(&m[8]), rd16(&m[10])};
  if (counts[3] == 0) return false;
  size_t pos = 12;
  for (size_t q = 0; q < counts[0]; ++q) {
    if (!skip_name(m, pos) || pos + 4 > m.size()) return false;
    pos += 4;
  }
  size_t total = counts[1] + counts[2] + counts[3];
  for (size_t r = 0; r < total; ++r) {
    size_t start = pos;
    if (!skip_name(m, pos) || pos + 10 > m.size()) return false;
    uint16_t type = rd16(&m[pos]);
    size_t rdlen = rd16(&m[pos + 8]);
    size_t rdata = pos + 10;
    if (rdata + rdlen > m.size()) return false;
    pos = rdata + rdlen;
    if (type != kTypeTsig) continue;
    if (r + 1 != total || pos != m.size()) {  // RFC 8945 5.1: the last record, once
      *formerr = true;
      return false;
    }
    TsigRecord t;
    t.offset = start;
    size_t p = rdata;
    if (!read_name(m, start, &t.key_name) || !read_name(m, p, &t.algorithm) || !skip_name(m, p) ||
        p + 10 > pos) {
      *formerr = true;
      return false;
    }
    for (int i = 0; i < 6; ++i) t.time_signed = (t.time_signed << 8) | m[p + i];
    t.fudge = rd16(&m[p + 6]);
    size_t maclen = rd16(&m[p + 8]);
    p += 10;
    if (p + maclen + 6 > pos) {
      *formerr = true;
      return false;
    }
    t.mac.assign(reinterpret_cast<const char*>(&m[p]), maclen);
    p += maclen;
    t.original_id = rd16(&m[p]);
    t.error = rd16(&m[p + 2]);
    size_t olen = rd16(&m[p + 4]);
    p += 6;
    if (p + olen != pos) {
      *formerr = true;
      return false;
    }
    t.other.assign(reinterpret_cast<const char*>(&m[p]), olen);
    *out = std::move(t);
    return true;
  }
  return false;
}

namespace {

// The MAC input of a signed message: prior MAC, the message without its
// TSIG (original ID, ARCOUNT - 1), the variables of `t`.
std::string signed_data(std::span<const uint8_t> m, const TsigRecord& t, const TsigKey& key,
                        std::string_view prior_mac, bool full) {
  std::string d;
  prior(d, prior_mac);
  size_t at = d.size();
  d.append(reinterpret_cast<const char*>(m.data()), t.offset);
  d[at] = static_cast<char>(t.original_id >> 8);
  d[at + 1] = static_cast<char>(t.original_id);
  uint16_t ar = static_cast<uint16_t>(rd16(&m[10]) - 1);
  d[at + 10] = static_cast<char>(ar >> 8);
  d[at + 11] = static_cast<char>(ar);
  variables(d, key, full, t.time_signed, t.fudge, t.error, t.other);
  return d;
}

}  // namespace

TsigCheck tsig_verify(std::span<const uint8_t> msg, const std::vector<TsigKey>& keys, uint64_t now) {
  TsigCheck c;
  bool formerr = false;
  if (!find_tsig(msg, &c.record, &formerr)) {
    if (formerr) c.present = true, c.rcode = 1;
    return c;
  }
  c.present = true;
  c.unsigned_length = c.record.offset;
  const TsigRecord& t = c.record;
  for (const auto& k : keys)
    if (k.name == t.key_name && k.algorithm == t.algorithm) c.key = &k;
  if (!c.key) {
    c.rcode = 9;
    c.error = kTsigBadKey;
    return c;
  }
  size_t full = static_cast<size_t>(EVP_MD_get_size(digest_of(c.key->algorithm)));
  if (t.mac.size() > full || t.mac.size() < std::max<size_t>(10, full / 2)) {
    c.rcode = 1;
    return c;
  }
  std::string expect = hmac(*c.key, signed_data(msg, t, *c.key, {}, true));
  if (expect.size() != full || CRYPTO_memcmp(expect.data(), t.mac.data(), t.mac.size()) != 0) {
    c.rcode = 9;
    c.error = kTsigBadSig;
    return c;
  }
  uint64_t skew = now > t.time_signed ? now - t.time_signed : t.time_signed - now;
  if (skew > t.fudge) {
    c.rcode = 9;
    c.error = kTsigBadTime;
    return c;
  }
  if (t.mac.size() < full) {  // truncated MACs (RFC 8945 5.2.4): not accepted here
    c.rcode = 9;
    c.error = kTsigBadTrunc;
    return c;
  }
  return c;
}

bool tsig_verify_response(std::span<const uint8_t> msg, const TsigKey& key, std::string_view request_mac,
                          bool first, uint64_t now) {
  TsigRecord t;
  bool formerr = false;
  if (!find_tsig(msg, &t, &formerr)) return false;
  if (t.key_name != key.name || t.algorithm != key.algorithm || t.error != 0) return false;
  std::string expect = hmac(key, signed_data(msg, t, key, request_mac, first));
  if (expect.empty() || expect.size() != t.mac.size() ||
      CRYPTO_memcmp(expect.data(), t.mac.data(), t.mac.size()) != 0)
    return false;
  uint64_t skew = now > t.time_signed ? now - t.time_signed : t.time_signed - now;
  return skew <= t.fudge;
}

std::string tsig_sign(std::string& msg, const TsigKey& key, std::string_view prior_mac, bool full,
                      uint16_t error, uint64_t time_signed, uint16_t fudge, uint64_t other_time) {
  std::string other;
  if (error == kTsigBadTime) put48(other, other_time);
  std::string mac;
  if (error != kTsigBadSig && error != kTsigBadKey) {
    std::string d;
    prior(d, prior_mac);
    d += msg;
    variables(d, key, full, time_signed, fudge, error, other);
    mac = hmac(key, d);
  }
  uint16_t id = msg.size() >= 2 ? rd16(reinterpret_cast<const uint8_t*>(msg.data())) : 0;
  std::string rd = wire_name(key.algorithm);
  put48(rd, time_signed);
  put16(rd, fudge);
  put16(rd, static_cast<uint16_t>(mac.size()));
  rd += mac;
  put16(rd, id);
  put16(rd, error);
  put16(rd, static_cast<uint16_t>(other.size()));
  rd += other;
  msg += wire_name(key.name);
  put16(msg, kTypeTsig);
  put16(msg, 255);
  msg.append(4, '\0');
  put16(msg, static_cast<uint16_t>(rd.size()));
  msg += rd;
  if (msg.size() >= 12) {
    uint16_t ar = static_cast<uint16_t>(rd16(reinterpret_cast<const uint8_t*>(msg.data()) + 10) + 1);
    msg[10] = static_cast<char>(ar >> 8);
    msg[11] = static_cast<char>(ar);
  }
  return mac;
}

}  // namespace rampart::dnsbl
