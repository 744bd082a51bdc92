// File: src/core/fixed.h
// A number with N decimals, as printf's "%.Nf" writes it ("0.50", "-3.00",
// "nan", "inf"), without printf: std::to_chars (no locale, no format string
// to parse). Scores are written several times per scan (the verdict's JSON,
// symbols' reasons), where snprintf showed in profiles.
//
//   std::string s = rampart::fixed(0.5, 2);   // "0.50"
//   rampart::append_fixed(out, score, 2);     // appended to `out`
#pragma once

#include <charconv>
#include <cstdio>
#include <string>
#include <system_error>

namespace rampart {

inline void append_fixed(std::string& out, double v, int digits) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  if (r.ec == std::errc()) {
    out.append(buf, r.ptr);
    return;
  }
  // Longer than 64 characters (|v| >= 1e60 or so): printf's way.
  const int n = std::snprintf(nullptr, 0, "%.*f", digits, v);
  if (n <= 0) return;
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(n) + 1);
  std::snprintf(out.data() + at, static_cast<size_t>(n) + 1, "%.*f", digits, v);
  out.resize(at + static_cast<size_t>(n));
}

inline std::string fixed(double v, int digits) {
  std::string s;
  append_fixed(s, v, digits);
  return s;
}

}  // namespace rampart
