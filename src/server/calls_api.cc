// File: src/server/calls_api.cc
// POST /v1/calls (see calls_api.h).
#include "server/calls_api.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <variant>

#include "channels/x5u.h"
#include "console/forms.h"
#include "core/executor.h"
#include "core/file.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strings.h"
#include "server/channel_reputation.h"
#include "server/http/parser.h"
#include "server/http/router.h"
#include "server/state_file.h"

namespace rampart::server {

namespace stir = channels::stir;
namespace calls = channels::calls;
using Json = nlohmann::json;

Result<CallsConfig> CallsConfig::from(const Config& cfg, const std::string& data_dir) {
  const size_t mark = cfg.error_count();
  CallsConfig c;
  Section s = cfg.section("calls");
  c.enabled = s.boolean("enabled", false);
  c.trust_anchors = s.string("trust_anchors", "");
  c.https_ca = s.string("https_ca", "");
  c.x5u_timeout_ms = s.integer("x5u_timeout_ms", 800, 10, 30000);
  c.reject_failed = s.choice("stir_failed", "tag", {"tag", "reject"}) == "reject";
  for (auto& r : s.strings("own_ranges")) {
    std::string d = calls::number_digits(r);
    if (d.empty() || d.size() > 15)
      s.invalid("own_ranges", "not a number prefix: " + r);
    else
      c.own_ranges.push_back(std::move(d));
  }
  c.own_ranges_block = s.choice("own_ranges_action", "tag", {"tag", "block"}) == "block";
  for (auto& t : s.strings("stir_expected_trunks")) {
    if (t.empty() || t.size() > 256)
      s.invalid("stir_expected_trunks", "a trunk name of 1-256 bytes, or \"*\"");
    else
      c.stir_expected_trunks.push_back(std::move(t));
  }
  auto digits_key = [&](const char* key, std::string dflt) {
    std::string v = s.string(key, dflt);
    if (v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos) {
      s.invalid(key, "at most 4 digits");
      return dflt;
    }
    return v;
  };
  c.country_code = digits_key("country_code", "");
  c.national_prefix = digits_key("national_prefix", "0");
  c.international_prefix = digits_key("international_prefix", "00");
  c.tag_prefix = s.string("tag_prefix", "Spam? ");
  if (c.tag_prefix.size() > 64) s.invalid("tag_prefix", "at most 64 bytes");
  c.toll_tag_destinations = static_cast<uint32_t>(s.integer("toll_tag_destinations", 10, 2, 4096));
  c.toll_block_destinations = static_cast<uint32_t>(s.integer("toll_block_destinations", 20, 2, 4096));
  if (c.toll_block_destinations < c.toll_tag_destinations)
    s.invalid("toll_block_destinations", "below toll_tag_destinations");
  c.toll_share = s.number("toll_share", 0.5, 0, 1);
  c.toll_countries = static_cast<uint32_t>(s.integer("toll_countries", 3, 1, 1000));
  c.toll_long_call_s = s.integer("toll_long_call_s", 180, 1, 86400);
  c.toll_history_factor = s.number("toll_history_factor", 4, 1, 1000);
  c.toll_bar_s = s.integer("toll_bar_s", 86400, 0, 30 * 86400);
  c.utc_offset_min = s.integer("utc_offset_min", 0, -14 * 60, 14 * 60);
  c.cli_foreign_min = static_cast<uint32_t>(s.integer("cli_foreign_min", 10, 2, 4096));
  {
    calls::Options& t = c.thresholds;
    auto count = [&s](const char* key, uint32_t dflt, int64_t lo, int64_t hi) {
      return static_cast<uint32_t>(s.integer(key, dflt, lo, hi));
    };
    t.judge_min_ended = count("judge_min_ended", t.judge_min_ended, 1, 4096);
    t.conversation_s = s.integer("conversation_s", t.conversation_s, 1, 86400);
    t.invalid_cli_source_min = count("invalid_cli_source_min", t.invalid_cli_source_min, 1, 4096);
    t.invalid_cli_source_share = s.number("invalid_cli_source_share", t.invalid_cli_source_share, 0, 1);
    t.neighbour_free_digits = static_cast<size_t>(
        s.integer("neighbour_free_digits", static_cast<int64_t>(t.neighbour_free_digits), 1, 10));
    t.neighbour_wave_min = count("neighbour_wave_min", t.neighbour_wave_min, 1, 4096);
    t.wangiri_callees = count("wangiri_callees", t.wangiri_callees, 1, 4096);
    t.wangiri_asr = s.number("wangiri_asr", t.wangiri_asr, 0, 1);
    t.toll_source_min = count("toll_source_min", t.toll_source_min, 1, 4096);
    t.tdos_calls = count("tdos_calls", t.tdos_calls, 2, 4096);
    t.tdos_distinct_share = s.number("tdos_distinct_share", t.tdos_distinct_share, 0, 1);
    t.tdos_source_min = count("tdos_source_min", t.tdos_source_min, 1, 4096);
  }
  c.max_queue = static_cast<size_t>(s.integer("max_queue", 1024, 1, 1000000));
  c.state_file = s.string("state_file", data_dir.empty() ? std::string() : data_dir + "/calls.state");
  c.state_interval_s = s.integer("state_interval_s", 60, 1, 86400);
  if (c.enabled && c.trust_anchors.empty())
    s.invalid("trust_anchors", "calls.enabled needs the STI-CA list (a PEM file)");
  if (auto st = cfg.errors_since(mark); !st) return tl::unexpected(st.error());
  return c;
}

bool CallsConfig::expects_identity(std::string_view trunk, bool external) const {
  if (!external) return false;
  for (const auto& t : stir_expected_trunks)
    if (t == "*" || t == trunk) return true;
  return false;
}

namespace {

// The Date header field's text ("": none, the call is dated now).
Status set_http_date(std::string_view d, CallRequest& r) {
  if (d.empty()) return {};
  auto t = channels::parse_http_date(std::string(d));
  if (!t) return fail(Errc::kParse, "date: " + t.error().message);
  r.date = *t;
  return {};
}

Result<bool> form_bool(std::string_view name, std::string_view v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return fail(Errc::kParse, std::string(name) + " must be true or false");
}

// Digits only, at most `max`.
Result<int64_t> form_int(std::string_view name, std::string_view v, int64_t min, int64_t max) {
  int64_t n = 0;
  if (v.empty() || v.size() > 12) return fail(Errc::kParse, std::string(name) + " must be a number");
  for (const char c : v) {
    if (c < '0' || c > '9') return fail(Errc::kParse, std::string(name) + " must be a number");
    n = n * 10 + (c - '0');
  }
  if (n < min || n > max)
    return fail(Errc::kParse, std::string(name) + " out of range (" + std::to_string(min) + "-" +
                                  std::to_string(max) + ")");
  return n;
}

// The form's fields, each of `known` at most once.
Result<console::FormFields> known_form(std::string_view body, std::initializer_list<std::string_view> known) {
  auto form = console::parse_form(body);
  if (!form) return tl::unexpected(form.error());
  for (size_t i = 0; i < form->size(); ++i) {
    const std::string& key = (*form)[i].first;
    if (std::find(known.begin(), known.end(), key) == known.end())
      return fail(Errc::kParse, "unknown field " + key.substr(0, 64));
    for (size_t k = 0; k < i; ++k)
      if ((*form)[k].first == key) return fail(Errc::kParse, "field " + key + " given twice");
  }
  return form;
}

}  // namespace

bool is_form_body(const HttpRequest& req) {
  // A JSON object is JSON whatever its Content-Type says: curl -d and
  // Python's urllib label every POST body a form.
  const size_t first = req.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && req.body[first] == '{') return false;
  const std::string* ct = req.header("content-type");
  if (!ct) return false;
  static constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  if (ct->size() < kForm.size()) return false;
  for (size_t i = 0; i < kForm.size(); ++i)
    if (std::tolower(static_cast<unsigned char>((*ct)[i])) != kForm[i]) return false;
  return ct->size() == kForm.size() || (*ct)[kForm.size()] == ';' || (*ct)[kForm.size()] == ' ';
}

