// File: src/classify/cues.h
// A fixed prior for short texts (SMS, IM) before the model has learned
// anything: the cues the SMS-spam literature names as typical of spam
// (a URL, a phone number, a short code, money, a call to action, shouting),
// read from the text and added up with hand-set weights. The SMS/IM
// ensemble (model.h, `prior=1`) adds cue_prior(text) * 100 / (100 + n) to
// its log-odds, n the messages it has learned: it speaks on a fresh model
// (the TREC protocol starts empty, so does a new rampartd) and fades as
// the model learns (1.8% of it left after the SMS Spam Collection).
//
//   classify::Cues c = classify::read_cues("WINNER!! Call 09061701461 to claim your £900 prize");
//   // c.phone, c.money (£, prize), c.calls_to_action 3 (winner, call, claim), c.url false
//   double m = classify::cue_prior("ok see you at 8");   // -2: no cue, leans ham
//
// Cues (a token is a run of ASCII letters, digits and '_'):
// - url: "http://", "https://" or "www." (any case), or a token ".com",
//   ".net", ".org", ".biz", ".info" or ".co.uk" after a dot, ending there;
// - phone: 10 or more characters of digits and spaces, starting and ending
//   with a digit (a number written in groups counts);
// - short_code: a token of 4 to 6 digits;
// - money: "£", "$" or "€", a token of digits ending in "p" ("150p"), or
//   the words pound(s), cash, prize;
// - calls_to_action: the words call, txt, text, reply, claim, send, win, won,
//   winner, free, offer, stop, urgent, collect, guaranteed, award(ed),
//   mobile, landline and those starting with "subscri", counted up to 3;
// - shouting: more than 20 ASCII letters, over half of them capitals.
// prior = -2 + 2 url + 2.5 phone + 1.5 short_code + 1.5 money
//         + 1 calls_to_action + 0.5 shouting.
// The weights are set by hand, not learned from a corpus, and were checked
// on the first half of the SMS Spam Collection only (README.md). Bytes are
// bytes (invalid UTF-8 is read as it is); cost linear in the text, no
// allocation, never fails.
#pragma once

#include <cstdint>
#include <string_view>

namespace rampart::classify {

struct Cues {
  bool url = false;
  bool phone = false;
  bool short_code = false;
  bool money = false;
  uint32_t calls_to_action = 0;  // 0..3
  bool shouting = false;
};

Cues read_cues(std::string_view text);
// The prior's log-odds of spam for the text (above).
double cue_prior(std::string_view text);
double cue_prior(const Cues& c);

}  // namespace rampart::classify
