// File: src/console/sender_history.h
// SenderHistory: daily counters of the senders rampartd decided mail from,
// for the console's Senders page plot (the reputation store keeps decayed
// counters, not their history).
//
//   SenderHistory h;                                   // 10,000 identities, 30 days
//   h.record("ip:192.0.2.1", unix_seconds, SenderOutcome::kFlagged);   // any thread
//   for (const SenderDay& d : h.days("ip:192.0.2.1")) ...             // oldest first
//   std::string text = h.serialize();   h.restore(text);                // <data-dir>/console/senders
//   h.record(sender_history_keys(facts), unix_seconds, outcome);      // every identity of a message
//
// Bounded: at most `max_identities` identities (the one least recently
// active goes first) and `max_days` days each (older days dropped), so
// memory and the saved file stay below about max_identities * max_days * 20
// bytes. A day is a UTC day (unix seconds / 86400). Counters saturate at
// 2^32 - 1. Thread-safe (one mutex; record() is O(log n)).
//
// Saved text (restore() refuses anything else, naming the line):
//   rampart-senders 1
//   IDENTITY DAY:MESSAGES,FLAGGED,REFUSED DAY:... (days ascending, at most max_days)
// IDENTITY is 1-300 bytes of printable ASCII without spaces.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"

namespace rampart::console {

// What rampartd decided for a message: accepted, marked (add_header or
// quarantine), or refused (reject or tempfail).
enum class SenderOutcome { kAccepted, kFlagged, kRefused };

struct SenderDay {
  int64_t day = 0;  // unix seconds / 86400
  uint32_t messages = 0, flagged = 0, refused = 0;
  bool operator==(const SenderDay&) const = default;
};

// What a decided message says about its sender, for sender_history_keys().
struct SenderFacts {
  std::optional<IpAddress> ip;            // the client
  std::string mail_from;                  // envelope sender: an address or a bare domain
  std::string from;                       // RFC 5322 From: an address or a bare domain
  std::vector<std::string> dkim_domains;  // d= of the signatures that verified
  std::string feedback_id;                // the Feedback-ID field (counted only with a verified signature)
};

// The identities whose daily counters a message adds to, in the Senders
// page's (and the reputation store's) spelling, at most 8:
//   ip:<addr>               the client (IPv4-mapped unmapped)
//   net:<prefix>/24 | /64   its network
//   domain:<d>              the MAIL FROM domain and the From domain, lower
//                           case, as claimed (verified or not: a plot of a
//                           forged domain shows what was refused in its name)
//   dkim:<d>                each verified d= (the first 4), lower case
//   fbid:<Feedback-ID>      with a verified signature only (Google requires
//                           it signed; unsigned it is anyone's to claim)
// Values that are not 1-300 bytes of printable ASCII without spaces are left
// out (no key), never an error.
std::vector<std::string> sender_history_keys(const SenderFacts& f);

class SenderHistory {
 public:
  explicit SenderHistory(size_t max_identities = 10000, size_t max_days = 30);
  void record(const std::string& identity, int64_t unix_seconds, SenderOutcome outcome);
  // Each identity once (duplicates ignored), under one lock.
  void record(const std::vector<std::string>& identities, int64_t unix_seconds, SenderOutcome outcome);
  std::vector<SenderDay> days(const std::string& identity) const;
  size_t size() const;
  std::string serialize() const;
  Status restore(std::string_view text);

 private:
  struct Entry {
    std::vector<SenderDay> days;           // ascending
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };
  void touch(std::map<std::string, Entry>::iterator it);
  void record_locked(const std::string& identity, int64_t day, SenderOutcome outcome);
  size_t max_ids_, max_days_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> map_;
  std::list<std::string> lru_;
};

}  // namespace rampart::console
