// File: src/classify/corpus.h
// Labelled corpora for training and the TREC-protocol evaluation.
//
//   auto c = classify::read_corpus("trec/index", classify::CorpusFormat::kTrec);   // Result<Corpus>
//   for (const classify::Example& e : *c) use(e.spam, e.text);
//
// Formats:
// - kTrec: an index file of lines "spam PATH" or "ham PATH" (any case), PATH
//   relative to the index's directory, each file one raw message (an mbox
//   "From " first line is tolerated: the features skip it).
// - kTsv: lines "ham<TAB>text" or "spam<TAB>text" (the SMS Spam Collection).
// Examples keep the order of the file. Empty lines are skipped; a CR before
// the LF is dropped.
//
// DIAGNOSTICS: Errc::kIo for an unreadable index or message file, Errc::kParse
// for a line that is not "label<SP|TAB>rest" with label ham or spam (the
// error names the line number). A message file larger than max_bytes is read
// up to max_bytes (features only look at a bounded prefix anyway).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::classify {

enum class CorpusFormat : uint8_t { kTrec, kTsv };
Result<CorpusFormat> parse_corpus_format(std::string_view s);

struct Example {
  bool spam = false;
  std::string text;
};
using Corpus = std::vector<Example>;

// `limit` > 0: stop after that many examples.
Result<Corpus> read_corpus(const std::string& path, CorpusFormat format, size_t limit = 0,
                           size_t max_bytes = 16u << 20);

// Reads at most max_bytes of a file.
Result<std::string> read_file_prefix(const std::string& path, size_t max_bytes);

}  // namespace rampart::classify
