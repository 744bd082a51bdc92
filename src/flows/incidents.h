// File: src/flows/incidents.h
// IncidentStore: the bot incidents rampartd keeps (issue 15's Zombies page,
// issue 14's bot evidence): one record per incident the detector opened,
// with the evidence that triggered it in words and numbers, the action
// applied and its end, and what an operator did with it. Bounded, persisted.
//
//   auto s = flows::IncidentStore::open(data_dir + "/flows/incidents.jsonl", {.max_incidents = 10000});
//   auto r = (*s)->observe(det_incident, active_action, now_s);   // new or updated
//   (*s)->release(id, "desk", "customer cleaned the PC", now_s);    // kNotFound, kInvalidArgument
//   (*s)->extend(id, 86400, "desk", "still sending", now_s);
//   for (auto& e : (*s)->expire(now_s)) ...;                         // open/extended past `expires`
//   (*s)->save();                                                    // the file, whole, atomically
//
// States: open (the action runs), extended (an operator extended it; it
// runs), released (an operator ended it), expired (its time ran out).
// Only open and extended incidents are "active"; a detector incident of a
// host whose record is active updates that record (score, evidence,
// last_seen), otherwise it makes a new record.
//
// Bounded: at most max_incidents records; when full, the oldest released or
// expired record goes; when every record is active a new one is refused
// (observe() fails kLimit and the caller counts it).
//
// Persistence (a path given): one JSON object per line (incident_to_json),
// rewritten whole on save() (temp file, fsync, rename, fsync of the dir).
// open() reads it back; a line that does not parse fails open() with kParse
// naming file:line (the operator fixes it; nothing is guessed), except a
// torn last line, which is skipped with a warning.
//
// Threads: every method locks (one mutex); the daemon writes from its flow
// thread only and reads from the loops.
//
// DIAGNOSTICS: parse_incident_json and parse_incident_change fail kParse
// (not JSON, not one object, a wrong type, more than kMaxIncidentJson bytes)
// or kInvalidArgument (a reason empty, longer than 200 bytes or with control
// characters; seconds outside 60..max_ttl; an unknown member).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "flows/actions.h"
#include "flows/detector.h"

namespace rampart::flows {

constexpr size_t kMaxIncidentJson = 16384;  // one line of the file, or an API body
constexpr size_t kMaxIncidentReason = 200;

enum class IncidentState : uint8_t { kOpen, kExtended, kReleased, kExpired };
std::string_view incident_state_name(IncidentState s);  // "open", "extended", "released", "expired"
std::optional<IncidentState> parse_incident_state(std::string_view s);

struct IncidentRecord {
  uint64_t id = 0;   // the store's own, never reused (also after a restart)
  std::string host;  // canonical address
  std::string kind;  // subscriber kind: dynamic, static, business
  IncidentState state = IncidentState::kOpen;
  std::string action;                                    // notify, throttle, block (flows::action_name)
  double score = 0;                                      // the highest score seen
  bool probing = false;                                  // the probe model (scans, floods) rather than mail
  int64_t opened = 0;                                    // unix seconds, wall clock, when rampartd opened it
  int64_t updated = 0;                                   // last change (evidence or by hand)
  int64_t expires = 0;                                   // the action's end (unix seconds)
  int64_t first_seen = 0;                                // flow time of the first evidence (unix seconds)
  int64_t last_seen = 0;                                 // flow time of the latest evidence
  std::string summary;                                   // the evidence in words (also the DNS TXT)
  std::vector<std::pair<std::string, double>> evidence;  // the figures, by name
  std::string who, reason;                               // the last change by hand (release, extend)
  uint64_t detector_id = 0;                              // the detector's incident (this run only; not saved)
  bool active() const { return state == IncidentState::kOpen || state == IncidentState::kExtended; }
};

std::string incident_to_json(const IncidentRecord& r);
Result<IncidentRecord> parse_incident_json(std::string_view line);

// The evidence of a detector incident: the figures (nonzero raw figures and
// each model term) and a sentence naming the strongest ones, e.g.
// "port 25: 150 flows to 148 destinations, 100% failed, 148 new in 1 h; score 1.93".
std::vector<std::pair<std::string, double>> incident_figures(const Incident& inc);
std::string incident_summary(const Incident& inc);

// The body of POST /v1/incidents/{id}/release and /extend (and the console's
// forms): {"reason": "...", "seconds": N}; "seconds" only for extend
// (optional: the action's usual TTL), within 60..max_ttl_s.
struct IncidentChange {
  std::string reason;
  int64_t seconds = 0;  // 0: the default
};
Result<IncidentChange> parse_incident_change(std::string_view json, bool extend, int64_t max_ttl_s);

struct IncidentStoreOptions {
  size_t max_incidents = 10000;
};

class IncidentStore {
 public:
  // `path` empty: memory only. The file's directory is created when missing.
  static Result<std::unique_ptr<IncidentStore>> open(const std::string& path, IncidentStoreOptions o = {});

  // A detector incident (new or updated) with the action applied to it.
  // Returns the record and whether it is new (a new record, or one that
  // followed a released/expired one of the host). kLimit when full.
  Result<std::pair<IncidentRecord, bool>> observe(const Incident& inc, const ActiveAction& act, int64_t now);
  // By hand: kNotFound for an unknown id, kInvalidArgument for a record
  // that is not active (released or expired already).
  Result<IncidentRecord> release(uint64_t id, std::string_view who, std::string_view reason, int64_t now);
  // Extends the action to now + seconds (never shortens it).
  Result<IncidentRecord> extend(uint64_t id, int64_t seconds, std::string_view who, std::string_view reason,
                                int64_t now);
  // Active records whose `expires` has passed become expired; returned.
  std::vector<IncidentRecord> expire(int64_t now);

  std::optional<IncidentRecord> find(uint64_t id) const;
  std::vector<IncidentRecord> list() const;  // newest first
  size_t size() const;
  std::map<std::string, size_t> count_by_state() const;
  std::map<std::string, size_t> active_by_action() const;
  uint64_t dropped() const;  // records refused because the store was full

  bool dirty() const;
  // Writes the file whole when anything changed since the last save.
  Status save();

 private:
  IncidentStore() = default;
  bool make_room_locked();

  std::string path_;
  IncidentStoreOptions o_;
  mutable std::mutex mu_;
  std::map<uint64_t, IncidentRecord> by_id_;
  std::map<std::string, uint64_t> active_by_host_;
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0;
  bool dirty_ = false;
};

}  // namespace rampart::flows
