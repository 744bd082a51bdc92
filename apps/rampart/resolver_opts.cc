#include "resolver_opts.h"

#include <charconv>

#include "core/ip.h"
#include "dns/unbound_resolver.h"
#include "dns/zone_file.h"
#include "dns/zone_resolver.h"

namespace rampart::cli {

const std::set<std::string>& resolver_option_names() {
  static const std::set<std::string> names = {"nameserver", "zone", "dns-timeout"};
  return names;
}

std::set<std::string> with_resolver_options(std::set<std::string> with_value) {
  with_value.insert(resolver_option_names().begin(), resolver_option_names().end());
  return with_value;
}

namespace {

Result<unsigned> parse_number(std::string_view s, unsigned lo, unsigned hi, const char* what) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    return fail(Errc::kInvalidArgument, std::string("bad ") + what + " '" + std::string(s) + "'");
  return v;
}

}  // namespace

Result<std::string> parse_nameserver(std::string_view text) {
  auto hp = parse_host_port(text, 53);  // core/ip.h: the one ADDR[:PORT] parser
  if (!hp) return fail(Errc::kInvalidArgument, "bad --nameserver: " + hp.error().message);
  return hp->ip.to_string() + "@" + std::to_string(hp->port);
}

Result<std::unique_ptr<dns::Resolver>> make_resolver(const Args& args, int default_timeout_ms) {
  int timeout_ms = default_timeout_ms;
  if (auto t = args.get("dns-timeout")) {
    auto n = parse_number(*t, 1, 3600 * 1000, "--dns-timeout (milliseconds, 1..3600000)");
    if (!n) return tl::unexpected(n.error());
    timeout_ms = static_cast<int>(*n);
  }
  auto ns = args.get("nameserver");
  auto zone = args.get("zone");
  if (ns && zone) return fail(Errc::kInvalidArgument, "--nameserver and --zone exclude each other");
  if (zone) {
    auto z = dns::load_zone_file(*zone);
    if (!z) return tl::unexpected(z.error());
    return std::unique_ptr<dns::Resolver>(std::make_unique<dns::ZoneResolver>(std::move(*z)));
  }
  dns::UnboundOptions opt;
  opt.timeout_ms = timeout_ms;
  if (ns) {
    auto fwd = parse_nameserver(*ns);
    if (!fwd) return tl::unexpected(fwd.error());
    opt.forwarders.push_back(std::move(*fwd));
    opt.use_resolv_conf = false;
  }
  auto r = dns::UnboundResolver::create(opt);
  if (!r) return tl::unexpected(r.error());
  return std::unique_ptr<dns::Resolver>(std::move(*r));
}

}  // namespace rampart::cli
