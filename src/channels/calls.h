// File: src/channels/calls.h
// Call patterns: robocalls and spoofed caller IDs from the calls themselves,
// per caller, per trunk and per originating network, from live SIP signalling
// (an INVITE now, its end later) or from CDR files.
//
//   calls::CallPatterns p(opts);
//   calls::Assessment a = p.on_invite(call);   // before the call is put through
//   p.on_end(call);                            // answered? how long? (feeds the ratios)
//   for (auto& i : p.incidents()) ...          // keys flagged, with their evidence
//
// Per key (caller number, trunk, /24 or /64 of the source address) the recent
// attempts within `window_s` are kept: attempts per minute, distinct callees
// in the last minute, the answer-seizure ratio (answered / ended attempts),
// the short-call ratio (answered calls shorter than `short_call_s`), and
// sequential dialling (successive callees a few numbers apart). Each INVITE
// is also checked on its own: a caller ID that is no number at all or equal
// to the callee is blocked; one that breaks E.164/NANP rules is tagged
// (blocked from a source sending many, or in a flood at one callee); one of
// the provider's own ranges arriving from outside (spoofed, or ported out) is
// tagged; a withheld caller ID ("anonymous") is not judged. Waves spread over
// many caller IDs are judged per source (neighbour spoofing), per own number
// block and source address (toll fraud over a PBX's extensions) and per
// caller country (Wangiri).
//
// Fraud from our own side (Call::external = false): toll fraud (IRSF) per own
// caller (international callees, country codes, long answered calls, against
// its own history; night and weekend a sign; a block bars its international
// calls for `toll_bar_s`), and a source on our side rotating caller IDs
// outside our ranges (a hosted dialer on stolen SIP credentials).
//
// Decisions: kBlock (603/607 at the SBC), kTag (let through, marked), kAllow;
// every decision carries the reasons that moved it. Bounds: 4,096 attempts per
// key, `max_keys` keys (the least recently used go).
//
// Not thread-safe: one CallPatterns per event loop or behind the caller's lock.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace rampart::channels::calls {

struct Call {
  int64_t time = 0;  // unix seconds of the INVITE
  std::string caller, callee;
  std::string trunk;      // ingress trunk or peer ("" when unknown)
  std::string source_ip;  // the INVITE's source address ("" when unknown)
  bool external = true;   // arrived from outside the provider's network
  // Known at the end of the call (on_end): answered and for how long.
  bool answered = false;
  int64_t duration_s = -1;
};

enum class Action : uint8_t { kAllow, kTag, kBlock };

