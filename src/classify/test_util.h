// File: src/classify/test_util.h
// Test-only: a handful of SMS texts, spam and ham, that the tests use to seed
// a small SMS model (the real seed is the SMS Spam Collection; see
// src/channels/README.md). Written for rampart; the spam lines follow the
// shape of premium-rate prize spam, the numbers are UK premium-rate formats.
#pragma once

#include <iterator>

namespace rampart::classify::testing {

inline constexpr const char* kSmsSeedSpam[] = {
    "WINNER!! You have won a 1000 GBP prize. Call 09061701461 now to claim",
    "URGENT! Your number has been awarded a 2000 bonus prize, call 09066362231",
    "FREE entry in a weekly competition to win cash, text WIN to 87121 now",
    "Congratulations, you won a free holiday! Claim your prize: call 08712300220"};
inline constexpr const char* kSmsSeedHam[] = {
    "are we still on for lunch tomorrow? I can pick you up at noon",
    "ok see you at seven, bring the keys please",
    "running late, the bus is stuck in traffic, there in ten minutes",
    "thanks for dinner last night, the kids loved it"};
static_assert(std::size(kSmsSeedSpam) == std::size(kSmsSeedHam));

}  // namespace rampart::classify::testing
