// File: src/dns/format.h
// Presentation form of records and answers (RFC 1035 5.1 style), for logs,
// the CLI and table-driven tests.
//
//   record_to_string(r)   // "A 192.0.2.1", "MX 10 mail.example.com",
//                         // "TXT \"v=spf1 \" \"-all\"", "CNAME www.example.com"
//   answer_to_string(a)   // "ok ttl=300: A 192.0.2.1; A 192.0.2.2" or "nxdomain"
//
// TXT strings are quoted with '"' and '\' escaped and non-printable octets
// as \DDD.
#pragma once

#include <string>

#include "dns/resolver.h"

namespace rampart::dns {

std::string record_to_string(const Record& r);
std::string answer_to_string(const Answer& a);

}  // namespace rampart::dns