Result<CallRequest> parse_call_request_form(std::string_view body) {
  if (body.size() > kMaxCallRequestBytes) return fail(Errc::kLimit, "body over 16 KiB");
  auto form =
      known_form(body, {"from", "to", "identity", "date", "source_ip", "trunk", "external", "call_id"});
  if (!form) return tl::unexpected(form.error());
  CallRequest r;
  for (auto& [key, value] : *form) {
    if (key == "from") {
      r.from = std::move(value);
    } else if (key == "to") {
      r.to = std::move(value);
    } else if (key == "identity") {
      r.identity = std::move(value);
    } else if (key == "source_ip") {
      r.source_ip = std::move(value);
    } else if (key == "trunk") {
      r.trunk = std::move(value);
    } else if (key == "call_id") {
      r.call_id = std::move(value);
    } else if (key == "external") {
      if (value.empty()) continue;
      auto b = form_bool(key, value);
      if (!b) return tl::unexpected(b.error());
      r.external = *b;
    } else if (key == "date") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
        auto n = form_int(key, value, 1, 1'000'000'000'000);
        if (!n) return tl::unexpected(n.error());
        r.date = *n;
      } else if (auto st = set_http_date(value, r); !st) {
        return tl::unexpected(st.error());
      }
    }
  }
  if (r.from.empty() || r.to.empty()) return fail(Errc::kParse, "from and to are required, not empty");
  return r;
}

