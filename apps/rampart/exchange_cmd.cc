// rampart exchange — the private exchange among member providers.
//
// SYNOPSIS
//   rampart exchange keygen --out KEYFILE
//   rampart exchange group init --name GROUP --out GROUPFILE --group-key-out KEYFILE
//   rampart exchange member add --group GROUPFILE --name NAME --sign-key ed25519:...
//                               --tls-sha256 HEX [--read CLASSES] [--write CLASSES] [--added UNIX]
//   rampart exchange member revoke --group GROUPFILE --name NAME [--at UNIX] [--reason TEXT]
//   rampart exchange publish --group GROUPFILE --key KEYFILE --self NAME --class CLASS
//                            [--seq N] [--group-key KEYFILE] [--subscriber-nets CIDR,...]
//                            [--publishable-nets CIDR,...] [--out FILE] ITEM...
//   rampart exchange verify --group GROUPFILE [--seq-book FILE] [--audit FILE] [--now UNIX] FILE...
//   rampart exchange blind --group-key KEYFILE ip|url|mail VALUE
//
// DESCRIPTION
//   keygen writes a new Ed25519 signing key (mode 0600) and prints its public
//   half (the member's sign_key). group init writes an empty group file and a
//   new group key (the HMAC key for blinded identifiers; give it to members
//   only). member add and member revoke check the group file, then append a
//   [[members]] or [[revocations]] table to it (nothing is edited away).
//   publish checks each ITEM against the member's rights and outbound policy
//   and prints the signed batch; ITEM is KIND:VALUE[=COUNT] with KIND one of
//   ip, net, domain, or blind-ip, blind-url, blind-mail (hashed with the group
//   key: the value never leaves in clear). Without --seq the next number is
//   kept in KEYFILE.seq. verify runs the receiver's checks on batch files (or
//   framed pull answers) and prints one line per batch. See
//   src/exchange/README.md for the whole procedure.
//
// DIAGNOSTICS
//   Usage errors: one line on stderr, exit status 2. A refused item, a bad
//   group file or key: the reason on stderr, exit status 1. verify exits 1
//   when any batch is refused.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_EXCHANGE)
#include <fcntl.h>
#include <unistd.h>

#include "core/strings.h"
#include "exchange/exchange.h"

namespace {

using namespace rampart;
using namespace rampart::exchange;

int fail_msg(const std::string& msg) {
  std::fprintf(stderr, "rampart exchange: %s\n", msg.c_str());
  return 1;
}

bool write_file(const std::string& path, const std::string& data, mode_t mode, bool exclusive) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), mode);
  if (fd < 0) return false;
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return ::close(fd) == 0 && ok;
}

bool append_file(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return ::close(fd) == 0 && ok;
}

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