struct Options {
  int64_t window_s = 600;
  int64_t short_call_s = 6;
  std::vector<std::string> own_ranges;  // digit prefixes of the provider's own numbers
  // One of them arriving from outside: spoofed, or a number ported out to
  // another network (its subscriber calling in). Tagged unless the provider
  // knows it has no ported-out numbers in those ranges (kBlock).
  Action own_range_action = Action::kTag;
  // Numbers written in national or international-dialling form, as CDRs and
  // SIP signalling often carry them: "00" + E.164 and, with a country code,
  // "0" + national number (ITU-T E.164 / E.123 conventions; "0" and "00"
  // are the prefixes of most countries, NANP has none). Without a country
  // code a national-form number is not judged valid or invalid.
  std::string country_code;           // digits: "44", "49", "1"; empty: unknown
  std::string national_prefix = "0";  // trunk prefix of national numbers
  std::string international_prefix = "00";
  // "011" read as an international prefix too (the NANP's): CallPatterns
  // sets it when our country code (or the one all own ranges share) is +1.
  bool nanp_international_prefix = false;
  // NANP national forms (NANPA dialling plan): a ten-digit NPA-NXX-XXXX (N =
  // 2-9), dialled without "+" or "1", is +1 + those digits; "1" + the ten
  // digits is +1 already. CallPatterns sets it when our country code (or the
  // one all own ranges share) is +1: without it "404 327 1484" would read as a
  // number of country code +40.
  bool nanp_national = false;
  size_t max_keys = 200000;
  // Thresholds (per key, over the last minute unless said).
  uint32_t block_distinct_per_min = 30;  // distinct callees in 60 s: block (tag when healthy, below)
  uint32_t judge_min_ended = 10;         // ended calls without a ratio sign: volume alone only tags
  uint32_t tag_distinct_per_min = 10;    // ... with one other sign: block; alone: tag
  double sequential_share = 0.5;         // of successive callees 1-10 numbers apart (>= 8 calls)
  double short_call_share = 0.6;         // of answered calls (>= 5 answered in the window)
  double low_asr = 0.2;                  // answered / ended (>= 10 ended in the window)
  // A low answer rate whose answered calls last this long (half of them, at
  // least 2) is a call centre's: it tags, it does not block.
  int64_t conversation_s = 30;
  // A source (trunk, /24 or /64) sending this many caller IDs that are not
  // valid numbers in the window: they are blocked (one alone is tagged).
  uint32_t invalid_cli_source_min = 10;
  double invalid_cli_source_share = 0.1;  // ... and this share of its calls in the window
  // Neighbour spoofing: a caller ID from outside equal to the callee's
  // number but for its last `neighbour_free_digits`; to this many distinct
  // callees from one source in the window: they are tagged.
  size_t neighbour_free_digits = 5;
  uint32_t neighbour_wave_min = 10;
  // ... blocked when the wave's ended calls (at least `judge_min_ended`)
  // are under `low_asr` answered, or under half answered and most of the
  // answered ones shorter than `conversation_s` (a known caller's tagged).
  // Off: on blind10's VoIP provider it blocked 15+ real neighbours' calls
  // (new callers, no conversation before) on an interconnect carrying a wave.
  bool neighbour_block = false;
  // TDoS: a flood at one number (calls from outside): this many calls in
  // the window, most ended ones unanswered, from this share of distinct
  // caller IDs; the calls of a source that sent `tdos_source_min` of them
  // are blocked (but for callers with answered conversations before), the
  // others tagged.
  uint32_t tdos_calls = 100;
  double tdos_distinct_share = 0.8;
  uint32_t tdos_source_min = 20;
  // Robocalling sustained over hours by one caller ID (below the window's
  // rates): over its ended calls of the last `slow_horizon_s`, at least
  // `slow_min_calls`, `slow_fresh_share` of them to callees new to it, under
  // `low_asr` answered, at most half of the answered ones `conversation_s`
  // or longer: blocked. 0 turns it off.
  uint32_t slow_min_calls = 100;
  double slow_fresh_share = 0.8;
  int64_t slow_horizon_s = 86400;
  // ... the block holds on a path (from our side the source /24 or /64, from
  // outside the trunk) that carried this share of the caller's calls over
  // the horizon; the caller ID's calls by other paths are tagged (a dialer
  // presenting a subscriber's number: the subscriber's own calls). 0: every
  // path.
  double slow_path_share = 0.25;
  // Wangiri: calls from one foreign country code to this many distinct
  // callees in the window, at least as many ended, under `wangiri_asr`
  // answered: the country's calls are tagged; its callers that rang two
  // other callees unanswered in the window are blocked.
  uint32_t wangiri_callees = 10;
  double wangiri_asr = 0.1;
  // Toll fraud (International Revenue Share Fraud, IRSF) placed by one of
  // our own callers (external = false: a hacked PBX, stolen SIP credentials):
  // a burst of calls to many international destinations, often premium or
  // high-cost ranges, answered and long, at night or at the weekend (CFCA
  // Global Fraud Loss Survey; GSMA FF.21 fraud manual). Over `window_s`, per
  // own caller: distinct international callees and country codes, their share
  // of the caller's calls, answered calls to them lasting `toll_long_call_s`,
  // against the caller's own earlier international calls. International: a
  // callee whose country code is not ours (`country_code`, else the one all
  // `own_ranges` share; unknown: a callee dialled with the international prefix).
  uint32_t toll_tag_destinations = 10;    // distinct international callees: tag
  uint32_t toll_block_destinations = 20;  // ... block; from tag on with two more signs
  double toll_share = 0.5;                // of the caller's calls in the window
  uint32_t toll_countries = 3;            // distinct country codes: a sign
  int64_t toll_long_call_s = 180;         // answered international calls this long: a sign (>= 2)
  // IRSF "pumping": a few premium numbers called again and again, each call
  // long (the CFCA survey, GSMA FF.21: revenue comes by the minute, so a
  // hacked PBX or account holds long calls to the same ranges for hours).
  // This many answered international calls of `toll_long_call_s` or more in
  // the window, with two numbers or more each held that long three times or
  // more (within `slow_horizon_s`, the last in the window), stand in for
  // `toll_tag_destinations` and are strong on their own (the share and
  // history conditions still hold); the block then holds those numbers'
  // country codes. 0 turns it off.
  uint32_t toll_pump_long = 4;
  double toll_history_factor = 4;  // times the caller's own earlier rate
  // Only calls to the burst's destinations are blocked: a country code the
  // key dialled this many times in the window (its other international
  // calls meanwhile are tagged); a block bars calls to that country code
  // for `toll_bar_s`, not the key's other international calls.
  uint32_t toll_burst_calls = 2;
  int64_t toll_bar_s = 86400;  // a block bars the key's calls to the burst's country codes this long
  // An own number block (`own_ranges` of at most 10,000 numbers: a PBX's
  // extensions) is judged as one caller; its block stops the calls of a
  // source (/24, /64) with this many international calls in the window.
  uint32_t toll_source_min = 3;
  // From our side (external = false), one source (/24, /64) presenting this
  // many caller IDs outside `own_ranges` in the window, half its calls or
  // more, with a robocall sign: those calls are blocked (a hosted dialer).
  uint32_t cli_foreign_min = 10;
  int64_t utc_offset_min = 0;  // local time for night (22-06 h) and the weekend: a sign
};

