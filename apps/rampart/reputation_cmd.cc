// rampart reputation — replay events through the reputation engine; read ARF reports.
//
// SYNOPSIS
//   rampart reputation replay --events FILE [--config FILE] [--json] [--all]
//   rampart reputation arf [--mbox FILE | --maildir DIR] [--verify-dkim [--zone F | --nameserver A]]
//                          [--trusted-authserv-id ID[,ID...]] [--time T] [< report.eml]
//   rampart reputation maillog [FILE] [--year Y]
//
// DESCRIPTION
//   replay reads events as JSON lines (src/reputation/event_json.h) and
//   replays them in order on a fresh in-memory store, with the clock at each
//   event's time, then prints one line per sender identity (domain:* and
//   ip:*; --all: every identity kind), sorted: with --json
//     {"identity": ..., "class": ..., "score": ..., "reasons": [...], "classified_at": ...}
//   else "identity class score classified_at reasons". Thresholds come from
//   the [reputation] table of --config (defaults otherwise). Classes are
//   judged at the time of the last event.
//
//   arf parses feedback reports (RFC 5965 / 6591, JMRP style) and prints the
//   complaint event each stands for as a JSON line, the warnings on stderr:
//   one report from stdin, every message of an mbox (--mbox), or every file
//   in a Maildir's cur/ and new/ (--maildir; nothing is moved). With several
//   reports a refused one prints {"report": NAME, "rejected": REASON}.
//   Domains of the original count only when verified: --verify-dkim checks
//   a complete original's DKIM signatures again over the resolver options
//   (--zone, --nameserver, --dns-timeout; see resolver_opts.h); otherwise,
//   and for SPF, a trusted authserv-id's Authentication-Results.
//
//   maillog reads a Postfix log (FILE or stdin) and prints a bounce event
//   (JSON line) for every RCPT TO smtpd refused as an unknown user (550
//   5.1.1): the unknown-recipient bounces a milter never sees, ready for
//   POST /v1/events. Classic syslog lines carry no year: --year (default:
//   this year, UTC). See src/reputation/maillog.h.
//
// DIAGNOSTICS
//   maillog: an unknown-recipient line it cannot read is reported on stderr
//   with its line number; exit 0 (2 for an unreadable file).
//   replay: a bad line is reported on stderr with its line number and
//   skipped; exit 0. An unreadable file or config: exit 2.
//   arf: a rejected report prints "rampart reputation: rejected: <reason>"
//   on stderr (several reports: the JSON line above), exit 1 when any was
//   rejected; a report that is not a complaint (auth-failure) too. An
//   unreadable input or bad resolver option: exit 2.
#if defined(HAVE_RAMPART_REPUTATION)

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dmarc/orgdomain.h"
#include "cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/strings.h"
#include "reputation/arf.h"
#include "reputation/arf_dkim.h"
#include "reputation/engine.h"
#include "reputation/event_json.h"
#include "reputation/maillog.h"
#include "resolver_opts.h"