Result<CallEnd> parse_call_end_form(std::string_view body) {
  if (body.size() > kMaxCallEndBytes) return fail(Errc::kLimit, "body over 4 KiB");
  auto form = known_form(body, {"call_id", "answered", "duration", "status"});
  if (!form) return tl::unexpected(form.error());
  CallEnd e;
  std::optional<bool> answered;
  for (auto& [key, value] : *form) {
    if (key == "call_id") {
      e.call_id = std::move(value);
    } else if (value.empty()) {
      continue;  // an empty field stands for an absent one
    } else if (key == "answered") {
      auto b = form_bool(key, value);
      if (!b) return tl::unexpected(b.error());
      answered = *b;
    } else if (key == "duration") {
      auto n = form_int("duration (seconds)", value, 0, 10'000'000);
      if (!n) return tl::unexpected(n.error());
      e.duration_s = *n;
    } else if (key == "status") {
      auto n = form_int("status (a SIP status code)", value, 100, 699);
      if (!n) return tl::unexpected(n.error());
      e.status = static_cast<int>(*n);
    }
  }
  if (e.call_id.empty() || e.call_id.size() > 1024) return fail(Errc::kParse, "call_id must be 1-1024 bytes");
  e.answered = answered ? *answered : e.status ? e.status >= 200 && e.status < 300 : e.duration_s > 0;
  if (!e.answered) e.duration_s = 0;
  return e;
}

