// File: src/classify/features.h
// Feature extraction for the content classifier: a message (raw email, or the
// text of an SMS / instant message) to a set of hashed binary features, the
// indices of the weights a linear model adds up.
//
//   classify::FeatureOptions opt;                  // bits = 22, ...
//   classify::Extractor ex(opt);
//   std::vector<uint32_t> f;
//   ex.extract(raw_email, classify::Channel::kEmail, f);   // sorted? no: deduplicated
//   ex.extract("WINNER!! call 09061701461", classify::Channel::kSms, f);
//
// Email (through mime::Message): character n-grams over the first
// raw_prefix bytes of the raw message (headers included: the TREC 2007
// winners' feature), the names of the header fields, words of selected
// header fields (From, Reply-To, X-Mailer, Content-Type, List-Id, ...) each
// in its own namespace, subject words and bigrams, words, bigrams and
// character n-grams of the text a mail client shows (Message::display_text:
// decoded, de-HTMLed, one part of each alternative, attachment names), URL
// hosts (A-labels for IDNs) and their
// registered-domain guess (last two labels, three under a two-letter ccTLD
// second level such as co.uk), and structure: part types, attachment types
// and extensions, HTML-only, hidden HTML, sizes and counts (log buckets),
// MIME defects. SMS and IM: character n-grams (case kept: capitals are
// signal), lower-cased words and bigrams, digit-run shapes (phone numbers,
// short codes), URLs, length bucket; with `shapes` the shape of each token
// that has digits, with `stats` the share of capitals and the number of
// digits. A bias feature is always present.
//
// Bounded cost: at most max_message raw bytes go to the MIME parser (with
// tight MessageLimits), n-grams cover raw_prefix / text_prefix bytes, words
// come from the first max_text bytes and at most max_tokens tokens, a token
// longer than max_token_len becomes a length-bucket feature, and at most
// max_features distinct features are kept. So a 100 MB message, a binary
// blob or a 10 MB "word" costs the same bounded time and memory as a few KB.
//
// DIAGNOSTICS: extraction never fails and never throws (bytes are bytes;
// invalid UTF-8 is hashed as it is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::classify {

enum class Channel : uint8_t { kEmail = 0, kSms = 1, kIm = 2 };
std::string_view channel_name(Channel c);
Result<Channel> parse_channel(std::string_view s);

struct FeatureOptions {
  uint32_t bits = 22;      // weight table of 2^bits (16..26)
  uint64_t seed = 0;       // hash family
  uint32_t ngram_min = 4;  // character n-grams, n in [ngram_min, ngram_max] (1..8)
  uint32_t ngram_max = 4;
  uint32_t raw_prefix = 3000;      // email: n-grams over the first bytes of the raw message
  uint32_t text_prefix = 0;        // n-grams over the first bytes of the decoded text
  uint32_t max_text = 16384;       // words from the first bytes of the decoded text
  uint32_t max_tokens = 3000;      // words per message
  uint32_t max_token_len = 40;     // longer tokens: a length-bucket feature
  uint32_t max_features = 16384;   // distinct features per message
  uint32_t max_message = 1 << 20;  // raw bytes handed to the MIME parser
  bool words = true;               // word unigrams
  bool bigrams = true;             // word bigrams
  bool headers = true;             // header names and selected header words (email)
  bool urls = true;                // URL hosts and domains
  bool structure = true;           // part types, attachments, sizes, defects (email)
  bool shapes = false;             // tokens with digits as their shape ("07090201529" -> 99999999999,
                                   // plus its first two digits and length)
  bool stats = false;              // SMS/IM: share of capitals and count of digits (buckets)
};

// "key=value,key=value": bits, seed, ngram (as "4" or "3-5"), raw, text,
// max_text, max_tokens, max_token_len, max_features, max_message, words,
// bigrams, headers, urls, structure, shapes, stats (0/1). Unknown keys are left to the
// caller (returned in `rest`, comma-joined).
Status parse_feature_options(std::string_view spec, FeatureOptions& opt, std::string* rest);
std::string to_string(const FeatureOptions& opt);
Status validate(const FeatureOptions& opt);

class Extractor {
 public:
  explicit Extractor(const FeatureOptions& opt);

  // Replaces `out` with the distinct feature indices of `input` (raw
  // message for kEmail, text otherwise), in first-seen order.
  void extract(std::string_view input, Channel channel, std::vector<uint32_t>& out);

  const FeatureOptions& options() const { return opt_; }

 private:
  FeatureOptions opt_;
  std::vector<uint64_t> seen_;  // deduplication: one bit per index (2^bits), zero between messages
  std::vector<uint32_t> list_;  // the distinct indices so far (max_features + 1)
  std::string scratch_;
};

}  // namespace rampart::classify
