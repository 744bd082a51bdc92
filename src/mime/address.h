// File: src/mime/address.h
// RFC 5322 address parsing (section 3.4 with the obsolete syntax of 4.4):
// mailbox, name-addr, angle-addr, addr-spec, display names with quoted
// strings and comments, group syntax, obs-route, mailbox-list, address-list.
//
//   auto mb = mime::parse_mailbox("\"Doe, John\" <John.Doe@Example.COM>");
//   if (mb) { mb->local_part;   // "John.Doe"
//             mb->domain;       // "example.com" (lower-case; A-labels: "xn--bcher-kva.example")
//             mb->addr_spec();  // "John.Doe@example.com"
//             mb->display_name; } // "Doe, John"
//   auto list = mime::parse_address_list(to_field.value());
//   for (const mime::Address& a : *list) for (const mime::Mailbox& m : a.mailboxes) ...
//
// Input is a field body, folded or not (CR and LF count as whitespace).
// Comments are skipped (nested up to kMaxCommentDepth, counted, not recursed).
// Display names are decoded (quotes removed, quoted-pairs resolved, words
// joined by one space); RFC 2047 encoded words are left as they are. Quoted
// local-parts are decoded; addr_spec() quotes them again when needed. Bytes
// >= 0x80 are accepted as atext (RFC 6532); a domain holding them is an IDN,
// converted to A-labels with UTS #46 (idna.h; display_domain() converts back).
// Obsolete syntax accepted: phrases
// with dots ("John Q. Public"), CFWS around the dots of local-parts and
// domains, obs-route ("<@a,@b:user@c>", route kept in Mailbox::route), empty
// list elements ("a@b,,c@d"), and quoted-strings containing controls.
//
// DIAGNOSTICS: malformed input gives Errc::kParse with a message that says
// what was expected and at which byte offset; comment nesting deeper than
// kMaxCommentDepth or more than kMaxAddresses addresses gives Errc::kLimit; an
// IDN that UTS #46 rejects (invalid UTF-8, disallowed code points, bad bidi)
// gives Errc::kParse "invalid internationalised domain name "...": reason".
// Work is linear in the input; no recursion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::mime {

constexpr size_t kMaxCommentDepth = 64;
constexpr size_t kMaxAddresses = 10000;

struct Mailbox {
  std::string display_name;  // decoded phrase; empty for a bare addr-spec
  std::string local_part;    // decoded (no quotes, no backslashes)
  std::string domain;        // lower-case ASCII, A-labels for IDNs (idna.h); "[192.0.2.1]" for a literal
  bool domain_literal = false;
  std::vector<std::string> route;  // obs-route domains, lower-case

  // "local@domain", quoting the local-part when it is not a dot-atom.
  std::string addr_spec() const;
  // The domain with U-labels, for display ("b\u00fccher.example").
  std::string display_domain() const;
};

// One element of an address-list: a single mailbox, or a group
// ("Friends: a@x, b@y;") with zero or more mailboxes.
struct Address {
  bool is_group = false;
  std::string group_name;          // decoded display-name of the group
  std::vector<Mailbox> mailboxes;  // exactly one unless is_group
};

// addr-spec alone ("local@domain", surrounding CFWS allowed).
Result<Mailbox> parse_addr_spec(std::string_view text);
// Exactly one mailbox (Sender:, Resent-Sender:).
Result<Mailbox> parse_mailbox(std::string_view text);
// mailbox-list (From:, Resent-From:); groups are a parse error here.
Result<std::vector<Mailbox>> parse_mailbox_list(std::string_view text);
// address-list (To:, Cc:, Reply-To:); groups allowed.
Result<std::vector<Address>> parse_address_list(std::string_view text);

// True when `s` is a dot-atom-text (RFC 5322 3.2.3), so needs no quoting.
bool is_dot_atom(std::string_view s);

}  // namespace rampart::mime
