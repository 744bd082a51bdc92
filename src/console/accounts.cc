// File: src/console/accounts.cc
// Accounts with Argon2id password hashes (see accounts.h).
#include "console/accounts.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace rampart::console {

namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// A hash to verify against when the name is unknown, so that an unknown
// name costs as much as a known one.
const std::string& dummy_hash() {
  static const std::string h = [] {
    auto r = hash_password("rampart-dummy-password", interactive_cost());
    return r ? *r : std::string();
  }();
  return h;
}

}  // namespace

std::string default_users_file(const std::string& data_dir) {
  return (data_dir.empty() ? std::string("/var/lib/rampart") : data_dir) + "/console/users";
}

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "viewer") return Role::kViewer;
  if (s == "operator") return Role::kOperator;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

HashCost interactive_cost() {
  return HashCost{crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
HashCost minimum_cost() { return HashCost{crypto_pwhash_OPSLIMIT_MIN, 8192}; }

Result<std::string> hash_password(std::string_view password, HashCost cost) {
  if (!sodium_ready()) return fail(Errc::kInternal, "libsodium did not initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail(Errc::kInternal, "Argon2id hashing failed (out of memory?)");
  return std::string(out);
}

bool check_password(const std::string& hash, std::string_view password) {
  if (!sodium_ready() || hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<AccountStore> AccountStore::parse(std::string_view text, std::string_view source) {
  AccountStore s;
  size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string_view why) {
      return fail(Errc::kParse,
                  std::string(source) + ":" + std::to_string(line_no) + ": " + std::string(why));
    };
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return bad("expected NAME ROLE HASH");
    const std::string_view name = line.substr(0, sp1), role = line.substr(sp1 + 1, sp2 - sp1 - 1),
                           hash = trim(line.substr(sp2 + 1));
    if (!valid_user_name(name)) return bad("bad user name");
    auto r = parse_role(role);
    if (!r) return bad("unknown role '" + std::string(role) + "' (viewer, operator, admin)");
    if (!hash.starts_with("$argon2id$") || hash.size() >= crypto_pwhash_STRBYTES ||
        hash.find(' ') != std::string_view::npos)
      return bad("not an Argon2id hash");
    if (s.find(name)) return bad("duplicate user '" + std::string(name) + "'");
    s.accounts_.push_back(Account{std::string(name), *r, std::string(hash)});
  }
  return s;
}

Result<AccountStore> AccountStore::load(const std::string& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0 && errno == ENOENT) return AccountStore(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(Errc::kIo, path + ": read error");
  auto s = parse(ss.str(), path);
  if (!s) return s;
  s->path_ = path;
  return s;
}

std::string AccountStore::serialize() const {
  std::string out = "# rampart console accounts: NAME ROLE ARGON2ID-HASH (rampart user add|del|list)\n";
  for (const Account& a : accounts_)
    out += a.name + " " + std::string(role_name(a.role)) + " " + a.hash + "\n";
  return out;
}

Status AccountStore::save() const {
  if (path_.empty()) return fail(Errc::kInvalidArgument, "account store has no file");
  return write_file_atomically(path_, serialize());
}

const Account* AccountStore::find(std::string_view name) const {
  for (const Account& a : accounts_)
    if (a.name == name) return &a;
  return nullptr;
}

namespace {
Status check_new_password(std::string_view password) {
  if (password.size() < kMinPassword)
    return fail(Errc::kInvalidArgument, "password too short (at least " + std::to_string(kMinPassword) + ")");
  if (password.size() > kMaxPassword) return fail(Errc::kInvalidArgument, "password too long");
  return {};
}
}  // namespace

Status AccountStore::add(std::string_view name, Role role, std::string_view password) {
  if (!valid_user_name(name))
    return fail(Errc::kInvalidArgument, "NAME: 1-64 letters, digits, '.', '_' or '-'");
  if (find(name)) return fail(Errc::kInvalidArgument, "user '" + std::string(name) + "' exists");
  if (auto st = check_new_password(password); !st) return st;
  auto h = hash_password(password, cost_);
  if (!h) return tl::unexpected(h.error());
  accounts_.push_back(Account{std::string(name), role, std::move(*h)});
  return {};
}

Status AccountStore::set_password(std::string_view name, std::string_view password) {
  if (auto st = check_new_password(password); !st) return st;
  for (Account& a : accounts_)
    if (a.name == name) {
      auto h = hash_password(password, cost_);
      if (!h) return tl::unexpected(h.error());
      a.hash = std::move(*h);
      return {};
    }
  return fail(Errc::kNotFound, "no user '" + std::string(name) + "'");
}

Status AccountStore::remove(std::string_view name) {
  for (auto it = accounts_.begin(); it != accounts_.end(); ++it)
    if (it->name == name) {
      accounts_.erase(it);
      return {};
    }
  return fail(Errc::kNotFound, "no user '" + std::string(name) + "'");
}

std::optional<Account> AccountStore::verify(std::string_view name, std::string_view password) const {
  if (password.size() > kMaxPassword) return std::nullopt;
  const Account* a = find(name);
  if (!a) {
    (void)check_password(dummy_hash(), password);  // same cost as a known name
    return std::nullopt;
  }
  if (!check_password(a->hash, password)) return std::nullopt;
  return *a;
}

}  // namespace rampart::console
