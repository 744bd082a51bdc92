// Unit tests of src/channels/stir.h and x5u.h: parsing, ES256 sign/verify
// round trips over a CA made here, every failure class, TNAuthList, the
// HTTP-caching rules and the cache. The differential tests against PyJWT and
// the HTTPS fetch are in tests/stir_interop_test.py.
#include "channels/stir.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

#include "channels/stir_testing.h"
#include "channels/x5u.h"

namespace rampart::channels::stir {
namespace {

using namespace testing_pki;

Verdict run(const Pki& pki, const std::string& identity, const Call& call) {
  auto step = check_identity(identity, call);
  if (auto* v = std::get_if<Verdict>(&step)) return *v;
  return verify_with_chain(std::get<Checked>(step), pki.chain, pki.anchors, call);
}

const Call kCall{.from_tn = "+1 202-555-0100", .to_tn = "+12025550199", .date = kNow + 5};

TEST(Stir, SignedCallPasses) {
  Pki pki;
  Verdict v = run(pki, pki.sign_call('A'), kCall);
  EXPECT_EQ(v.verstat, Verstat::kPassed) << v.reason;
  EXPECT_EQ(v.sip_status, 0);
  EXPECT_EQ(v.attest, 'A');
  EXPECT_EQ(v.origid, "123e4567-e89b-42d3-a456-426614174000");
  EXPECT_NE(v.reason.find("SHAKEN 1234"), std::string::npos);
}

TEST(Stir, MissingIdentityIs428) {
  Verdict v = std::get<Verdict>(check_identity("", kCall));
  EXPECT_EQ(v.verstat, Verstat::kNoValidation);
  EXPECT_EQ(v.sip_status, 428);
}

TEST(Stir, TamperedSignatureIs438) {
  Pki pki;
  std::string id = pki.sign_call();
  size_t dot = id.rfind('.', id.find(';'));
  id[dot + 5] = id[dot + 5] == 'A' ? 'B' : 'A';
  Verdict v = run(pki, id, kCall);
  EXPECT_EQ(v.sip_status, 438) << v.reason;
  EXPECT_EQ(v.verstat, Verstat::kFailed);
}

TEST(Stir, WrongCallerOrCalleeIs438) {
  Pki pki;
  std::string id = pki.sign_call();
  Call other = kCall;
  other.from_tn = "12025550101";
  EXPECT_EQ(run(pki, id, other).sip_status, 438);
  other = kCall;
  other.to_tn = "12025550198";
  EXPECT_EQ(run(pki, id, other).sip_status, 438);
}

TEST(Stir, StaleIs403EitherSide) {
  Pki pki;
  Call late = kCall;
  late.date = kNow + 61;
  EXPECT_EQ(run(pki, pki.sign_call(), late).sip_status, 403);
  late.date = kNow - 61;
  EXPECT_EQ(run(pki, pki.sign_call(), late).sip_status, 403);
  late.date = kNow + 60;
  EXPECT_EQ(run(pki, pki.sign_call(), late).sip_status, 0);
}

TEST(Stir, CertificateProblemsAre437) {
  Pki expired("", kNow - 2 * 86400, kNow - 86400);
  EXPECT_EQ(run(expired, expired.sign_call(), kCall).sip_status, 437);
  Pki pki;
  Pki stranger;  // a chain that does not reach pki's anchors
  auto step = check_identity(pki.sign_call(), kCall);
  Verdict v = verify_with_chain(std::get<Checked>(step), pki.chain, stranger.anchors, kCall);
  EXPECT_EQ(v.sip_status, 437) << v.reason;
  // The intermediate left out.
  v = verify_with_chain(std::get<Checked>(step), pem_of(pki.sp), pki.anchors, kCall);
  EXPECT_EQ(v.sip_status, 437) << v.reason;
  // Nothing usable at the x5u: 436.
  v = verify_with_chain(std::get<Checked>(step), "<html>not found</html>", pki.anchors, kCall);
  EXPECT_EQ(v.sip_status, 436) << v.reason;
}

TEST(Stir, ChainCacheSkipsTheChainButNotTheRest) {
  Pki pki;
  ChainCache cache(4);
  std::string id = pki.sign_call();
  auto step = check_identity(id, kCall);
  const auto& c = std::get<Checked>(step);
  EXPECT_EQ(verify_with_chain(c, pki.chain, pki.anchors, kCall, &cache).sip_status, 0);
  EXPECT_EQ(cache.size(), 1u);
  // From the cache: the same verdict, and a bad signature is still caught.
  EXPECT_EQ(verify_with_chain(c, pki.chain, pki.anchors, kCall, &cache).sip_status, 0);
  Checked bad = c;
  bad.signature[3] ^= 1;
  EXPECT_EQ(verify_with_chain(bad, pki.chain, pki.anchors, kCall, &cache).sip_status, 438);
  // A call dated after the signer's certificate expires is not served from the cache.
  Call later = kCall;
  later.date = kNow + 2 * 86400;
  EXPECT_FALSE(cache.find(pki.chain, later.date));
  auto step2 = check_identity(pki.sign_call('A', "12025550100", "12025550199", later.date), later);
  EXPECT_EQ(verify_with_chain(std::get<Checked>(step2), pki.chain, pki.anchors, later, &cache).sip_status,
            437);
  // Failures are not cached; the cache stays bounded.
  Pki expired("", kNow - 2 * 86400, kNow - 86400);
  auto step3 = check_identity(expired.sign_call(), kCall);
  EXPECT_EQ(
      verify_with_chain(std::get<Checked>(step3), expired.chain, expired.anchors, kCall, &cache).sip_status,
      437);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(Stir, CompactFormRebuildsThePayload) {
  Pki pki;
  // Sign exactly the payload the verifier rebuilds, then drop it.
  std::string header =
      base64url_encode(R"({"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://x/c.pem"})");
  std::string payload = base64url_encode(R"({"dest":{"tn":["12025550199"]},"iat":)" +
                                         std::to_string(kCall.date) + R"(,"orig":{"tn":"12025550100"}})");
  auto key = load_signing_key(key_pem(pki.sp_key));
  ASSERT_TRUE(key);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string input = header + "." + payload;
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key->get());
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string der(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  std::string rs(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(rs.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(rs.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  std::string compact = header + ".." + base64url_encode(rs) + ";info=<https://x/c.pem>;alg=ES256;ppt=shaken";
  Verdict v = run(pki, compact, kCall);
  EXPECT_EQ(v.verstat, Verstat::kPassed) << v.reason;
  EXPECT_FALSE(v.attest);
  EXPECT_FALSE(v.origid);
  Call other = kCall;
  other.date += 1;  // a different Date rebuilds a different payload
  EXPECT_EQ(run(pki, compact, other).sip_status, 438);
}

TEST(Stir, HeaderAndParameterRules) {
  Pki pki;
  std::string id = pki.sign_call();
  std::string token = id.substr(0, id.find(';'));
  auto with = [&](const std::string& params) { return run(pki, token + params, kCall).sip_status; };
  EXPECT_EQ(with(";info=<https://cert.example.net/sp.pem>;alg=ES256;ppt=shaken"), 0);
  EXPECT_EQ(with(";info=<https://cert.example.net/sp.pem>;ppt=shaken"), 0);   // alg may be left out
  EXPECT_EQ(with(";info=<https://cert.example.net/sp.pem>;alg=ES256"), 438);  // no ppt
  EXPECT_EQ(with(";info=<https://cert.example.net/sp.pem>;alg=ES256;ppt=div"), 438);
  EXPECT_EQ(with(";info=<https://cert.example.net/sp.pem>;alg=none;ppt=shaken"), 438);
  EXPECT_EQ(with(";info=<https://other.example.net/sp.pem>;alg=ES256;ppt=shaken"), 438);
  EXPECT_EQ(with(";alg=ES256;ppt=shaken"), 438);  // no info
  EXPECT_EQ(with(" ; info = <https://cert.example.net/sp.pem> ; alg = ES256 ; ppt = \"shaken\" "), 0);
  EXPECT_EQ(run(pki, "e30.e30.AAAA;info=<x>;ppt=shaken", kCall).sip_status, 438);
  EXPECT_EQ(run(pki, "!!!.e30.AAAA;info=<x>;ppt=shaken", kCall).sip_status, 438);
  // alg "none" inside the PASSporT.
  std::string none = base64url_encode(R"({"alg":"none","ppt":"shaken","typ":"passport","x5u":"https://x"})");
  std::string payload = token.substr(token.find('.'), token.rfind('.') - token.find('.'));
  EXPECT_EQ(run(pki, none + payload + ".AAAA;info=<https://x>;ppt=shaken", kCall).sip_status, 438);
}

TEST(Stir, TnAuthList) {
  // EXPLICIT tags (RFC 8226's module): [0] SPC, [2] one number, [1] range.
  std::string spc = der_tlv(0xa0, der_tlv(0x16, "1234"));
  std::string one = der_tlv(0xa2, der_tlv(0x16, "12025550100"));
  std::string range =
      der_tlv(0xa1, der_tlv(0x30, der_tlv(0x16, "12025550000") + der_tlv(0x02, std::string(1, 100))));
  auto l = parse_tn_auth_list(der_tlv(0x30, spc + one + range));
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->spcs, std::vector<std::string>{"1234"});
  EXPECT_TRUE(l->covers("+1 202 555 0100"));
  EXPECT_TRUE(l->covers("12025550099"));
  EXPECT_FALSE(l->covers("12025550101"));
  auto only_spc = parse_tn_auth_list(der_tlv(0x30, spc));
  ASSERT_TRUE(only_spc);
  EXPECT_TRUE(only_spc->covers("19995550000"));
  EXPECT_FALSE(parse_tn_auth_list(der_tlv(0x30, "")));
  EXPECT_FALSE(parse_tn_auth_list(der_tlv(0x30, der_tlv(0xa2, der_tlv(0x16, "12a")))));
  EXPECT_FALSE(parse_tn_auth_list("\x30\x05\xa0\x03\x16\x09"));

  // In a certificate: a number list that does not hold the caller fails.
  Pki listed(der_tlv(0x30, one));
  EXPECT_EQ(run(listed, listed.sign_call(), kCall).sip_status, 0);
  Pki other(der_tlv(0x30, der_tlv(0xa2, der_tlv(0x16, "12025550111"))));
  EXPECT_EQ(run(other, other.sign_call(), kCall).sip_status, 438);
}

TEST(Stir, SigningRefusesWhatItCannotSign) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EXPECT_FALSE(load_signing_key(key_pem(rsa)));
  EVP_PKEY_free(rsa);
  EXPECT_FALSE(load_signing_key("not a key"));
  Pki pki;
  auto key = load_signing_key(key_pem(pki.sp_key));
  ASSERT_TRUE(key);
  EXPECT_FALSE(sign(
      *key, {.x5u = "https://x/a>b", .attest = 'A', .orig = "1", .dest = {"2"}, .origid = "", .iat = 0}));
  EXPECT_FALSE(
      sign(*key, {.x5u = "https://x", .attest = 'D', .orig = "1", .dest = {"2"}, .origid = "", .iat = 0}));
}

TEST(Stir, Base64Url) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\xfe\xfd"}) {
    auto d = base64url_decode(base64url_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("ab=="));
  EXPECT_FALSE(base64url_decode("ab+/"));
  EXPECT_FALSE(base64url_decode("ab"));  // trailing bits not zero ("ab" -> 0x69 + 4 bits 1011)
}

TEST(X5u, Urls) {
  auto u = parse_https_url("https://cert.example.net:8443/a/b.pem?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "cert.example.net");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b.pem?x=1");
  u = parse_https_url("HTTPS://[::1]:4443");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(parse_https_url("http://cert.example.net/a.pem"));
  EXPECT_FALSE(parse_https_url("https://user@host/a"));
  EXPECT_FALSE(parse_https_url("https://host:0/a"));
  EXPECT_FALSE(parse_https_url("https://host:99999/a"));
  EXPECT_FALSE(parse_https_url("https:///a"));
}

TEST(X5u, HttpDatesAndCacheLifetime) {
  EXPECT_EQ(*channels::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(*channels::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(*channels::parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(channels::parse_http_date("yesterday"));
  EXPECT_EQ(channels::cache_lifetime("max-age=300", "", "", kNow), 300);
  EXPECT_EQ(channels::cache_lifetime("public, s-maxage=60, max-age=300", "", "", kNow), 60);
  EXPECT_EQ(channels::cache_lifetime("no-store, max-age=300", "", "", kNow), 0);
  EXPECT_EQ(channels::cache_lifetime("no-cache", "", "", kNow), 0);
  EXPECT_EQ(
      channels::cache_lifetime("", "Sun, 06 Nov 1994 09:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", kNow),
      3600);
  EXPECT_EQ(channels::cache_lifetime("", "0", "", kNow), 0);
  EXPECT_EQ(channels::cache_lifetime("", "", "", kNow), 0);  // nothing said: not cached
}

TEST(X5u, CacheExpiresAndStaysBounded) {
  channels::CertCache c(2);
  c.put("a", "A", kNow + 10);
  c.put("b", "B", kNow + 10);
  ASSERT_TRUE(c.get("a", kNow));
  EXPECT_EQ(*c.get("a", kNow), "A");
  EXPECT_FALSE(c.get("a", kNow + 10));  // expired, and dropped
  c.put("c", "C", kNow + 10);
  c.put("d", "D", kNow + 10);  // evicts b, the oldest
  EXPECT_FALSE(c.get("b", kNow));
  EXPECT_EQ(c.size(), 2u);
}

}  // namespace
}  // namespace rampart::channels::stir