Result<CallRequest> parse_call_request(std::string_view body) {
  if (body.size() > kMaxCallRequestBytes) return fail(Errc::kLimit, "body over 16 KiB");
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::kParse, "the body is not a JSON object");
  CallRequest r;
  auto str = [&j](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return fail(Errc::kParse, std::string(key) + " is required");
      return {};
    }
    if (!it->is_string()) return fail(Errc::kParse, std::string(key) + " must be a string");
    out = it->get<std::string>();
    return {};
  };
  for (const auto& [key, value] : j.items()) {
    static constexpr std::string_view kKnown[] = {"from",      "to",    "identity", "date",
                                                  "source_ip", "trunk", "external", "call_id"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      return fail(Errc::kParse, "unknown field " + key.substr(0, 64));
    (void)value;
  }
  if (auto st = str("from", r.from, true); !st) return tl::unexpected(st.error());
  if (auto st = str("to", r.to, true); !st) return tl::unexpected(st.error());
  if (auto st = str("identity", r.identity, false); !st) return tl::unexpected(st.error());
  if (auto st = str("source_ip", r.source_ip, false); !st) return tl::unexpected(st.error());
  if (auto st = str("trunk", r.trunk, false); !st) return tl::unexpected(st.error());
  if (auto st = str("call_id", r.call_id, false); !st) return tl::unexpected(st.error());
  if (r.from.empty() || r.to.empty()) return fail(Errc::kParse, "from and to must not be empty");
  if (auto it = j.find("external"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(Errc::kParse, "external must be true or false");
    r.external = it->get<bool>();
  }
  if (auto it = j.find("date"); it != j.end() && !it->is_null()) {
    if (it->is_number_integer()) {
      r.date = it->get<int64_t>();
      if (r.date <= 0) return fail(Errc::kParse, "date must be positive unix seconds");
    } else if (it->is_string()) {
      if (auto st = set_http_date(it->get_ref<const std::string&>(), r); !st)
        return tl::unexpected(st.error());
    } else {
      return fail(Errc::kParse, "date must be an HTTP-date or unix seconds");
    }
  }
  return r;
}

Result<CallEnd> parse_call_end(std::string_view body) {
  if (body.size() > kMaxCallEndBytes) return fail(Errc::kLimit, "body over 4 KiB");
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::kParse, "the body is not a JSON object");
  for (const auto& [key, value] : j.items()) {
    static constexpr std::string_view kKnown[] = {"call_id", "answered", "duration", "status"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      return fail(Errc::kParse, "unknown field " + key.substr(0, 64));
    (void)value;
  }
  CallEnd e;
  auto id = j.find("call_id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
      id->get_ref<const std::string&>().size() > 1024)
    return fail(Errc::kParse, "call_id must be a string of 1-1024 bytes");
  e.call_id = id->get<std::string>();
  if (auto it = j.find("status"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 100 || it->get<int64_t>() > 699)
      return fail(Errc::kParse, "status must be a SIP status code (100-699)");
    e.status = static_cast<int>(it->get<int64_t>());
  }
  if (auto it = j.find("duration"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 10'000'000)
      return fail(Errc::kParse, "duration must be seconds (0-10000000)");
    e.duration_s = it->get<int64_t>();
  }
  if (auto it = j.find("answered"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(Errc::kParse, "answered must be true or false");
    e.answered = it->get<bool>();
  } else {
    e.answered = e.status ? e.status >= 200 && e.status < 300 : e.duration_s > 0;
  }
  if (!e.answered) e.duration_s = 0;
  return e;
}

std::string CallAnswer::to_json() const {
  Json j = Json::object();
  j["action"] = action;
  j["code"] = code;
  j["reason"] = reason;
  j["verstat"] = std::string(stir::verstat_name(verstat));
  j["attest"] = attest ? Json(std::string(1, *attest)) : Json(nullptr);
  j["display_prefix"] = display_prefix;
  j["reasons"] = reasons;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string CallAnswer::to_form() const {
  std::string out;
  out.reserve(160);
  auto field = [&out](std::string_view name, std::string_view value) {
    if (value.empty()) return;  // left out: Kamailio's param parser fails on "name=&"
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    console::form_encode(value, out);
  };
  field("action", action);
  field("code", std::to_string(code));
  field("verstat", stir::verstat_name(verstat));
  field("attest", attest ? std::string_view(&*attest, 1) : std::string_view());
  field("display_prefix", display_prefix);
  field("reason", reason);
  for (const auto& r : reasons) field("reasons", r);
  return out;
}

CallAnswer decide_call(const calls::Assessment& a, const stir::Verdict& v, const CallsConfig& cfg,
                       bool identity_expected) {
  CallAnswer out;
  out.verstat = v.verstat;
  out.attest = v.attest;
  out.reasons = a.reasons;
  if (v.verstat == stir::Verstat::kFailed) out.reasons.push_back("identity: " + v.reason);
  if (a.action == calls::Action::kBlock) {
    // A caller ID that is not a caller (invalid, the callee's own, ours from
    // outside) is declined by the network; a pattern is unwanted (RFC 8197).
    // (Our own range from outside is a number rule only when it blocks.)
    // Toll fraud by our own caller is declined too: the call is not wanted
    // by the account's owner, not by the callee.
    const bool number_rule = std::any_of(a.reasons.begin(), a.reasons.end(), [&cfg](const std::string& r) {
      return (r.rfind("caller ID", 0) == 0 &&
              (cfg.own_ranges_block || r.find("own range") == std::string::npos)) ||
             r.find(": toll fraud: ") != std::string::npos;
    });
    out.action = "block";
    out.code = number_rule ? 603 : 607;
    out.reason = a.reasons.empty() ? "call pattern" : a.reasons.front();
    return out;
  }
  // A caller ID that looks spoofed (ours from outside, a neighbour wave) is
  // only a sign: numbers are ported out, callers are new. Its own provider
  // signs a real one (SHAKEN: ATIS-1000074, the FCC's call authentication
  // rules, 47 CFR 64.6301); a failed signature, or no Identity over an
  // interconnect where every call carries one, leaves nothing that vouches
  // for it: refused (603, as the number rules).
  const bool failed = v.verstat == stir::Verstat::kFailed;
  if (a.spoofed && (failed || (v.verstat == stir::Verstat::kNoValidation && identity_expected))) {
    out.action = "block";
    out.code = 603;
    out.reason = std::string("spoofed caller ID: ") +
                 (failed ? "its Identity failed (" + v.reason + ")"
                         : "no Identity on an interconnect where every call carries one");
    out.reasons.push_back(out.reason);
    return out;
  }
  if (v.verstat == stir::Verstat::kFailed && cfg.reject_failed) {
    out.action = "reject";
    out.code = v.sip_status;
    out.reason = v.reason;
    return out;
  }
  if (a.action == calls::Action::kTag || v.verstat == stir::Verstat::kFailed) {
    out.action = "tag";
    out.display_prefix = cfg.tag_prefix;
    out.reason = a.action == calls::Action::kTag && !a.reasons.empty() ? a.reasons.front() : v.reason;
    return out;
  }
  out.action = "allow";
  out.reason = v.verstat == stir::Verstat::kPassed ? "identity verified" : "no sign of abuse";
  return out;
}

struct CallService::Impl {
  CallsConfig cfg;
  stir::TrustAnchors anchors;
  boost::asio::io_context ctx{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{ctx.get_executor()};
  std::unique_ptr<channels::X5uFetcher> fetcher;
  stir::ChainCache chains{256};
  calls::CallPatterns patterns;
  std::thread thread;
  std::atomic<size_t> queued{0};
  // Guards the patterns and the pending calls: the worker and the
  // HTTP loops that answer a call at once (answer_now) share them. Held for
  // the patterns' bookkeeping only, never across a verification or a fetch
  // (the certificate caches lock for themselves).
  std::mutex mu;
  // The INVITEs asked about, by Call-ID, for their ends (oldest first out).
  static constexpr size_t kMaxPending = 100000;
  std::unordered_map<std::string, calls::Call> pending;
  std::deque<std::pair<std::string, int64_t>> pending_order;
  // The patterns' state across restarts (server/state_file.h).
  StateFile state{ctx,
                  "calls",
                  cfg.state_file,
                  cfg.state_interval_s,
                  [this](std::string_view text, int64_t now, size_t* skipped) {
                    std::lock_guard lock(mu);
                    return patterns.load_state(text, now, skipped);
                  },
                  [this](int64_t now) {
                    std::lock_guard lock(mu);
                    return patterns.save_state(now);
                  }};
  // Metrics (null without a registry: tests).
  Family<Counter>* actions = nullptr;
  Family<Counter>* verstats = nullptr;
  Family<Counter>* ends = nullptr;
  Counter* overflow = nullptr;
  Histogram* seconds = nullptr;
  // Read by every answer, set by set_reputation: atomic, so that an answer
  // given on a loop never waits on `mu` (a state save holds it).
  std::atomic<std::shared_ptr<ChannelReputation>> rep;
  calls::Options numbering;  // the patterns' number rules (e164_of)

  Impl(CallsConfig c, stir::TrustAnchors a)
      : cfg(std::move(c)),
        anchors(std::move(a)),
        patterns(pattern_options(cfg)),
        numbering(pattern_options(cfg)) {}
  static calls::Options pattern_options(const CallsConfig& c) {
    calls::Options o = c.thresholds;
    o.own_ranges = c.own_ranges;
    o.own_range_action = c.own_ranges_block ? calls::Action::kBlock : calls::Action::kTag;
    o.country_code = c.country_code;
    o.national_prefix = c.national_prefix;
    o.international_prefix = c.international_prefix;
    o.toll_tag_destinations = c.toll_tag_destinations;
    o.toll_block_destinations = c.toll_block_destinations;
    o.toll_share = c.toll_share;
    o.toll_countries = c.toll_countries;
    o.toll_long_call_s = c.toll_long_call_s;
    o.toll_history_factor = c.toll_history_factor;
    o.toll_bar_s = c.toll_bar_s;
    o.utc_offset_min = c.utc_offset_min;
    o.cli_foreign_min = c.cli_foreign_min;
    return o;
  }

  // The caller in international form ("+" and digits) as the patterns key
  // it; "" for a withheld caller ID or a national number without a country code.
  std::string e164_of(std::string_view tn) const {
    if (calls::withheld_caller_id(tn)) return {};
    const std::string d = calls::number_digits(tn);
    std::string_view v = trim(tn);
    for (std::string_view scheme : {"sip:", "sips:", "tel:"})
      if (v.size() > scheme.size() && iequals(v.substr(0, scheme.size()), scheme))
        v.remove_prefix(scheme.size());
    const std::string intl = calls::e164_digits(d, v.starts_with('+'), numbering);
    return intl.empty() ? std::string() : "+" + intl;
  }

  void remember(const std::string& call_id, const calls::Call& c) {
    if (call_id.empty()) return;
    while (!pending_order.empty() &&
           (pending.size() >= kMaxPending || pending_order.front().second < c.time - 86400)) {
      auto it = pending.find(pending_order.front().first);
      if (it != pending.end() && it->second.time == pending_order.front().second) pending.erase(it);
      pending_order.pop_front();
    }
    if (pending_order.size() >= 2 * kMaxPending) pending_order.pop_front();  // stale entries of ended calls
    pending[call_id] = c;
    pending_order.emplace_back(call_id, c.time);
  }

  // The call's end recorded: whether its INVITE was found; nullopt when
  // `wait` is false and the patterns are busy on another thread.
  std::optional<bool> ended(const CallEnd& e, bool wait) {
    calls::Call c;
    {
      std::unique_lock lock(mu, std::defer_lock);
      if (wait)
        lock.lock();
      else if (!lock.try_lock())
        return std::nullopt;
      auto it = pending.find(e.call_id);
      if (it == pending.end()) return false;
      c = std::move(it->second);
      pending.erase(it);
      c.answered = e.answered;
      c.duration_s = e.answered ? e.duration_s : 0;
      patterns.on_end(c);
    }
    if (const std::shared_ptr<ChannelReputation> r = rep.load())
      r->on_end(e164_of(c.caller), c.source_ip, c.trunk, static_cast<int64_t>(std::time(nullptr)), e.answered,
                e.duration_s);
    return true;
  }
  std::optional<bool> end_now(const CallEnd& e) { return ended(e, /*wait=*/false); }
  void count_end(const CallEnd& e, bool found) {
    if (ends) ends->with({found ? (e.answered ? "answered" : "unanswered") : "unknown"}).inc();
  }

  void finish(const CallRequest& req, const calls::Assessment& a, const stir::Verdict& v,
              std::chrono::steady_clock::time_point t0, const std::function<void(CallAnswer)>& done) {
    CallAnswer ans = decide_call(a, v, cfg, cfg.expects_identity(req.trunk, req.external));
    const std::shared_ptr<ChannelReputation> r = rep.load();
    if (r) {
      // Now, not the call's Date: a client's clock never moves the counters.
      const std::string caller = e164_of(req.from);
      r->on_call(req, caller, static_cast<int64_t>(std::time(nullptr)), ans);
      r->apply_caller_class(caller, ans, cfg.tag_prefix);
    }
    if (actions) actions->with({ans.action}).inc();
    if (verstats) verstats->with({std::string(stir::verstat_name(v.verstat))}).inc();
    if (seconds)
      seconds->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (ans.action != "allow")
      log::get()->info("call {} -> {}{}{}: {} {} ({})", req.from, req.to, req.call_id.empty() ? "" : " ",
                       req.call_id, ans.action, ans.code, ans.reason);
    done(std::move(ans));
  }

  // The patterns' view of the call (under mu): its assessment, and the call
  // remembered for its end.
  calls::Assessment judge_locked(const CallRequest& req, int64_t now) {
    calls::Call c;
    c.time = req.date ? req.date : now;
    c.caller = req.from;
    c.callee = req.to;
    c.trunk = req.trunk;
    c.source_ip = req.source_ip;
    c.external = req.external;
    calls::Assessment a = patterns.on_invite(c);
    remember(req.call_id, c);
    return a;
  }

  using Step = std::variant<stir::Verdict, stir::Checked>;

  // On the thread that took the request (an HTTP loop): the answer at once
  // when nothing is to be fetched (no Identity, one that fails before its
  // certificate, or one whose x5u chain is in the cache) and the patterns are
  // not busy on another thread (a state save); `done` has run then. Else the
  // Identity's first step is left in `step` for the worker. This saves the
  // two thread hand-offs (to the worker, back to the loop) that cost most of
  // a call's time on a machine with idle cores (bench/README.md, calllat).
  bool answer_now(const CallRequest& req, std::optional<Step>& step, int64_t now,
                  std::chrono::steady_clock::time_point t0, const std::function<void(CallAnswer)>& done) {
    stir::Call sc{.from_tn = req.from, .to_tn = req.to, .date = req.date ? req.date : now};
    step = stir::check_identity(req.identity, sc);
    std::shared_ptr<const std::string> chain;
    if (auto* c = std::get_if<stir::Checked>(&*step)) {
      chain = fetcher->cache().get(c->x5u, now);
      if (!chain) return false;
    }
    calls::Assessment a;
    {
      std::unique_lock lock(mu, std::try_to_lock);
      if (!lock.owns_lock()) return false;
      a = judge_locked(req, now);
    }
    if (auto* v = std::get_if<stir::Verdict>(&*step))
      finish(req, a, *v, t0, done);
    else
      finish(req, a, stir::verify_with_chain(std::get<stir::Checked>(*step), *chain, anchors, sc, &chains),
             t0, done);
    return true;
  }

  // On the worker thread (`step`: check_identity's, done already by answer_now).
  void run(CallRequest req, Step step, std::function<void(CallAnswer)> done, int64_t now,
           std::chrono::steady_clock::time_point t0) {
    calls::Assessment a;
    {
      std::lock_guard lock(mu);
      a = judge_locked(req, now);
    }
    stir::Call sc{.from_tn = req.from, .to_tn = req.to, .date = req.date ? req.date : now};
    if (auto* v = std::get_if<stir::Verdict>(&step)) {
      finish(req, a, *v, t0, done);
      return;
    }
    auto checked = std::make_shared<stir::Checked>(std::move(std::get<stir::Checked>(step)));
    const std::string url = checked->x5u;
    fetcher->fetch(url, now,
                   [this, req = std::move(req), a = std::move(a), checked, sc, t0,
                    done = std::move(done)](Result<std::string> chain) {
                     stir::Verdict v = chain ? stir::verify_with_chain(*checked, *chain, anchors, sc, &chains)
                                             : stir::fetch_failed(chain.error().message);
                     finish(req, a, v, t0, done);
                   });
  }
};

CallService::CallService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CallService::~CallService() {
  impl_->guard.reset();
  impl_->ctx.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->state.save();  // the worker has stopped: nothing else touches the patterns
}

const CallsConfig& CallService::config() const { return impl_->cfg; }

void CallService::set_reputation(std::shared_ptr<ChannelReputation> rep) { impl_->rep.store(std::move(rep)); }

Result<std::unique_ptr<CallService>> CallService::start(CallsConfig cfg, Metrics* metrics) {
  auto anchors = stir::TrustAnchors::load_file(cfg.trust_anchors);
  if (!anchors) return fail(Errc::kConfig, "calls.trust_anchors: " + anchors.error().message);
  auto impl = std::make_unique<Impl>(cfg, std::move(*anchors));
  channels::X5uOptions xo;
  xo.https_ca = cfg.https_ca;
  xo.timeout = std::chrono::milliseconds(cfg.x5u_timeout_ms);
  impl->fetcher = std::make_unique<channels::X5uFetcher>(impl->ctx.get_executor(), xo);
  if (auto st = impl->fetcher->ready(); !st)
    return fail(Errc::kConfig, "calls.https_ca: " + st.error().message);
  if (metrics) {
    impl->actions = &metrics->counter_family("rampart_calls_total",
                                             "Calls assessed (POST /v1/calls), by action.", {"action"});
    impl->verstats = &metrics->counter_family(
        "rampart_calls_verstat_total", "STIR/SHAKEN verification results of assessed calls.", {"verstat"});
    impl->ends = &metrics->counter_family(
        "rampart_calls_ended_total",
        "Call ends reported by the proxy (POST /v1/calls/end): answered, unanswered, or unknown Call-ID.",
        {"result"});
    impl->overflow = &metrics->counter("rampart_calls_overflow_total",
                                       "Calls refused with 503: the assessment queue was full.");
    impl->seconds = &metrics->histogram("rampart_calls_assess_seconds",
                                        "Time from a call's request to its answer (x5u fetch included).",
                                        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1});
  }
  impl->state.load();
  impl->state.schedule();
  Impl* p = impl.get();
  impl->thread = std::thread([p] { p->ctx.run(); });
  log::get()->info("calls: POST /v1/calls with {} trust anchors{}", p->anchors.size(),
                   cfg.reject_failed ? ", failed identities rejected" : "");
  return std::unique_ptr<CallService>(new CallService(std::move(impl)));
}

bool CallService::assess(CallRequest req, std::function<void(CallAnswer)> done) {
  Impl* p = impl_.get();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::optional<Impl::Step> step;
  if (p->answer_now(req, step, now, t0, done)) return true;
  if (p->queued.fetch_add(1, std::memory_order_relaxed) >= p->cfg.max_queue) {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    if (p->overflow) p->overflow->inc();
    return false;
  }
  boost::asio::post(
      p->ctx, [p, req = std::move(req), step = std::move(*step), done = std::move(done), now, t0]() mutable {
        p->queued.fetch_sub(1, std::memory_order_relaxed);
        p->run(std::move(req), std::move(step), std::move(done), now, t0);
      });
  return true;
}

bool CallService::end(CallEnd e, std::function<void(bool)> done) {
  Impl* p = impl_.get();
  // At once on the calling thread unless the patterns are busy (a state save):
  // Kamailio waits for this answer with its worker process held.
  if (auto found = p->end_now(e)) {
    p->count_end(e, *found);
    done(*found);
    return true;
  }
  if (p->queued.fetch_add(1, std::memory_order_relaxed) >= p->cfg.max_queue) {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    if (p->overflow) p->overflow->inc();
    return false;
  }
  boost::asio::post(p->ctx, [p, e = std::move(e), done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    const bool found = p->ended(e, /*wait=*/true).value_or(false);
    p->count_end(e, found);
    done(found);
  });
  return true;
}

bool CallService::incidents(size_t limit, std::function<void(std::string)> done) {
  Impl* p = impl_.get();
  if (p->queued.fetch_add(1, std::memory_order_relaxed) >= p->cfg.max_queue) {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  boost::asio::post(p->ctx, [p, limit, done = std::move(done)] {
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    Json list = Json::array();
    std::unique_lock lock(p->mu);
    for (const auto& i : p->patterns.incidents()) {
      if (list.size() >= limit) break;
      list.push_back({{"key", i.key},
                      {"action", std::string(calls::action_name(i.action))},
                      {"first_seen", i.first_seen},
                      {"last_seen", i.last_seen},
                      {"attempts", i.attempts},
                      {"reasons", i.reasons}});
    }
    lock.unlock();
    Json out = Json::object();
    out["incidents"] = std::move(list);
    done(out.dump(-1, ' ', false, Json::error_handler_t::replace));
  });
  return true;
}

namespace {

size_t incident_limit(const std::string& target) {
  const size_t q = target.find("limit=");
  if (q == std::string::npos) return 100;
  size_t n = 0, i = q + 6;
  while (i < target.size() && target[i] >= '0' && target[i] <= '9' && n < 1000000)
    n = n * 10 + (target[i++] - '0');
  return std::clamp<size_t>(n, 1, 10000);
}

}  // namespace

void add_call_routes(Router& router, std::shared_ptr<CallService> svc) {
  router.add("GET", "/v1/calls/incidents", Right::kRead,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               Executor* loop = current_executor();
               auto reply = [loop, respond](std::string body) {
                 HttpReply rep{200, std::move(body)};
                 if (loop)
                   loop->post([respond, rep = std::move(rep)]() mutable { respond(std::move(rep)); });
                 else
                   respond(std::move(rep));
               };
               if (!svc->incidents(incident_limit(req.target), std::move(reply)))
                 respond(HttpReply{503, error_json("too many calls waiting")});
             });
  router.add("POST", "/v1/calls/end", Right::kCalls,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               const bool form = is_form_body(req);
               auto parsed = form ? parse_call_end_form(req.body) : parse_call_end(req.body);
               if (!parsed) {
                 respond(HttpReply{400, error_json(parsed.error().message)});
                 return;
               }
               Executor* loop = current_executor();
               auto reply = [loop, respond, form](bool found) {
                 HttpReply rep{200, found ? "{\"recorded\": true}" : "{\"recorded\": false}"};
                 if (form) {
                   rep.body = found ? "recorded=true" : "recorded=false";
                   rep.content_type = "application/x-www-form-urlencoded";
                 }
                 if (loop && current_executor() != loop)  // from the worker: back to the loop
                   loop->post([respond, rep = std::move(rep)]() mutable { respond(std::move(rep)); });
                 else
                   respond(std::move(rep));
               };
               if (!svc->end(std::move(*parsed), std::move(reply)))
                 respond(HttpReply{503, error_json("too many calls waiting")});
             });
  router.add("POST", "/v1/calls", Right::kCalls,
             [svc](HttpRequest& req, std::string_view, HttpRespond respond) {
               const bool form = is_form_body(req);
               auto parsed = form ? parse_call_request_form(req.body) : parse_call_request(req.body);
               if (!parsed) {
                 respond(HttpReply{400, error_json(parsed.error().message)});
                 return;
               }
               Executor* loop = current_executor();
               auto reply = [loop, respond, form](CallAnswer a) {
                 HttpReply rep{200, form ? a.to_form() : a.to_json()};
                 if (form) rep.content_type = "application/x-www-form-urlencoded";
                 if (loop && current_executor() != loop)  // from the worker: back to the loop
                   loop->post([respond, rep = std::move(rep)]() mutable { respond(std::move(rep)); });
                 else  // answered at once on the loop (CallService::assess)
                   respond(std::move(rep));
               };
               if (!svc->assess(std::move(*parsed), std::move(reply)))
                 respond(HttpReply{503, error_json("too many calls waiting")});
             });
}

}  // namespace rampart::server
