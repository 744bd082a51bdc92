// The group file: members, their keys and rights, revocations.
#include <algorithm>

#include <fmt/format.h>

#include "core/config.h"
#include "core/strings.h"
#include "exchange/exchange.h"

namespace rampart::exchange {

bool valid_member_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool Member::may_read(DataClass cls, int64_t t) const { return active(t) && rights.read.count(cls) > 0; }
bool Member::may_write(DataClass cls, int64_t t) const { return active(t) && rights.write.count(cls) > 0; }

namespace {
std::set<DataClass> read_classes(Section& s, std::string_view key) {
  std::set<DataClass> out;
  for (const std::string& c : s.strings(key)) {
    auto cls = parse_class(c);
    if (!cls)
      s.invalid(key, "unknown class '" + c + "' (bot_ip, spam_source, domain_rep, complaint_agg, phish_url)");
    else
      out.insert(*cls);
  }
  return out;
}

bool is_hex_lower(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

std::string class_list(const std::set<DataClass>& cs) {
  std::string out = "[";
  for (DataClass c : cs) out += (out.size() > 1 ? ", \"" : "\"") + std::string(class_name(c)) + "\"";
  return out + "]";
}
}  // namespace

Result<Group> Group::parse(std::string_view text, std::string_view source) {
  auto cfg = Config::parse(text, source);
  if (!cfg) return tl::unexpected(cfg.error());
  Group g;
  Section root = cfg->section("");
  Section grp = root.table("group");
  g.name_ = grp.string("name", "");
  if (!valid_member_name(g.name_)) grp.invalid("name", "group name: letters, digits, '.', '_', '-' (1-64)");
  for (Section m : root.tables("members")) {
    Member mem;
    mem.name = m.string("name", "");
    if (!valid_member_name(mem.name)) m.invalid("name", "member name: letters, digits, '.', '_', '-' (1-64)");
    const std::string pk = m.string("sign_key", "");
    if (auto k = parse_public_key(pk))
      mem.sign_key = *k;
    else
      m.invalid("sign_key", k.error().message);
    mem.tls_sha256 = to_lower(m.string("tls_sha256", ""));
    if (mem.tls_sha256.size() != 64 || !is_hex_lower(mem.tls_sha256))
      m.invalid("tls_sha256", "SHA-256 of the member's client certificate (DER): 64 hex digits");
    mem.rights.read = read_classes(m, "read");
    mem.rights.write = read_classes(m, "write");
    mem.added = m.integer("added", 0, 0, int64_t{1} << 40);
    if (g.find(mem.name) != nullptr) m.invalid("name", "member '" + mem.name + "' listed twice");
    if (!mem.tls_sha256.empty() && g.find_by_cert(mem.tls_sha256) != nullptr)
      m.invalid("tls_sha256", "certificate shared with another member");
    g.members_.push_back(std::move(mem));
  }
  for (Section r : root.tables("revocations")) {
    const std::string who = r.string("member", "");
    const int64_t at = r.integer("at", 0, 0, int64_t{1} << 40);
    const std::string reason = r.string("reason", "");
    if (!r.has("at")) r.invalid("at", "revocation time (unix seconds) required");
    auto it =
        std::find_if(g.members_.begin(), g.members_.end(), [&](const Member& x) { return x.name == who; });
    if (it == g.members_.end()) {
      r.invalid("member", "no member '" + who + "'");
      continue;
    }
    if (!it->revoked_at || at < *it->revoked_at) {
      it->revoked_at = at;
      it->revoked_reason = reason;
    }
  }
  if (auto st = cfg->finish(); !st) return tl::unexpected(st.error());
  return g;
}

Result<Group> Group::load_file(const std::string& path) {
  std::string text;
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return fail(Errc::kIo, path + ": cannot open");
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      text.append(buf, n);
      if (text.size() > (16u << 20)) {
        std::fclose(f);
        return fail(Errc::kLimit, path + ": larger than 16 MiB");
      }
    }
    std::fclose(f);
  }
  return parse(text, path);
}

const Member* Group::find(std::string_view name) const {
  for (const Member& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

const Member* Group::find_by_cert(std::string_view fp) const {
  for (const Member& m : members_)
    if (m.tls_sha256 == fp) return &m;
  return nullptr;
}

std::string member_toml(const Member& m) {
  return fmt::format(
      "\n[[members]]\nname = \"{}\"\nsign_key = \"{}\"\ntls_sha256 = \"{}\"\nread = {}\nwrite = {}\nadded = "
      "{}\n",
      m.name, public_key_text(m.sign_key), m.tls_sha256, class_list(m.rights.read),
      class_list(m.rights.write), m.added);
}

std::string revocation_toml(std::string_view member, int64_t at, std::string_view reason) {
  std::string r;
  for (char c : reason)
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) r += c;
  return fmt::format("\n[[revocations]]\nmember = \"{}\"\nat = {}\nreason = \"{}\"\n", member, at, r);
}

}  // namespace rampart::exchange