bool parse_i64(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool parse_classes(const std::string& list, std::set<DataClass>& out, std::string& bad) {
  for (std::string_view c : split(list, ',')) {
    c = trim(c);
    if (c.empty()) continue;
    auto cls = parse_class(c);
    if (!cls) {
      bad = std::string(c);
      return false;
    }
    out.insert(*cls);
  }
  return true;
}

bool parse_nets(const std::string& list, std::vector<IpPrefix>& out, std::string& bad) {
  for (std::string_view n : split(list, ',')) {
    n = trim(n);
    if (n.empty()) continue;
    auto p = parse_cidr(n);
    if (!p) {
      bad = std::string(n);
      return false;
    }
    out.push_back(*p);
  }
  return true;
}

int run_keygen(cli::Args& a) {
  auto out = a.get("out");
  if (!out) return a.usage_error("usage: rampart exchange keygen --out KEYFILE");
  auto k = SigningKey::generate();
  if (!k) return fail_msg(k.error().message);
  if (!write_file(*out, k->to_text(), 0600, true)) return fail_msg(*out + ": cannot create (exists?)");
  std::printf("%s\n", k->public_text().c_str());
  return 0;
}

int run_group_init(cli::Args& a) {
  auto name = a.get("name"), out = a.get("out"), key_out = a.get("group-key-out");
  if (!name || !out || !key_out)
    return a.usage_error(
        "usage: rampart exchange group init --name GROUP --out GROUPFILE --group-key-out KEYFILE");
  if (!valid_member_name(*name)) return a.usage_error("GROUP: letters, digits, '.', '_', '-' (1-64)");
  auto gk = generate_group_key();
  if (!gk) return fail_msg(gk.error().message);
  if (!write_file(*key_out, group_key_text(*gk), 0600, true))
    return fail_msg(*key_out + ": cannot create (exists?)");
  if (!write_file(
          *out, "# rampart exchange group file (src/exchange/README.md)\n[group]\nname = \"" + *name + "\"\n",
          0644, true))
    return fail_msg(*out + ": cannot create (exists?)");
  return 0;
}

Result<Group> load_group(const std::string& path) { return Group::load_file(path); }

int run_member_add(cli::Args& a) {
  auto gpath = a.get("group"), name = a.get("name"), pk = a.get("sign-key"), fp = a.get("tls-sha256");
  if (!gpath || !name || !pk || !fp)
    return a.usage_error(
        "usage: rampart exchange member add --group GROUPFILE --name NAME --sign-key ed25519:... "
        "--tls-sha256 HEX "
        "[--read CLASSES] [--write CLASSES]");
  Member m;
  m.name = *name;
  auto key = parse_public_key(*pk);
  if (!key) return a.usage_error(key.error().message);
  m.sign_key = *key;
  m.tls_sha256 = to_lower(*fp);
  std::string bad;
  if (!parse_classes(a.get_or("read", ""), m.rights.read, bad) ||
      !parse_classes(a.get_or("write", ""), m.rights.write, bad))
    return a.usage_error("unknown class '" + bad +
                         "' (bot_ip, spam_source, domain_rep, complaint_agg, phish_url)");
  m.added = now_unix();
  if (auto at = a.get("added"); at && !parse_i64(*at, m.added)) return a.usage_error("--added: unix seconds");
  std::string text;
  if (!cli::read_input(*gpath, text)) return fail_msg(*gpath + ": cannot read");
  const std::string add = member_toml(m);
  // The file with the new member must still be a valid group file.
  auto g = Group::parse(text + add, *gpath);
  if (!g) return fail_msg(g.error().message);
  if (!append_file(*gpath, add)) return fail_msg(*gpath + ": cannot append");
  std::printf("added %s to %s (read %zu, write %zu classes)\n", m.name.c_str(), g->name().c_str(),
              m.rights.read.size(), m.rights.write.size());
  return 0;
}

int run_member_revoke(cli::Args& a) {
  auto gpath = a.get("group"), name = a.get("name");
  if (!gpath || !name)
    return a.usage_error(
        "usage: rampart exchange member revoke --group GROUPFILE --name NAME [--at UNIX] [--reason TEXT]");
  int64_t at = now_unix();
  if (auto s = a.get("at"); s && !parse_i64(*s, at)) return a.usage_error("--at: unix seconds");
  std::string text;
  if (!cli::read_input(*gpath, text)) return fail_msg(*gpath + ": cannot read");
  const std::string add = revocation_toml(*name, at, a.get_or("reason", ""));
  auto g = Group::parse(text + add, *gpath);
  if (!g) return fail_msg(g.error().message);
  if (!append_file(*gpath, add)) return fail_msg(*gpath + ": cannot append");
  std::printf("revoked %s from %lld\n", name->c_str(), static_cast<long long>(at));
  return 0;
}

int run_publish(cli::Args& a) {
  auto gpath = a.get("group"), kpath = a.get("key"), self = a.get("self"), cls_s = a.get("class");
  if (!gpath || !kpath || !self || !cls_s || a.positional().size() < 2)
    return a.usage_error(
        "usage: rampart exchange publish --group GROUPFILE --key KEYFILE --self NAME --class CLASS ITEM...");
  auto cls = parse_class(*cls_s);
  if (!cls) return a.usage_error("unknown class '" + *cls_s + "'");
  auto group = load_group(*gpath);
  if (!group) return fail_msg(group.error().message);
  auto key = SigningKey::load_file(*kpath);
  if (!key) return fail_msg(key.error().message);
  const Member* me = group->find(*self);
  if (me == nullptr) return fail_msg("'" + *self + "' is not a member of " + group->name());
  if (me->sign_key != key->public_key()) return fail_msg(*kpath + " is not " + *self + "'s signing key");
  OutboundPolicy pol;
  std::string bad;
  if (!parse_nets(a.get_or("subscriber-nets", ""), pol.subscriber_networks, bad) ||
      !parse_nets(a.get_or("publishable-nets", ""), pol.publishable_networks, bad))
    return a.usage_error("not a CIDR: " + bad);
  std::optional<GroupKey> gk;
  if (auto p = a.get("group-key")) {
    auto k = load_group_key(*p);
    if (!k) return fail_msg(k.error().message);
    gk = *k;
  }
  const int64_t now = now_unix();
  Publisher pub(*group, *self, pol);
  for (size_t i = 1; i < a.positional().size(); ++i) {
    std::string spec = a.positional()[i];
    const size_t colon = spec.find(':');
    if (colon == std::string::npos) return a.usage_error("ITEM is KIND:VALUE[=COUNT]: " + spec);
    std::string kind = spec.substr(0, colon), value = spec.substr(colon + 1);
    int64_t count = 1;
    if (const size_t eq = value.rfind('='); eq != std::string::npos && kind != "blind-url") {
      if (!parse_i64(value.substr(eq + 1), count) || count < 1 || count > UINT32_MAX)
        return a.usage_error("COUNT: 1-4294967295");
      value.resize(eq);
    }
    Item item;
    if (kind.starts_with("blind-")) {
      if (!gk) return a.usage_error(kind + " needs --group-key");
      auto b = blinded_item(*gk, *cls, kind.substr(6), value);
      if (!b) return fail_msg(b.error().message);
      item = std::move(*b);
    } else {
      auto k = parse_kind(kind);
      if (!k || *k == ItemKind::kIpHmac || *k == ItemKind::kUrlHmac || *k == ItemKind::kMailHmac)
        return a.usage_error("KIND: ip, net, domain, blind-ip, blind-url, blind-mail");
      item = Item{*cls, *k, value, 1};
    }
    item.count = static_cast<uint32_t>(count);
    if (auto st = pub.publish(std::move(item), now); !st) return fail_msg(spec + ": " + st.error().message);
  }
  int64_t seq = 0;
  const std::string seq_path = *kpath + ".seq";
  if (auto s = a.get("seq")) {
    if (!parse_i64(*s, seq) || seq < 1) return a.usage_error("--seq: 1 or more");
  } else {
    std::string prev;
    int64_t last = 0;
    if (cli::read_input(seq_path, prev) && !parse_i64(std::string(trim(prev)), last))
      return fail_msg(seq_path + ": not a number");
    seq = last + 1;
  }
  auto batch = pub.take(*cls, static_cast<uint64_t>(seq), now);
  const std::string wire = sign_batch(group->name(), std::move(*batch), *key);
  if (!a.get("seq") && !write_file(seq_path, std::to_string(seq) + "\n", 0600, false))
    return fail_msg(seq_path + ": cannot write");
  if (auto out = a.get("out")) {
    if (!write_file(*out, wire, 0644, false)) return fail_msg(*out + ": cannot write");
  } else {
    std::fwrite(wire.data(), 1, wire.size(), stdout);
  }
  return 0;
}

int run_verify(cli::Args& a) {
  auto gpath = a.get("group");
  if (!gpath || a.positional().size() < 2)
    return a.usage_error("usage: rampart exchange verify --group GROUPFILE [--seq-book FILE] FILE...");
  auto group = load_group(*gpath);
  if (!group) return fail_msg(group.error().message);
  SeqBook book;
  const auto book_path = a.get("seq-book");
  if (book_path) {
    std::string text;
    if (cli::read_input(*book_path, text)) {
      auto b = SeqBook::parse(text);
      if (!b) return fail_msg(*book_path + ": " + b.error().message);
      book = std::move(*b);
    }
  }
  std::optional<AuditLog> audit;
  if (auto p = a.get("audit")) {
    auto l = AuditLog::open(*p);
    if (!l) return fail_msg(l.error().message);
    audit.emplace(std::move(*l));
  }
  int64_t now = now_unix();
  if (auto s = a.get("now"); s && !parse_i64(*s, now)) return a.usage_error("--now: unix seconds");
  Receiver rx(*group, book);
  int refused = 0;
  auto one = [&](std::string_view text, const std::string& where) {
    auto r = rx.accept(text, now);
    if (r) {
      const Batch& b = r->parsed.batch;
      std::printf("%s: accepted origin=%s class=%s seq=%llu time=%lld items=%zu\n", where.c_str(),
                  b.origin.c_str(), std::string(class_name(b.cls)).c_str(),
                  static_cast<unsigned long long>(b.seq), static_cast<long long>(b.time), b.items.size());
      for (const Item& i : b.items)
        std::printf("  %s %s %u\n", std::string(kind_name(i.kind)).c_str(), i.value.c_str(), i.count);
      if (audit) (void)audit->record(now, "write", b.origin, class_name(b.cls), b.items.size(), b.seq);
    } else {
      ++refused;
      std::printf("%s: refused %s origin=%s: %s\n", where.c_str(),
                  std::string(refusal_name(r.error().why)).c_str(),
                  r.error().origin.empty() ? "-" : r.error().origin.c_str(), r.error().message.c_str());
      if (audit) (void)audit->record(now, "refuse", r.error().origin, "", 0, 0, refusal_name(r.error().why));
    }
  };
  for (size_t i = 1; i < a.positional().size(); ++i) {
    const std::string& path = a.positional()[i];
    std::string text;
    if (!cli::read_input(path, text)) return fail_msg(path + ": cannot read");
    if (text.starts_with("batch ")) {
      std::string_view in = text;
      for (int n = 1; !in.empty(); ++n) {
        auto f = next_frame(in);
        if (!f) {
          ++refused;
          std::printf("%s#%d: refused malformed: %s\n", path.c_str(), n, f.error().message.c_str());
          break;
        }
        one(*f, path + "#" + std::to_string(n));
      }
    } else {
      one(text, path);
    }
  }
  if (book_path && !write_file(*book_path, book.to_text(), 0600, false))
    return fail_msg(*book_path + ": cannot write");
  return refused == 0 ? 0 : 1;
}

int run_blind(cli::Args& a) {
  auto kpath = a.get("group-key");
  if (!kpath || a.positional().size() != 3)
    return a.usage_error("usage: rampart exchange blind --group-key KEYFILE ip|url|mail VALUE");
  auto k = load_group_key(*kpath);
  if (!k) return fail_msg(k.error().message);
  const std::string& what = a.positional()[1];
  const DataClass cls = what == "url"    ? DataClass::kPhishUrl
                        : what == "mail" ? DataClass::kComplaintAgg
                                         : DataClass::kBotIp;
  auto item = blinded_item(*k, cls, what, a.positional()[2]);
  if (!item) return fail_msg(item.error().message);
  std::printf("%s %s\n", std::string(kind_name(item->kind)).c_str(), item->value.c_str());
  return 0;
}

int run_exchange(cli::Args& a) {
  if (!a.parse({"out",
                "name",
                "group-key-out",
                "group",
                "sign-key",
                "tls-sha256",
                "read",
                "write",
                "added",
                "at",
                "reason",
                "key",
                "self",
                "class",
                "seq",
                "group-key",
                "subscriber-nets",
                "publishable-nets",
                "seq-book",
                "audit",
                "now"},
               {}))
    return cli::kUsage;
  const auto& pos = a.positional();
  const std::string sub = pos.empty() ? "" : pos[0];
  const std::string sub2 = pos.size() > 1 ? pos[1] : "";
  if (sub == "keygen") return run_keygen(a);
  if (sub == "group" && sub2 == "init") return run_group_init(a);
  if (sub == "member" && sub2 == "add") return run_member_add(a);
  if (sub == "member" && sub2 == "revoke") return run_member_revoke(a);
  if (sub == "publish") return run_publish(a);
  if (sub == "verify") return run_verify(a);
  if (sub == "blind") return run_blind(a);
  return a.usage_error(
      "usage: rampart exchange keygen|group init|member add|member revoke|publish|verify|blind ...");
}

rampart::cli::Registrar reg("exchange", "the private exchange among member providers", run_exchange);

}  // namespace
#endif  // HAVE_RAMPART_EXCHANGE
