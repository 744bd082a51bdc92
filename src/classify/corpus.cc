// File: src/classify/corpus.cc
// TREC index and TSV corpus readers (corpus.h).
#include "classify/corpus.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/strings.h"

namespace rampart::classify {

Result<CorpusFormat> parse_corpus_format(std::string_view s) {
  if (s == "trec") return CorpusFormat::kTrec;
  if (s == "tsv") return CorpusFormat::kTsv;
  return fail(Errc::kInvalidArgument, "unknown corpus format '" + std::string(s) + "' (trec or tsv)");
}

Result<std::string> read_file_prefix(const std::string& path, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(Errc::kIo, "cannot open " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[65536];
  while (out.size() < max_bytes) {
    const size_t want = std::min(sizeof buf, max_bytes - out.size());
    const size_t n = std::fread(buf, 1, want, f);
    out.append(buf, n);
    if (n < want) break;
  }
  const bool err = std::ferror(f);
  std::fclose(f);
  if (err) return fail(Errc::kIo, "cannot read " + path);
  return out;
}

Result<Corpus> read_corpus(const std::string& path, CorpusFormat format, size_t limit, size_t max_bytes) {
  auto index = read_file_prefix(path, size_t{1} << 30);
  if (!index) return tl::unexpected(index.error());
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  Corpus out;
  std::string_view rest = *index;
  size_t line_no = 0;
  while (!rest.empty() && (limit == 0 || out.size() < limit)) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const size_t sep = format == CorpusFormat::kTsv ? line.find('\t') : line.find_first_of(" \t");
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (sep == std::string_view::npos)
      return fail(Errc::kParse,
                  where + (format == CorpusFormat::kTsv ? "expected label<TAB>text"
                                                        : "expected 'spam PATH' or 'ham PATH'"));
    const std::string_view label = trim(line.substr(0, sep));
    Example e;
    if (iequals(label, "spam")) {
      e.spam = true;
    } else if (!iequals(label, "ham")) {
      return fail(Errc::kParse,
                  where + "label '" + std::string(label.substr(0, 20)) + "' is not ham or spam");
    }
    if (format == CorpusFormat::kTsv) {
      e.text = std::string(line.substr(sep + 1));
    } else {
      const std::string_view p = trim(line.substr(sep + 1));
      if (p.empty()) return fail(Errc::kParse, where + "missing path");
      const std::string file = p.front() == '/' ? std::string(p) : dir + std::string(p);
      auto text = read_file_prefix(file, max_bytes);
      if (!text) return fail(text.error().code, where + text.error().message);
      e.text = std::move(*text);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace rampart::classify