namespace rampart::cli {
namespace {

using namespace rampart::reputation;

int run_replay(Args& a) {
  auto events = a.get("events");
  if (!events) return a.usage_error("replay: --events FILE is required");
  Thresholds th;
  if (auto cfg_path = a.get("config")) {
    auto cfg = Config::load_file(*cfg_path);
    if (!cfg) return a.usage_error("replay: " + cfg.error().message);
    auto t = Thresholds::from_config(*cfg);
    if (!t) return a.usage_error("replay: " + t.error().message);
    th = *t;
  }
  std::ifstream in(*events, std::ios::binary);
  if (!in) return a.usage_error("replay: cannot read " + *events);
  FakeClock clock(0);
  MemoryStore store;
  Engine engine(store, clock, th, dmarc::PublicSuffixList::system());
  std::string line;
  size_t n = 0, bad = 0;
  int64_t last = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    auto e = parse_event_json(line);
    if (!e) {
      ++bad;
      std::fprintf(stderr, "rampart reputation: %s: line %zu: %s\n", events->c_str(), n,
                   e.error().message.c_str());
      continue;
    }
    if (e->time == 0) e->time = last;  // no time: with the previous event
    if (e->time > clock.unix_seconds()) clock.advance(std::chrono::seconds(e->time - clock.unix_seconds()));
    last = std::max(last, e->time);
    if (auto st = engine.record(*e); !st) {
      std::fprintf(stderr, "rampart reputation: line %zu: %s\n", n, st.error().message.c_str());
      return 1;
    }
  }
  std::vector<std::string> ids;
  (void)store.for_each_key([&](std::string_view k) {
    if (a.flag("all") || k.substr(0, 7) == "domain:" || k.substr(0, 3) == "ip:") ids.emplace_back(k);
    return true;
  });
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    auto r = engine.report(id, last);
    if (!r) {
      std::fprintf(stderr, "rampart reputation: %s: %s\n", id.c_str(), r.error().message.c_str());
      return 1;
    }
    if (a.flag("json")) {
      std::printf("%s\n", r->to_json().c_str());
    } else {
      std::printf("%s %s %.2f %lld", id.c_str(), class_name(r->cls).data(), r->score,
                  static_cast<long long>(r->classified_at));
      for (const Reason& re : r->reasons) std::printf(" [%s %s]", re.code.c_str(), re.text.c_str());
      std::printf("\n");
    }
  }
  if (bad) std::fprintf(stderr, "rampart reputation: %zu bad line(s) skipped\n", bad);
  return 0;
}

// Splits an mbox (mboxo/mboxrd: "From " separator lines; ">From " lines
// lose one '>') into its messages.
std::vector<std::string> split_mbox(std::string_view box) {
  std::vector<std::string> out;
  std::string cur;
  bool in_msg = false;
  size_t pos = 0;
  while (pos < box.size()) {
    size_t nl = box.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? box.size() : nl + 1;
    std::string_view line = box.substr(pos, end - pos);
    pos = end;
    if (line.substr(0, 5) == "From ") {
      if (in_msg) out.push_back(std::move(cur));
      cur.clear();
      in_msg = true;
      continue;
    }
    if (!in_msg) continue;  // text before the first separator
    size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') ++gt;
    if (gt > 0 && line.substr(gt, 5) == "From ") line.remove_prefix(1);
    cur.append(line);
  }
  if (in_msg) out.push_back(std::move(cur));
  return out;
}

struct ArfInput {
  std::string name;  // "-", "mbox:3", the Maildir file name
  std::string raw;
};

