// File: src/channels/messages.h
// SMS and instant messages: a verdict per message from the sender's recent
// behaviour on its channel, near-duplicate texts sent to many recipients, and
// the URLs and phone numbers that complaints named (issue 16).
//
//   messages::Checker ck;
//   auto m = messages::parse_message(R"({"channel": "sms", "sender": "+12025550100",
//                                        "recipients": ["+12025550199"], "text": "...", "time":
//                                        1796601600})");
//   messages::Verdict v = ck.check(*m);           // action, score, symbols with reasons
//   ck.complaint(report);                         // a "report spam" (GSMA 7726 forward) about a message
//
// Per (channel, sender), over the last `window_s`: messages, distinct
// recipients, the share of recipients who never wrote back (a reply is a
// message from a recipient to the sender), and complaints. Texts are
// normalised (case, digits, punctuation, spacing) and fingerprinted with a
// 64-bit SimHash of character 4-grams; two texts within `near_bits` differing
// bits count as the same text, found through four 16-bit bands (a match
// shares at least one band exactly when they differ in at most 3 bits; up
// to near_bits when the differing bits spread). A text seen by
// `bulk_recipients` distinct recipients in the window is bulk; from more
// than one sender (this one writing to 5 or more people) it is a campaign.
// Texts under 40 normalised bytes are not fingerprinted (chit-chat repeats). URLs (their host) and phone
// numbers found in texts that were complained about are remembered: another message carrying them gets a
// symbol.
//
// Symbols (score): SENDER_FANOUT (3), SENDER_VOLUME (2), SENDER_UNANSWERED (2),
// SENDER_COMPLAINED (4), TEXT_BULK (3), TEXT_CAMPAIGN (4),
// URL_REPORTED (5), PHONE_REPORTED (4), SENDER_NOT_A_NUMBER (1).
// Action: block at score >= 8, tag at >= 4, else allow.
//
// Bounds: `max_senders` senders and `max_texts` fingerprints (oldest go),
// 256 recipients remembered per sender and per text, 100 recipients and 4 KiB
// of text per message, 64 URLs/numbers per message. Not thread-safe: one
// Checker per thread (rampartd: one worker).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::channels::messages {

enum class Channel : uint8_t { kSms, kIm };
std::string_view channel_name(Channel c);

inline constexpr size_t kMaxRecipients = 100;
inline constexpr size_t kMaxTextBytes = 4096;
inline constexpr size_t kMaxMessageJson = 64 * 1024;

struct Message {
  Channel channel = Channel::kSms;
  std::string sender;  // E.164, short code, account id or IP
  std::vector<std::string> recipients;
  std::string text;
  int64_t time = 0;  // unix seconds; 0: now
};

// One JSON object: {"channel": "sms"|"im", "sender": "...", "recipients":
// ["..."], "text": "...", "time": unix seconds (optional)}. Unknown fields,
// wrong types, an empty sender, no recipient, more than 100 recipients or
// over 4 KiB of text are errors naming the field.
Result<Message> parse_message(std::string_view json);

// A complaint: a recipient reports a message as spam (a "report spam" button,
// or the GSMA 7726 convention: the subscriber forwards the spam SMS to 7726
// and then sends the spammer's number).
struct Complaint {
  Channel channel = Channel::kSms;
  std::string sender;  // the reported sender
  std::string text;    // the reported text ("" when unknown)
  int64_t time = 0;
};
Result<Complaint> parse_complaint(std::string_view json);

struct Symbol {
  std::string name;
  double score = 0;
  std::string reason;
};

struct Verdict {
  std::string action;  // "allow", "tag", "block"
  double score = 0;
  std::vector<Symbol> symbols;
  std::string to_json() const;
};

// The action of a total score: block at >= 8, tag at >= 4, else allow.
std::string_view action_for(double score);

struct Options {
  int64_t window_s = 3600;
  uint32_t fanout_recipients = 50;  // distinct recipients of one sender in the window
  uint32_t volume_messages = 200;   // messages of one sender in the window
  uint32_t unanswered_min = 20;     // recipients before the unanswered share counts
  double unanswered_share = 0.95;   // of them never wrote back
  uint32_t bulk_recipients = 20;    // distinct recipients of one near-duplicate text
  int near_bits = 3;                // SimHash distance of near duplicates
  size_t max_senders = 200000;
  size_t max_texts = 200000;
};

// Normalised text (lowercase ASCII, digits as '0', runs of anything else
// as one space) and its 64-bit SimHash over character 4-grams.
std::string normalise(std::string_view text);
uint64_t simhash(std::string_view normalised);
// URLs' hosts (lowercase, "www." kept) and phone numbers (7-15 digits,
// separators allowed) in a text.
std::vector<std::string> url_hosts(std::string_view text);
std::vector<std::string> phone_numbers(std::string_view text);

class Checker {
 public:
  explicit Checker(Options opt = {});
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  Verdict check(const Message& m, int64_t now);
  void complaint(const Complaint& c, int64_t now);
  size_t senders() const;
  size_t texts() const;

  // The state as text, to survive a restart (rampartd writes it with
  // core/file.h): one JSON object a line: senders (least recent first) with
  // their message times, recipients and complaints inside the window at
  // `now`; texts with their recipients and senders; the URL hosts and phone
  // numbers named in complaints. load_state() adds them; lines that do not
  // parse are skipped and counted in `skipped`; the bounds hold. The number
  // of entries loaded.
  std::string save_state(int64_t now) const;

  // The senders' classes per channel, as the reputation of mail senders
  // (GET /v1/messages/senders): from the window at `now`, "complained" (spam
  // reports), "bulk" (the SENDER_FANOUT or SENDER_VOLUME thresholds),
  // "unanswered" (SENDER_UNANSWERED), or "normal" (left out). Most recent
  // first, at most `limit`.
  struct SenderClass {
    Channel channel = Channel::kSms;
    std::string sender, cls;
    size_t messages = 0, recipients = 0, unanswered = 0, complaints = 0;
  };
  std::vector<SenderClass> sender_classes(int64_t now, size_t limit) const;
  size_t load_state(std::string_view text, int64_t now, size_t* skipped = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::channels::messages
