// rampart stir — STIR/SHAKEN caller authentication (RFC 8224, 8225, 8588).
//
// SYNOPSIS
//   rampart stir verify --identity VALUE --from TN --to TN [--date HTTP-DATE | --now UNIXTIME]
//                       --trust-anchors PEMFILE [--https-ca PEMFILE] [--timeout-ms N] [--json]
//   rampart stir sign --key PEM --x5u URL --attest A|B|C --orig TN --dest TN[,TN...]
//                     [--origid ID] [--iat UNIXTIME]
//
// DESCRIPTION
//   verify checks an Identity header field value for a call from --from to
//   --to at the call's Date (default now): the PASSporT's claims and
//   freshness, the certificate chain fetched from its x5u over HTTPS (the
//   server trusted through the system CAs or --https-ca) against the STI-CA
//   trust anchors, the TNAuthList, and the ES256 signature
//   (src/channels/stir.h). It prints one verdict: with --json the object
//   {"verstat", "attest", "origid", "sip_status", "reason"}, else one line.
//   An empty --identity "" stands for a call without an Identity header.
//   sign prints a full-form Identity header field value signed with --key
//   (PKCS#8 or SEC1 PEM, EC P-256).
//
// EXIT STATUS
//   0 whenever a verdict was printed (whatever it says) or a value signed;
//   2 for bad arguments (including unreadable trust anchors or key); 1 when
//   signing fails.
#include <cstdio>
#include <ctime>
#include <string>

#include "cli.h"

#if defined(HAVE_RAMPART_CHANNELS)
#include <boost/asio/io_context.hpp>

#include "channels/stir.h"
#include "channels/x5u.h"
#include "core/strings.h"

namespace {

using namespace rampart;
using namespace rampart::channels;

bool parse_int64(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t k = i; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  out = std::stoll(s);
  return true;
}

void print_verdict(const stir::Verdict& v, bool json) {
  if (json) {
    std::string out =
        "{\"verstat\": " + json_quote(stir::verstat_name(v.verstat)) +
        ", \"attest\": " + (v.attest ? json_quote(std::string(1, *v.attest)) : std::string("null")) +
        ", \"origid\": " + (v.origid ? json_quote(*v.origid) : std::string("null")) +
        ", \"sip_status\": " + std::to_string(v.sip_status) + ", \"reason\": " + json_quote(v.reason) + "}";
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("%s %d %s\n", std::string(stir::verstat_name(v.verstat)).c_str(), v.sip_status,
                v.reason.c_str());
  }
}

int run_verify(cli::Args& a) {
  const auto identity = a.get("identity");
  const auto from = a.get("from"), to = a.get("to"), anchors_path = a.get("trust-anchors");
  if (!identity) return a.usage_error("--identity is required (\"\" for a call without one)");
  if (!from || !to) return a.usage_error("--from and --to are required");
  if (!anchors_path) return a.usage_error("--trust-anchors is required");
  if (a.get("date") && a.get("now")) return a.usage_error("--date and --now exclude each other");
  stir::Call call{.from_tn = *from, .to_tn = *to, .date = static_cast<int64_t>(std::time(nullptr))};
  if (auto d = a.get("date")) {
    auto t = parse_http_date(*d);
    if (!t) return a.usage_error("--date: " + t.error().message);
    call.date = *t;
  } else if (auto n = a.get("now")) {
    if (!parse_int64(*n, call.date)) return a.usage_error("--now: not a unix time");
  }
  int64_t timeout_ms = 3000;
  if (auto t = a.get("timeout-ms");
      t && (!parse_int64(*t, timeout_ms) || timeout_ms <= 0 || timeout_ms > 60000))
    return a.usage_error("--timeout-ms: 1 to 60000");
  auto anchors = stir::TrustAnchors::load_file(*anchors_path);
  if (!anchors) return a.usage_error("--trust-anchors: " + anchors.error().message);
  const bool json = a.flag("json");

  auto step = stir::check_identity(*identity, call);
  if (auto* v = std::get_if<stir::Verdict>(&step)) {
    print_verdict(*v, json);
    return 0;
  }
  const auto& checked = std::get<stir::Checked>(step);
  boost::asio::io_context io;
  X5uFetcher fetcher(io.get_executor(), {.https_ca = a.get_or("https-ca", ""),
                                         .timeout = std::chrono::milliseconds(timeout_ms),
                                         .max_body = stir::kMaxChainBytes});
  if (auto st = fetcher.ready(); !st) return a.usage_error("--https-ca: " + st.error().message);
  stir::Verdict verdict;
  fetcher.fetch(checked.x5u, static_cast<int64_t>(std::time(nullptr)), [&](Result<std::string> chain) {
    verdict = chain ? stir::verify_with_chain(checked, *chain, *anchors, call)
                    : stir::fetch_failed(chain.error().message);
  });
  io.run();
  print_verdict(verdict, json);
  return 0;
}

int run_sign(cli::Args& a) {
  const auto key_path = a.get("key"), x5u = a.get("x5u"), attest = a.get("attest"), orig = a.get("orig"),
             dest = a.get("dest");
  if (!key_path || !x5u || !attest || !orig || !dest)
    return a.usage_error("usage: rampart stir sign --key PEM --x5u URL --attest A|B|C --orig TN --dest TN");
  if (attest->size() != 1 || ((*attest)[0] != 'A' && (*attest)[0] != 'B' && (*attest)[0] != 'C'))
    return a.usage_error("--attest: A, B or C");
  std::string pem;
  if (!cli::read_input(*key_path, pem)) return a.usage_error("--key: cannot read " + *key_path);
  auto key = stir::load_signing_key(pem);
  if (!key) return a.usage_error("--key: " + key.error().message);
  stir::SignRequest req{.x5u = *x5u,
                        .attest = (*attest)[0],
                        .orig = *orig,
                        .dest = {},
                        .origid = a.get_or("origid", ""),
                        .iat = static_cast<int64_t>(std::time(nullptr))};
  for (std::string_view d : split(*dest, ','))
    if (!trim(d).empty()) req.dest.emplace_back(trim(d));
  if (auto t = a.get("iat"); t && !parse_int64(*t, req.iat)) return a.usage_error("--iat: not a unix time");
  auto id = stir::sign(*key, req);
  if (!id) {
    std::fprintf(stderr, "rampart stir sign: %s\n", id.error().message.c_str());
    return id.error().code == Errc::kInvalidArgument ? cli::kUsage : 1;
  }
  std::printf("%s\n", id->c_str());
  return 0;
}

int run_stir(cli::Args& a) {
  if (!a.parse({"identity", "from", "to", "date", "now", "trust-anchors", "https-ca", "timeout-ms", "key",
                "x5u", "attest", "orig", "dest", "origid", "iat"},
               {"json"}))
    return cli::kUsage;
  const auto& pos = a.positional();
  if (pos.size() == 1 && pos[0] == "verify") return run_verify(a);
  if (pos.size() == 1 && pos[0] == "sign") return run_sign(a);
  return a.usage_error("expected 'verify' or 'sign'");
}

rampart::cli::Registrar reg("stir", "STIR/SHAKEN: verify or sign SIP Identity headers (RFC 8224, 8588)",
                            run_stir);

}  // namespace
#endif  // HAVE_RAMPART_CHANNELS