Result<std::vector<ArfInput>> arf_inputs(Args& a) {
  std::vector<ArfInput> in;
  if (auto box = a.get("mbox")) {
    std::string raw;
    if (!read_input(*box, raw)) return fail(Errc::kIo, "cannot read " + *box);
    size_t i = 0;
    for (std::string& m : split_mbox(raw)) in.push_back({*box + ":" + std::to_string(++i), std::move(m)});
    return in;
  }
  if (auto dir = a.get("maildir")) {
    std::vector<std::string> files;
    for (const char* sub : {"/cur", "/new"}) {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(*dir + sub, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() && it->path().filename().string().front() != '.')
          files.push_back(it->path().string());
      if (ec) return fail(Errc::kIo, *dir + sub + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      std::string raw;
      if (!read_input(f, raw)) return fail(Errc::kIo, "cannot read " + f);
      in.push_back({f, std::move(raw)});
    }
    return in;
  }
  std::string raw;
  if (!read_input("-", raw)) return fail(Errc::kIo, "cannot read standard input");
  in.push_back({"-", std::move(raw)});
  return in;
}

int run_arf(Args& a) {
  std::vector<std::string> trusted;
  if (auto t = a.get("trusted-authserv-id"))
    for (std::string_view s : split(*t, ','))
      if (!trim(s).empty()) trusted.emplace_back(trim(s));
  int64_t now = SystemClock().unix_seconds();
  if (auto t = a.get("time")) {
    char* end = nullptr;
    now = std::strtoll(t->c_str(), &end, 10);
    if (t->empty() || *end != '\0' || now < 0) return a.usage_error("arf: --time must be unix seconds");
  }
  if (a.get("mbox") && a.get("maildir")) return a.usage_error("arf: --mbox and --maildir exclude each other");
  std::unique_ptr<dns::Resolver> resolver;
  std::unique_ptr<dkim::Verifier> verifier;
  SystemClock clock;
  if (a.flag("verify-dkim")) {
    auto r = make_resolver(a);
    if (!r) return a.usage_error("arf: " + r.error().message);
    resolver = std::move(*r);
    verifier = std::make_unique<dkim::Verifier>(*resolver, clock);
  }
  auto inputs = arf_inputs(a);
  if (!inputs) return a.usage_error("arf: " + inputs.error().message);
  const bool many = inputs->size() != 1 || inputs->front().name != "-";
  size_t rejected = 0;
  for (const ArfInput& in : *inputs) {
    auto refuse = [&](const std::string& why) {
      ++rejected;
      if (many) {
        std::string j = "{\"report\": ";
        append_json_string(j, in.name);
        j += ", \"rejected\": ";
        append_json_string(j, why);
        std::printf("%s}\n", j.c_str());
      } else {
        std::fprintf(stderr, "rampart reputation: rejected: %s\n", why.c_str());
      }
    };
    auto r = parse_arf(in.raw);
    if (!r) {
      refuse(r.error().message);
      continue;
    }
    for (const std::string& w : r->warnings)
      std::fprintf(stderr, "rampart reputation: %s: warning: %s\n", in.name.c_str(), w.c_str());
    const OriginalAuth auth = verifier
                                  ? reauthenticate(*r, *verifier, dmarc::PublicSuffixList::system(), trusted)
                                  : auth_from_headers(*r, trusted);
    auto e = to_event(*r, auth, now);
    if (!e) {
      refuse(e.error().message);
      continue;
    }
    std::printf("%s\n", event_to_json(*e).c_str());
  }
  return rejected > 0 ? 1 : 0;
}

int run_maillog(Args& a) {
  int year = 0;
  if (auto y = a.get("year")) {
    char* end = nullptr;
    const long v = std::strtol(y->c_str(), &end, 10);
    if (y->empty() || *end != '\0' || v < 1970 || v > 9999)
      return a.usage_error("maillog: --year must be a year");
    year = static_cast<int>(v);
  } else {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900;
  }
  const std::string path = a.positional().size() > 1 ? a.positional()[1] : "-";
  std::string raw;
  if (!read_input(path, raw)) return a.usage_error("maillog: cannot read " + path);
  size_t line_no = 0, bad = 0, events = 0;
  for (std::string_view rest = raw; !rest.empty();) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    auto e = parse_postfix_log_line(line, year);
    if (!e) {
      ++bad;
      std::fprintf(stderr, "rampart reputation: %s: line %zu: %s\n", path.c_str(), line_no,
                   e.error().message.c_str());
      continue;
    }
    if (!*e) continue;
    ++events;
    std::printf("%s\n", event_to_json(**e).c_str());
  }
  std::fprintf(stderr, "rampart reputation: %zu bounce event(s) from %zu line(s)%s\n", events, line_no,
               bad ? (", " + std::to_string(bad) + " unreadable").c_str() : "");
  return 0;
}

int run_reputation(Args& a) {
  if (!a.parse(with_resolver_options(
                   {"events", "config", "trusted-authserv-id", "time", "mbox", "maildir", "year"}),
               {"json", "all", "verify-dkim"}))
    return kUsage;
  if (a.positional().empty()) return a.usage_error("expected 'replay', 'arf' or 'maillog'");
  const std::string& sub = a.positional()[0];
  if (sub == "maillog") {
    if (a.positional().size() > 2) return a.usage_error("unexpected argument '" + a.positional()[2] + "'");
    return run_maillog(a);
  }
  if (a.positional().size() > 1) return a.usage_error("unexpected argument '" + a.positional()[1] + "'");
  if (sub == "replay") return run_replay(a);
  if (sub == "arf") return run_arf(a);
  return a.usage_error("unknown subcommand '" + sub + "' (expected 'replay', 'arf' or 'maillog')");
}

Registrar reg("reputation", "replay reputation events, read ARF feedback reports", run_reputation);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_REPUTATION
