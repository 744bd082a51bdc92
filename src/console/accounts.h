// File: src/console/accounts.h
// The console's user accounts: a name, a role (viewer < operator < admin)
// and a password hashed with libsodium's crypto_pwhash_str_alg (Argon2id
// v1.3, RFC 9106), kept in one file of the data directory.
//
//   auto store = AccountStore::load("/var/lib/rampart/console/users");   // absent: empty
//   auto st = store->add("ann", Role::kOperator, password);   // kInvalidArgument: bad name, exists, short
//   st = store->save();                                       // atomic: temp file, fsync, rename; 0600
//   std::optional<Account> who = store->verify("ann", password);   // the account, or nullopt
//
// The file, one account per line: "NAME ROLE $argon2id$v=19$m=...,t=...,p=1$SALT$HASH".
// Lines starting '#' and blank lines are skipped. A name is 1-64 of
// [A-Za-z0-9._-]; roles "viewer", "operator", "admin".
//
// verify() costs one Argon2id computation whether or not the name exists
// (an unknown name is checked against a dummy hash), so the time taken does
// not say which names exist. Hashing parameters: libsodium's INTERACTIVE
// limits by default (2 passes, 64 MiB); tests may lower them with
// set_hash_cost(). The hash string carries its own parameters, so a file
// written with other parameters still verifies.
//
// Threads: the store is not locked; the console holds it under its own
// mutex. Verification is slow by design (~50-100 ms): the console runs it
// off the event loops.
// DIAGNOSTICS: load() fails with kIo (unreadable) or kParse naming the file
// and line (a bad name, role or hash, a duplicate name); save() fails kIo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"  // write_file_atomically (console.cc, save())
#include "core/result.h"

namespace rampart::console {

enum class Role : uint8_t { kViewer = 1, kOperator = 2, kAdmin = 3 };
std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view s);
bool valid_user_name(std::string_view name);

struct Account {
  std::string name;
  Role role = Role::kViewer;
  std::string hash;  // "$argon2id$..."
};

// Argon2id cost: opslimit (passes) and memlimit (bytes).
struct HashCost {
  unsigned long long ops;
  size_t mem;
};
HashCost interactive_cost();
// libsodium's minimum Argon2id cost (unit tests only: fast, weak).
HashCost minimum_cost();

// libsodium must be initialised once before any of these (sodium_init; the
// store's functions call it themselves).
Result<std::string> hash_password(std::string_view password, HashCost cost);
bool check_password(const std::string& hash, std::string_view password);

class AccountStore {
 public:
  AccountStore() = default;
  explicit AccountStore(std::string path) : path_(std::move(path)) {}
  static Result<AccountStore> load(const std::string& path);
  static Result<AccountStore> parse(std::string_view text, std::string_view source);
  std::string serialize() const;
  // Writes to path(): a temporary file in the same directory (mode 0600),
  // fsync, rename over the old one, fsync of the directory.
  Status save() const;

  Status add(std::string_view name, Role role, std::string_view password);
  Status set_password(std::string_view name, std::string_view password);
  Status remove(std::string_view name);
  const std::vector<Account>& accounts() const { return accounts_; }
  const Account* find(std::string_view name) const;
  std::optional<Account> verify(std::string_view name, std::string_view password) const;

  void set_hash_cost(HashCost c) { cost_ = c; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<Account> accounts_;
  HashCost cost_ = interactive_cost();
};

// The default accounts file for a data directory (what `rampart user` and
// rampartd agree on): <data_dir>/console/users, /var/lib/rampart/console/users
// without one.
std::string default_users_file(const std::string& data_dir);

// Passwords shorter than this are refused by add() and set_password().
inline constexpr size_t kMinPassword = 10;
inline constexpr size_t kMaxPassword = 1024;

}  // namespace rampart::console