// The country code of an E.164 number (digits, no "+"): its 1, 2 or 3
// leading digits as ITU-T E.164's list assigns them; "" when it has none.
std::string_view country_code_of(std::string_view e164);

std::string_view action_name(Action a);

struct Assessment {
  Action action = Action::kAllow;
  std::vector<std::string> reasons;
  // The caller ID looks spoofed but the CDR alone is no proof: one of our
  // own ranges arriving from outside (or a number ported out), or a call of
  // a neighbour-spoofing wave. A failed STIR Identity on the call (or none
  // where every call carries one) makes it strong evidence (server/calls_api.h).
  bool spoofed = false;
};

struct Incident {
  std::string key;  // "caller:+12025550100", "trunk:carrier-a", "net:198.51.100.0/24"
  Action action = Action::kAllow;
  int64_t first_seen = 0, last_seen = 0;
  uint64_t attempts = 0;
  std::vector<std::string> reasons;  // of the strongest decision
};

// Digits only, with a leading '+' kept out; "" when there are none.
std::string number_digits(std::string_view tn);
// `digits` (number_digits) in international form (E.164 digits, no "+"):
// the international prefix stripped, the national prefix replaced by the
// country code; empty when it is in national form and no country code is
// known (or when `digits` is empty). `plus` is true when the number was
// written with a leading "+" (then it is international already).
std::string e164_digits(std::string_view digits, bool plus, const Options& o);
// E.164 validity (ITU-T E.164: 8-15 digits with the country code; for +1
// the NANP: NPA and NXX start with 2-9, NPA not N11, 11 digits).
bool valid_e164(std::string_view digits);
// A withheld caller ID (presentation restricted): "anonymous" (RFC 3323's
// sip:anonymous@anonymous.invalid), "Restricted", "Private", "Withheld",
// "Unavailable", "Unknown", case ignored. Not judged as a number.
bool withheld_caller_id(std::string_view tn);

class CallPatterns {
 public:
  explicit CallPatterns(Options opt = {});
  ~CallPatterns();
  CallPatterns(const CallPatterns&) = delete;
  CallPatterns& operator=(const CallPatterns&) = delete;

  Assessment on_invite(const Call& c);
  void on_end(const Call& c);
  // Keys whose decision was tag or block at least once, strongest first.
  std::vector<Incident> incidents() const;
  size_t keys() const;
  // True when every key's running counts (kept as attempts come, end and
  // leave the window) equal a recount of its attempts: for tests and fuzzing.
  bool tallies_consistent() const;

  // The state as text, to survive a restart (rampartd writes it with
  // core/file.h): one JSON object a line, the keys least recently used
  // first, each with its attempts still inside the window at `now` and its
  // incident. Keys whose attempts all left the window and that were never
  // flagged are left out.
  std::string save_state(int64_t now) const;
  // Adds the keys of save_state()'s text (the current keys stay; a key in
  // both is replaced). Lines that do not parse are skipped and counted in
  // `skipped`; attempts outside the window at `now` are dropped; the bounds
  // (max_keys, 4,096 attempts, 32 reasons of 512 bytes) hold. The number of
  // keys loaded.
  size_t load_state(std::string_view text, int64_t now, size_t* skipped = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// CDR files. `csv`: a header line names the columns (any order, case
// ignored): time|start|start_time|calldate (unix seconds or
// "YYYY-MM-DD HH:MM:SS" UTC), caller|src|from|clid, callee|dst|to,
// duration|billsec, disposition|status (ANSWERED / NO ANSWER / BUSY / FAILED,
// or a SIP code: 200 is answered), trunk|channel, ip|source_ip|src_ip,
// external (0/1). `asterisk`: Asterisk's Master.csv without a header.
// Quoted fields ("a,b", "" for a quote) as RFC 4180. Lines over 8 KiB or
// without caller/callee/time are skipped and counted.
enum class CdrFormat : uint8_t { kCsv, kAsterisk };
struct CdrReader {
  CdrFormat format = CdrFormat::kCsv;
  uint64_t skipped = 0;
  std::string first_error;
  // One line; nullopt for the header, a blank line or a skipped line.
  std::optional<Call> line(std::string_view text);

 private:
  std::vector<int> columns_;  // field index per column kind, -1 absent
  bool have_header_ = false;
};

}  // namespace rampart::channels::calls
