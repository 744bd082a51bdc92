// rampart user — the web console's accounts (src/console/accounts.h).
//
// SYNOPSIS
//   rampart user add NAME --role viewer|operator|admin [--data-dir DIR | --file FILE]
//   rampart user passwd NAME [--data-dir DIR | --file FILE]
//   rampart user del NAME [--data-dir DIR | --file FILE]
//   rampart user list [--data-dir DIR | --file FILE]
//
// DESCRIPTION
//   The accounts live in DIR/console/users (rampartd's --data-dir; default
//   /var/lib/rampart), or FILE: one line per user with its role and an
//   Argon2id hash of its password (libsodium), written atomically with mode
//   0600. add and passwd read the password from the terminal (twice, not
//   echoed) or, when stdin is not a terminal, its first line; nothing secret
//   is printed. rampartd reads the file at each login: no reload is needed;
//   it also notices the change within [console] sample_s seconds and ends
//   the open sessions of a deleted user (or one whose role changed).
//
// DIAGNOSTICS
//   A bad NAME or role, an existing NAME (add), an unknown NAME (del,
//   passwd), a password under 10 characters or two that differ: one line on
//   stderr, exit status 2. An unreadable or unwritable file: exit status 1.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_CONSOLE_CORE)
#include "console/accounts.h"

namespace {

using namespace rampart;

// One line from the terminal without echo, or from stdin.
bool read_secret(const char* prompt, std::string& out) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt);
    std::fflush(stderr);
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  const bool ok = static_cast<bool>(std::getline(std::cin, out));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return ok;
}

int read_new_password(cli::Args& a, std::string& pw) {
  if (!read_secret("password: ", pw)) return a.usage_error("no password given on stdin");
  if (::isatty(STDIN_FILENO)) {
    std::string again;
    if (!read_secret("again: ", again) || again != pw) return a.usage_error("the passwords differ");
  }
  return 0;
}

// DIR/console exists (0700) before the file is written there.
bool make_parent(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return true;
  const std::string dir = file.substr(0, slash);
  struct stat sb {};
  if (::stat(dir.c_str(), &sb) == 0) return S_ISDIR(sb.st_mode);
  if (!make_parent(dir)) return false;
  return ::mkdir(dir.c_str(), 0700) == 0;
}

int run_user(cli::Args& a) {
  if (!a.parse({"role", "data-dir", "file"}, {})) return cli::kUsage;
  const auto& pos = a.positional();
  const char* usage =
      "usage: rampart user add NAME --role viewer|operator|admin | passwd NAME | del NAME | list "
      "[--data-dir DIR | --file FILE]";
  if (pos.empty()) return a.usage_error(usage);
  const std::string& verb = pos[0];
  const std::string file = a.get_or("file", console::default_users_file(a.get_or("data-dir", "")));
  auto store = console::AccountStore::load(file);
  if (!store) {
    std::fprintf(stderr, "rampart user: %s\n", store.error().message.c_str());
    return store.error().code == Errc::kIo ? 1 : cli::kUsage;
  }
  auto save = [&]() -> int {
    if (!make_parent(file)) {
      std::fprintf(stderr, "rampart user: cannot create the directory of %s\n", file.c_str());
      return 1;
    }
    if (auto st = store->save(); !st) {
      std::fprintf(stderr, "rampart user: %s\n", st.error().message.c_str());
      return 1;
    }
    return 0;
  };
  if (verb == "list" && pos.size() == 1) {
    for (const auto& acc : store->accounts())
      std::printf("%s %s\n", acc.name.c_str(), std::string(console::role_name(acc.role)).c_str());
    return 0;
  }
  if (pos.size() != 2) return a.usage_error(usage);
  const std::string& name = pos[1];
  if (verb == "add") {
    const auto role_s = a.get("role");
    if (!role_s) return a.usage_error("--role is required (viewer, operator, admin)");
    auto role = console::parse_role(*role_s);
    if (!role) return a.usage_error("unknown role '" + *role_s + "' (viewer, operator, admin)");
    if (!console::valid_user_name(name)) return a.usage_error("NAME: 1-64 letters, digits, '.', '_' or '-'");
    if (store->find(name)) return a.usage_error("user '" + name + "' exists (use passwd)");
    std::string pw;
    if (int rc = read_new_password(a, pw); rc) return rc;
    if (auto st = store->add(name, *role, pw); !st) return a.usage_error(st.error().message);
    if (int rc = save(); rc) return rc;
    std::printf("added %s (%s) to %s\n", name.c_str(), role_s->c_str(), file.c_str());
    return 0;
  }
  if (verb == "passwd") {
    if (!store->find(name)) return a.usage_error("no user '" + name + "'");
    std::string pw;
    if (int rc = read_new_password(a, pw); rc) return rc;
    if (auto st = store->set_password(name, pw); !st) return a.usage_error(st.error().message);
    if (int rc = save(); rc) return rc;
    std::printf("password of %s changed\n", name.c_str());
    return 0;
  }
  if (verb == "del") {
    if (auto st = store->remove(name); !st) return a.usage_error(st.error().message);
    if (int rc = save(); rc) return rc;
    std::printf("deleted %s\n", name.c_str());
    return 0;
  }
  return a.usage_error(usage);
}

rampart::cli::Registrar reg("user", "manage the web console's accounts (add, passwd, del, list)", run_user);

}  // namespace
#endif  // HAVE_RAMPART_CONSOLE_CORE
