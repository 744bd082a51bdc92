// File: src/auth/dmarc/orgdomain.h
// Organizational Domains (RFC 7489 section 3.2) from the Public Suffix List,
// through libpsl. The list is Debian's `publicsuffix` file
// (/usr/share/publicsuffix/public_suffix_list.dat) loaded with psl_latest(),
// which keeps whichever of that file and libpsl's built-in copy is newer;
// psl_builtin() when the file is missing.
//
//   const dmarc::PublicSuffixList& psl = dmarc::PublicSuffixList::system();
//   psl.organizational_domain("foo.example.co.uk");   // "example.co.uk"
//   psl.organizational_domain("Mail.Example.COM.");   // "example.com"
//   psl.is_public_suffix("co.uk");                    // true
//   auto own = dmarc::PublicSuffixList::from_text("com\n*.ck\n!www.ck\n");  // tests
//
// The RFC 3.2 algorithm: the public suffix is the longest matching rule
// (wildcards and exceptions as the PSL defines them; no match means the "*"
// rule, so an unknown TLD is a public suffix), and the Organizational Domain
// is that suffix plus one label. A name that is itself a public suffix is its
// own Organizational Domain. Names are compared lower-case, without a
// trailing dot.
//
// Cost: each thread keeps the last answers (512 names by hash, names of at
// most 253 bytes, per list) so that a scan's From, MAIL FROM and DKIM d=
// domains, asked again by the reputation check and the store's writer, do
// not go through IDNA and libpsl each time (they were ~7% of a scan's CPU).
//
// DIAGNOSTICS: system() never fails: with no list at all it falls back to the
// "*" rule alone (organizational domain = last two labels) and loaded()
// says false. from_text()/from_file() return Errc::kParse / Errc::kIo.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rampart::dmarc {

constexpr std::string_view kDebianPslPath = "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
 public:
  // The process-wide list (Debian file or libpsl built-in), loaded once.
  static const PublicSuffixList& system();
  static Result<PublicSuffixList> from_file(const std::string& path);
  // A list in the PSL file format (one rule a line, "//" comments).
  static Result<PublicSuffixList> from_text(std::string_view text);

  PublicSuffixList(PublicSuffixList&&) noexcept;
  PublicSuffixList& operator=(PublicSuffixList&&) noexcept;
  ~PublicSuffixList();

  // RFC 7489 3.2; lower-case, no trailing dot; empty for an empty name.
  std::string organizational_domain(std::string_view domain) const;
  bool is_public_suffix(std::string_view domain) const;
  // True when a real list is loaded (not the bare "*" fallback).
  bool loaded() const;
  // Where the list came from: a path, "builtin" or "none".
  const std::string& source() const { return source_; }

 private:
  struct Ctx;
  PublicSuffixList(std::unique_ptr<Ctx> ctx, std::string source);
  std::string organizational_domain_uncached(std::string_view domain) const;
  std::unique_ptr<Ctx> ctx_;
  std::string source_;
  uint64_t id_ = 0;  // unique per list: the threads' cached answers are per list
};

// Lower-cases `domain` and removes one trailing dot.
std::string normalize_domain(std::string_view domain);

}  // namespace rampart::dmarc
