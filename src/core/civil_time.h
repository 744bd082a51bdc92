// File: src/core/civil_time.h
// Calendar dates to day numbers without the C library's time zone state
// (timegm is not in C++ and mktime reads TZ): log time stamps, flow exports.
//
//   int64_t d = days_from_civil(2026, 11, 27);   // days since 1970-01-01
//   int64_t t = d * 86400 + 10 * 3600;                  // 2026-11-27T10:00:00Z
#pragma once

#include <cstdint>

namespace rampart {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil algorithm); month 1-12, day 1-31, not range-checked.
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

}  // namespace rampart
