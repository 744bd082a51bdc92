// File: src/auth/dkim/rfc8463_test.cc
// RFC 8463 Appendix A: the ed25519-sha256 and rsa-sha256 signatures of the
// example message verify, and signing the unsigned message with the same
// key and parameters reproduces the (deterministic) ed25519 signature.
// Data: tests/data/dkim-rfc8463 (copied with its licence; run from the
// source root, as ctest does).
#include <gtest/gtest.h>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/strings.h"
#include "dns/zone_resolver.h"

namespace rampart::dkim {
namespace {

const std::string kDir = "tests/data/dkim-rfc8463/";

dns::ZoneResolver vector_dns() {
  dns::ZoneResolver dns;
  std::string text = testing::read_file(kDir + "dns.txt");
  for (std::string_view line : split(text, '\n')) {
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    dns.add(line.substr(0, tab), testing::txt_record(std::string(trim(line.substr(tab + 1)))));
  }
  return dns;
}

TEST(Rfc8463, BothSignaturesVerify) {
  const std::string msg = testing::read_file(kDir + "rfc8463-appendixA-signed.eml");
  ASSERT_FALSE(msg.empty()) << "run from the source root";
  dns::ZoneResolver dns = vector_dns();
  FakeClock clock(1700000000);
  Verifier v(dns, clock);
  auto rs = v.verify_sync(msg);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(rs[0].result, Verdict::kPass) << rs[0].reason;
  EXPECT_EQ(rs[0].selector, "brisbane");
  EXPECT_EQ(rs[1].algorithm, "rsa-sha256");
  EXPECT_EQ(rs[1].result, Verdict::kPass) << rs[1].reason;
  EXPECT_EQ(rs[1].key_bits, 1024u);
  EXPECT_EQ(method_result(rs[0]),
            "dkim=pass header.d=football.example.com header.i=@football.example.com header.s=brisbane "
            "header.a=ed25519-sha256 header.b=9/dsDChY");
}

TEST(Rfc8463, BodyHashOfTheExampleBody) {
  const std::string msg = testing::read_file(kDir + "rfc8463-unsigned.eml");
  std::string crlf;
  ASSERT_TRUE(to_crlf(msg, crlf));
  auto hs = mime::HeaderSection::parse(crlf);
  auto bh = body_hash(Canon::kSimple, HashAlg::kSha256, hs.body());
  ASSERT_TRUE(bh);
  EXPECT_EQ(base64_encode(bh->digest), "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
}

TEST(Rfc8463, Ed25519SignatureIsReproduced) {
  const std::string signed_msg = testing::read_file(kDir + "rfc8463-appendixA-signed.eml");
  const std::string unsigned_msg = testing::read_file(kDir + "rfc8463-unsigned.eml");
  auto key = load_private_key(testing::read_file(kDir + "brisbane.ed25519.private.b64"));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->type, KeyType::kEd25519);
  auto pub = public_key_record_value(*key);
  ASSERT_TRUE(pub);
  EXPECT_EQ(*pub, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");

  // The signature field exactly as the RFC's signer wrote it, b= emptied.
  std::string sm, um;
  ASSERT_TRUE(to_crlf(signed_msg, sm));
  ASSERT_TRUE(to_crlf(unsigned_msg, um));
  auto shs = mime::HeaderSection::parse(sm);
  const mime::HeaderField* field = shs.first("DKIM-Signature");
  ASSERT_NE(field, nullptr);
  auto sig = parse_signature(field->value_raw);
  ASSERT_TRUE(sig) << sig.error().message;
  auto stripped = strip_b_value(field->raw);
  ASSERT_TRUE(stripped);

  auto uhs = mime::HeaderSection::parse(um);
  std::string input;
  header_hash_input(sig->header_canon, uhs, sig->signed_headers, *stripped, input);
  auto b = sign_data(*key, Algorithm::kEd25519Sha256, input);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*b, sig->signature);
  EXPECT_EQ(base64_encode(*b),
            "9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YBo0wBLR++X5LqmsxXaOYLLJe46l10AQ==");
}

TEST(Rfc8463, SignerOutputVerifiesWithBothVectorKeys) {
  const std::string msg = testing::read_file(kDir + "rfc8463-unsigned.eml");
  dns::ZoneResolver dns = vector_dns();
  FakeClock clock(1700000000);
  for (const char* file : {"brisbane.ed25519.private.b64", "test.rsa1024.private.pem"}) {
    auto key = load_private_key(testing::read_file(kDir + file));
    ASSERT_TRUE(key) << file;
    SignOptions o;
    o.domain = "football.example.com";
    o.selector = key->type == KeyType::kEd25519 ? "brisbane" : "test";
    o.header_canon = Canon::kSimple;
    o.body_canon = Canon::kSimple;
    o.headers = {"from", "to", "subject", "date", "message-id", "from", "subject", "date"};
    o.timestamp = 1518460054;
    o.eol = "\n";
    auto field = sign(msg, *key, o);
    ASSERT_TRUE(field) << field.error().message;
    Verifier v(dns, clock);
    auto rs = v.verify_sync(*field + msg);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].result, Verdict::kPass) << file << ": " << rs[0].reason << "\n" << *field;
  }
}

}  // namespace
}  // namespace rampart::dkim
