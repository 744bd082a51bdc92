// rampart calls — robocall and spoofing patterns in call detail records.
//
// SYNOPSIS
//   rampart calls detect --cdr FILE|- [--format csv|asterisk] [--own-ranges PREFIX,...] [--json]
//                        [--country-code CC] [--national-prefix P] [--international-prefix P]
//                        [--decisions OUT.csv] [--own-ranges-action tag|block]
//
// DESCRIPTION
//   Reads CDRs in time order (csv: a header names the columns; asterisk:
//   Master.csv), judges each call at its INVITE from the history before it
//   (src/channels/calls.h), then learns its outcome. Prints each caller,
//   trunk and network that was tagged or blocked, with the first time, the
//   attempts and the reasons; then how many calls would have been blocked and
//   tagged. --own-ranges lists the digit prefixes of the provider's numbers
//   (a call from outside with one of them as caller ID is spoofed, or a
//   number ported out: tagged; --own-ranges-action block refuses it).
//   A withheld caller ID ("anonymous", "Restricted", ...) is not judged.
//   --country-code makes numbers in national form ("0" + national number)
//   E.164 (without it they are not judged valid or invalid); "00" + E.164
//   is read as international (--national-prefix, --international-prefix).
//   --decisions writes one CSV line per call read: its line number in the
//   input (1-based, the header is line 1), the action at its INVITE (allow,
//   tag, block) and the reasons joined by "; " (for scoring against labels).
//
// EXIT STATUS
//   0 after reading the file (skipped lines are counted, the first reason
//   shown on stderr); 1 when the file cannot be read; 2 for bad arguments.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_CHANNELS)
#include "channels/calls.h"
#include "core/strings.h"

namespace {

using namespace rampart;
using namespace rampart::channels::calls;

int run_calls(cli::Args& a) {
  if (!a.parse({"cdr", "format", "own-ranges", "decisions", "country-code", "national-prefix",
                "international-prefix", "own-ranges-action"},
               {"json"}))
    return cli::kUsage;
  const auto& pos = a.positional();
  if (pos.size() != 1 || pos[0] != "detect") return a.usage_error("expected 'detect'");
  const auto path = a.get("cdr");
  if (!path) return a.usage_error("--cdr FILE is required ('-' for standard input)");
  CdrReader reader;
  const std::string fmt = a.get_or("format", "csv");
  if (fmt == "asterisk")
    reader.format = CdrFormat::kAsterisk;
  else if (fmt != "csv")
    return a.usage_error("--format: csv or asterisk");
  Options opt;
  if (auto r = a.get("own-ranges"))
    for (std::string_view p : split(*r, ',')) {
      std::string d = number_digits(trim(p));
      if (d.empty()) return a.usage_error("--own-ranges: '" + std::string(p) + "' is not a number prefix");
      opt.own_ranges.push_back(d);
    }
  if (auto v = a.get("own-ranges-action")) {
    if (*v != "tag" && *v != "block") return a.usage_error("--own-ranges-action: tag or block");
    opt.own_range_action = *v == "block" ? Action::kBlock : Action::kTag;
  }
  for (auto [flag, field] :
       {std::pair{"country-code", &opt.country_code}, std::pair{"national-prefix", &opt.national_prefix},
        std::pair{"international-prefix", &opt.international_prefix}})
    if (auto v = a.get(flag)) {
      if (v->size() > 4 || v->find_first_not_of("0123456789") != std::string::npos)
        return a.usage_error(std::string("--") + flag + ": at most 4 digits");
      *field = *v;
    }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (*path != "-") {
    file.open(*path);
    if (!file) {
      std::fprintf(stderr, "rampart calls: cannot read %s\n", path->c_str());
      return 1;
    }
    in = &file;
  }
  std::ofstream decisions;
  if (auto d = a.get("decisions")) {
    decisions.open(*d, std::ios::trunc);
    if (!decisions) {
      std::fprintf(stderr, "rampart calls: cannot write %s\n", d->c_str());
      return 1;
    }
    decisions << "line,action,reasons\n";
  }
  CallPatterns patterns(opt);
  uint64_t calls = 0, blocked = 0, tagged = 0, line_no = 0;
  std::string line;
  while (std::getline(*in, line)) {
    ++line_no;
    auto c = reader.line(line);
    if (!c) continue;
    ++calls;
    Assessment v = patterns.on_invite(*c);
    if (decisions.is_open()) {
      std::string why;
      for (const auto& r : v.reasons) why += (why.empty() ? "" : "; ") + r;
      std::replace(why.begin(), why.end(), '"', '\'');
      decisions << line_no << ',' << action_name(v.action) << ",\"" << why << "\"\n";
    }
    blocked += v.action == Action::kBlock;
    tagged += v.action == Action::kTag;
    patterns.on_end(*c);
  }
  if (reader.skipped)
    std::fprintf(stderr, "rampart calls: %llu line(s) skipped, first: %s\n",
                 static_cast<unsigned long long>(reader.skipped), reader.first_error.c_str());
  const auto incidents = patterns.incidents();
  if (a.flag("json")) {
    std::string out = "{\"calls\": " + std::to_string(calls) + ", \"blocked\": " + std::to_string(blocked) +
                      ", \"tagged\": " + std::to_string(tagged) +
                      ", \"skipped\": " + std::to_string(reader.skipped) + ", \"incidents\": [";
    for (size_t i = 0; i < incidents.size(); ++i) {
      const Incident& n = incidents[i];
      out += (i ? ", " : "") + JsonObject()
                                   .str("key", n.key)
                                   .str("action", action_name(n.action))
                                   .num("first_seen", n.first_seen)
                                   .num("last_seen", n.last_seen)
                                   .num("attempts", static_cast<int64_t>(n.attempts))
                                   .strings("reasons", n.reasons)
                                   .done();
    }
    std::printf("%s]}\n", out.c_str());
  } else {
    for (const Incident& n : incidents) {
      std::printf("%-6s %-36s first %lld, %llu attempts:", std::string(action_name(n.action)).c_str(),
                  n.key.c_str(), static_cast<long long>(n.first_seen),
                  static_cast<unsigned long long>(n.attempts));
      for (const auto& r : n.reasons) std::printf(" %s;", r.c_str());
      std::printf("\n");
    }
    std::printf("%llu calls: %llu would be blocked, %llu tagged\n", static_cast<unsigned long long>(calls),
                static_cast<unsigned long long>(blocked), static_cast<unsigned long long>(tagged));
  }
  return 0;
}

rampart::cli::Registrar reg("calls", "robocall and caller-ID spoofing patterns in call detail records",
                            run_calls);

}  // namespace
#endif  // HAVE_RAMPART_CHANNELS
