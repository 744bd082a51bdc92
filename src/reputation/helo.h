// File: src/reputation/helo.h
// What a client's HELO/EHLO name says about it. A mail server names itself
// by its fully qualified domain name (RFC 5321 4.1.1.1, 2.3.5); a botnet PC
// sends its Windows machine name ("DESKTOP-1A2B3C"), "localhost", an address
// literal, or the ISP's generic name for a dynamic address. The HELO is a
// claim, never an identity (event.h); how often an identity's mail comes
// with a bad one is a counter (Metric::kBadHelo) and a feature of the model
// (classify.h).
//
//   reputation::HeloKind k = reputation::classify_helo("DESKTOP-1A2B3C", ip);  // kNoDot
//   if (reputation::is_bad_helo(k)) ...
//
// Kinds, checked in this order:
//   kEmpty     nothing (or only white space)
//   kLiteral   an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]") or a bare address
//   kLocalhost "localhost", "localhost.localdomain", "localhost.<anything>"
//   kNoDot     one label: a machine name ("DESKTOP-1A2B3C", "WIN-AB12", "mypc")
//   kLocalTld  a name under a private-use suffix (.local, .lan, .home, .localdomain,
//              .internal, .localnet, .workgroup, .intranet, .corp, .invalid, .domain,
//              .router)
//   kGeneric   a dynamic-looking name: it embeds the client's address (its four
//              octets in order, decimal or hex, e.g. "100-64-3-7.dyn.example",
//              "c0000207.example"), or its first label holds four numeric groups
//              ("host-1-2-3-4.example")
//   kFqdn      anything else
// Pure; total: any input gives a kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/ip.h"

namespace rampart::reputation {

enum class HeloKind : uint8_t { kFqdn, kEmpty, kLiteral, kLocalhost, kNoDot, kLocalTld, kGeneric };
std::string_view helo_kind_name(HeloKind k);  // "fqdn", "empty", "literal", ...

HeloKind classify_helo(std::string_view helo, const std::optional<IpAddress>& client = std::nullopt);
// Every kind but kFqdn and kEmpty: an event without a HELO (an HTTP scan
// that did not pass one) says nothing about it (SMTP itself requires one).
inline bool is_bad_helo(HeloKind k) { return k != HeloKind::kFqdn && k != HeloKind::kEmpty; }

}  // namespace rampart::reputation
