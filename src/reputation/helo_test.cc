// File: src/reputation/helo_test.cc
#include "reputation/helo.h"

#include <gtest/gtest.h>

namespace rampart::reputation {
namespace {

TEST(Helo, Kinds) {
  const auto ip = IpAddress::parse("100.64.3.7");
  ASSERT_TRUE(ip);
  struct Case {
    const char* helo;
    HeloKind want;
  } cases[] = {
      {"mail.example.com", HeloKind::kFqdn},
      {"MTA-07.Out.Mailer.example.", HeloKind::kFqdn},
      {"o1.ptr1234.sendgrid.example", HeloKind::kFqdn},  // one number: fine
      {"", HeloKind::kEmpty},
      {"   ", HeloKind::kEmpty},
      {".", HeloKind::kEmpty},
      {"[192.0.2.1]", HeloKind::kLiteral},
      {"[IPv6:2001:db8::1]", HeloKind::kLiteral},
      {"192.0.2.1", HeloKind::kLiteral},
      {"2001:db8::1", HeloKind::kLiteral},
      {"localhost", HeloKind::kLocalhost},
      {"LOCALHOST.localdomain", HeloKind::kLocalhost},
      {"DESKTOP-1A2B3C", HeloKind::kNoDot},
      {"WIN-AB12CD34EF", HeloKind::kNoDot},
      {"mypc", HeloKind::kNoDot},
      {"user-PC.home", HeloKind::kLocalTld},
      {"laptop.local", HeloKind::kLocalTld},
      {"box.lan.", HeloKind::kLocalTld},
      {"100-64-3-7.dyn.isp.example", HeloKind::kGeneric},   // the client's address
      {"7.3.64.100.in-addr.example", HeloKind::kGeneric},   // reversed
      {"c64400307.cable.isp.example", HeloKind::kGeneric},  // hex
      {"host-10-1-2-3.pool.example", HeloKind::kGeneric},   // four numbers, another address
      {"mx100.64.example", HeloKind::kFqdn},                // two numbers only
  };
  for (const Case& c : cases)
    EXPECT_EQ(classify_helo(c.helo, *ip), c.want)
        << '"' << c.helo << "\" gave " << helo_kind_name(classify_helo(c.helo, *ip));
  // Without the client address only the shape counts.
  EXPECT_EQ(classify_helo("100-64-3-7.dyn.isp.example"), HeloKind::kGeneric);
  EXPECT_EQ(classify_helo("c64400307.cable.isp.example"), HeloKind::kFqdn);
  EXPECT_TRUE(is_bad_helo(HeloKind::kNoDot));
  EXPECT_FALSE(is_bad_helo(HeloKind::kFqdn));
  EXPECT_FALSE(is_bad_helo(HeloKind::kEmpty));  // not known is not bad
}

TEST(Helo, OddInputIsTotal) {
  EXPECT_EQ(classify_helo(std::string(100000, '9')), HeloKind::kNoDot);
  EXPECT_EQ(classify_helo(std::string(5000, '1') + ".2.3.4.example"), HeloKind::kFqdn);
  EXPECT_EQ(classify_helo(std::string("a\0b.example", 11)), HeloKind::kFqdn);
  EXPECT_EQ(helo_kind_name(HeloKind::kGeneric), "generic");
}

}  // namespace
}  // namespace rampart::reputation
