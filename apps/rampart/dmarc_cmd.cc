// rampart dmarc — read DMARC aggregate reports (RFC 7489 section 7.2).
//
// SYNOPSIS
//   rampart dmarc report [--json] [FILE...]
//
// DESCRIPTION
//   report reads each FILE (or stdin): a report mail as it arrived (its
//   gzip, zip or XML attachments), or a bare .xml, .xml.gz or .zip report,
//   told apart by their bytes, and prints every report it holds: with --json
//   one JSON object per line (report_metadata, policy_published, records;
//   src/auth/dmarc/report_read.h), else a summary line per report and one
//   line per record ("SOURCE_IP COUNT disposition=... dkim=... spf=...
//   header_from=..."). What was tolerated (missing elements, unknown values,
//   XML that is not well-formed) is printed on stderr as warnings.
//
// DIAGNOSTICS
//   A file that holds no readable report: "rampart dmarc: FILE: reason" on
//   stderr, and exit status 1 once every file was read. An unreadable file
//   or a bad option: exit 2.
#include <cstdio>
#include <set>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_DMARC)
#include "auth/dmarc/report_read.h"

namespace rampart::cli {
namespace {

using namespace rampart::dmarc;

void print_report(const AggregateReport& r, bool json) {
  if (json) {
    std::printf("%s\n", aggregate_report_json(r).c_str());
    return;
  }
  std::printf("report %s from %s <%s> for %s (p=%s) %lld-%lld: %zu records\n", r.report_id.c_str(),
              r.reporter.org_name.c_str(), r.reporter.email.c_str(), r.policy.domain.c_str(),
              std::string(policy_name(r.policy.p)).c_str(), static_cast<long long>(r.begin),
              static_cast<long long>(r.end), r.rows.size());
  for (const AggregateRow& row : r.rows)
    std::printf("  %s %llu disposition=%s dkim=%s spf=%s header_from=%s\n", row.source_ip.to_string().c_str(),
                static_cast<unsigned long long>(row.count), std::string(policy_name(row.disposition)).c_str(),
                row.dkim_pass ? "pass" : "fail", row.spf_pass ? "pass" : "fail", row.header_from.c_str());
}

int run_report(Args& a) {
  const bool json = a.flag("json");
  std::vector<std::string> files(a.positional().begin() + 1, a.positional().end());
  if (files.empty()) files.push_back("-");
  int status = 0;
  for (const std::string& f : files) {
    std::string bytes;
    if (!read_input(f, bytes)) {
      std::fprintf(stderr, "rampart dmarc: cannot read %s\n", f.c_str());
      return kUsage;
    }
    std::vector<std::string> warnings;
    std::vector<AggregateReport> reports;
    // A bare report (gzip, zip or XML) first; otherwise a mail.
    if (auto xml = unpack_report(bytes)) {
      auto r = parse_aggregate_xml(*xml, &warnings);
      if (r)
        reports.push_back(std::move(*r));
      else
        warnings.push_back(r.error().message);
    } else if (auto m = read_report_message(bytes, &warnings)) {
      reports = std::move(*m);
    } else {
      warnings.push_back(m.error().message);
    }
    for (const std::string& w : warnings)
      std::fprintf(stderr, "rampart dmarc: %s: %s\n", f.c_str(), w.c_str());
    if (reports.empty()) status = 1;
    for (const AggregateReport& r : reports) print_report(r, json);
  }
  return status;
}

int run_dmarc(Args& a) {
  if (!a.parse({}, {"json"})) return kUsage;
  if (a.positional().empty()) return a.usage_error("expected 'report'");
  const std::string& sub = a.positional()[0];
  if (sub == "report") return run_report(a);
  return a.usage_error("unknown subcommand '" + sub + "' (expected 'report')");
}

Registrar reg("dmarc", "read DMARC aggregate reports (mail, .xml, .xml.gz, .zip)", run_dmarc);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_DMARC
