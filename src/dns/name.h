// File: src/dns/name.h
// Domain-name helpers shared by the dns module: normalisation to the form
// every Answer uses (lower-case, no trailing dot) and validity checks.
//
//   std::string n = dns::normalize_name("Mail.Example.COM.");  // "mail.example.com"
//   if (!dns::valid_name(n)) ...                               // labels <= 63, name <= 253
//   dns::parent_name("a.b.c") == "b.c";  dns::parent_name("c") == "";
//
// The empty string is the root. No allocation except normalize_name's result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rampart::dns {

constexpr size_t kMaxNameText = 253;  // presentation form, without trailing dot
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxWireName = 255;  // wire form, length octets included

// Lower-case copy without one trailing dot.
std::string normalize_name(std::string_view name);

// Lower-cases `name` (minus one trailing dot) into `buf` (at least
// kMaxNameText + 1 bytes). Returns the view, or an empty view with *ok=false
// when the name is too long to be valid.
std::string_view normalize_into(std::string_view name, char* buf, size_t cap, bool* ok);

// True when every label is 1..63 octets and the whole is at most 253 octets.
// The root ("" or ".") is valid.
bool valid_name(std::string_view name);

// The name with its first label removed; "" for a single label or root.
std::string_view parent_name(std::string_view name);

}  // namespace rampart::dns
