// File: src/dns/name.h
// Domain-name helpers shared by the dns module. Every name in this module is
// in presentation form (RFC 1035 5.1: labels separated by '.', `\X` and
// `\DDD` escapes). Its canonical spelling, the one every Answer, Zone and
// cache key uses: lower-case, no trailing dot, octets 0x21..0x7E other than
// '.' and '\' as themselves, every other octet (space, control, 8-bit, a dot
// or backslash inside a label) as \DDD.
//
//   std::string n = dns::normalize_name("Mail.Example.COM.");  // "mail.example.com"
//   dns::normalize_name("foo\\058bar/x.example");              // "foo:bar/x.example"
//   dns::normalize_name("a b.example");                         // "a\\032b.example"
//   if (!dns::valid_name(n)) ...                    // labels 1..63 octets, name <= 253
//   dns::parent_name("a.b.c") == "b.c";  dns::parent_name("c") == "";
//   dns::text_to_name("a\\b.example")  // "a\\092b.example": text whose only
//                                      // structure is its dots (SPF domain-specs)
//
// The empty string is the root. Names without escapes, spaces or 8-bit octets
// (nearly all) take a fast path that only lower-cases.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::dns {

constexpr size_t kMaxNameText = 253;  // octets of the name without trailing dot
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxWireName = 255;  // wire form, length octets included
// Longest canonical spelling of a valid name (every octet as \DDD).
constexpr size_t kMaxNameCanonical = 4 * kMaxNameText;

// Canonical spelling (see above) without one trailing dot.
std::string normalize_name(std::string_view name);

// normalize_name into `buf` (`cap` bytes). Returns the view, or an empty
// view with *ok=false when the canonical spelling does not fit.
std::string_view normalize_into(std::string_view name, char* buf, size_t cap, bool* ok);

// True when every label is 1..63 octets and the whole is at most 253 octets,
// escapes decoded. The root ("" or ".") is valid.
bool valid_name(std::string_view name);

// The labels of a presentation-form name as raw octets (escapes decoded,
// case kept), or nullopt when the name is not valid_name(). Root: empty.
std::optional<std::vector<std::string>> name_labels(std::string_view name);

// Presentation form of raw text in which only the dots have meaning (a
// backslash in it is an octet, not an escape).
std::string text_to_name(std::string_view text);

// Appends one raw octet in canonical spelling (lower-cased).
void append_canonical_octet(std::string& out, unsigned char c);

// The name with its first label removed; "" for a single label or root.
std::string_view parent_name(std::string_view name);

}  // namespace rampart::dns
