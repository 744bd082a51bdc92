// File: src/server/http/tls_test.cc
// TlsStream against an OpenSSL client over memory: the handshake, data both
// ways, records fed one byte at a time, garbage refused; TlsContext refusing
// a missing file and a key that does not match.
#include "server/http/tls.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace rampart::server {
namespace {

// A self-signed P-256 certificate and its key, as PEM files in a temporary directory.
struct CertFiles {
  std::string dir, cert, key, other_key;
  CertFiles() {
    char tmpl[] = "/tmp/rampart-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir + "/c.pem";
    key = dir + "/k.pem";
    other_key = dir + "/o.pem";
    EVP_PKEY* pk = EVP_EC_gen("P-256");
    EVP_PKEY* other = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME* n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(x, n);
    X509_sign(x, pk, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pk, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen(other_key.c_str(), "w");
    PEM_write_PrivateKey(f, other, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(other);
  }
  ~CertFiles() {
    for (const auto& p : {cert, key, other_key}) ::unlink(p.c_str());
    ::rmdir(dir.c_str());
  }
};

// An OpenSSL client over memory BIOs.
struct Client {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  // Takes `c` (an SSL_CTX reference); default: a plain TLS client.
  explicit Client(SSL_CTX* c = nullptr) : ctx(c ? c : SSL_CTX_new(TLS_client_method())) {
    ssl = SSL_new(ctx);
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string take() {
    std::string out;
    char b[4096];
    int n;
    while ((n = BIO_read(wbio, b, sizeof b)) > 0) out.append(b, static_cast<size_t>(n));
    return out;
  }
  void give(const std::string& s) { BIO_write(rbio, s.data(), static_cast<int>(s.size())); }
};

TEST(Tls, HandshakeAndDataBothWays) {
  CertFiles files;
  auto ctx = TlsContext::server(files.cert, files.key);
  ASSERT_TRUE(ctx) << ctx.error().message;
  TlsStream server(**ctx);
  Client client;
  std::string plain;
  EXPECT_EQ(server.write("too early"), 0u);  // nothing before the handshake
  for (int round = 0; round < 10 && !(SSL_is_init_finished(client.ssl) && server.handshake_done()); ++round) {
    SSL_do_handshake(client.ssl);
    const std::string hello = client.take();
    // One byte at a time: records split anywhere.
    for (char ch : hello) ASSERT_TRUE(server.feed(std::string_view(&ch, 1), plain)) << server.error();
    client.give(server.output());
    server.sent(server.output().size());
  }
  ASSERT_TRUE(server.handshake_done());
  ASSERT_TRUE(SSL_is_init_finished(client.ssl));
  const std::string req = "GET /login HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(SSL_write(client.ssl, req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
  ASSERT_TRUE(server.feed(client.take(), plain)) << server.error();
  EXPECT_EQ(plain, req);
  const std::string answer(40000, 'a');  // several records
  EXPECT_EQ(server.write(answer), answer.size());
  client.give(server.output());
  server.sent(server.output().size());
  std::string got;
  char b[16384];
  int n;
  while ((n = SSL_read(client.ssl, b, sizeof b)) > 0) got.append(b, static_cast<size_t>(n));
  EXPECT_EQ(got, answer);
}

// Runs the handshake between `server` and `client`; true when both finished.
bool handshake(TlsStream& server, Client& client) {
  std::string plain;
  for (int round = 0; round < 10; ++round) {
    SSL_do_handshake(client.ssl);
    if (!server.feed(client.take(), plain)) return false;
    client.give(server.output());
    server.sent(server.output().size());
    if (SSL_is_init_finished(client.ssl) && server.handshake_done()) return true;
  }
  return false;
}

// The exchange's listener: TLS 1.3 only, a client certificate required, its
// SHA-256 (of the DER) reported for pinning.
TEST(Tls, MutualRequiresAClientCertificateAndReportsItsHash) {
  CertFiles server_files, client_files;
  auto ctx = TlsContext::server_mutual(server_files.cert, server_files.key);
  ASSERT_TRUE(ctx) << ctx.error().message;
  auto client_ctx = TlsContext::client_mutual(client_files.cert, client_files.key);
  ASSERT_TRUE(client_ctx) << client_ctx.error().message;
  {
    TlsStream server(**ctx);
    SSL_CTX_up_ref((*client_ctx)->get());
    Client client((*client_ctx)->get());
    ASSERT_TRUE(handshake(server, client)) << server.error();
    EXPECT_EQ(SSL_version(client.ssl), TLS1_3_VERSION);
    // The hash of the client's certificate, computed here from its DER.
    FILE* f = std::fopen(client_files.cert.c_str(), "r");
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(der, static_cast<size_t>(len), md, &mdlen, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    X509_free(x);
    std::string hex;
    for (unsigned i = 0; i < mdlen; ++i)
      hex += "0123456789abcdef"[md[i] >> 4], hex += "0123456789abcdef"[md[i] & 15];
    EXPECT_EQ(server.peer_sha256(), hex);
  }
  {
    TlsStream server(**ctx);
    Client anonymous;  // no certificate
    EXPECT_FALSE(handshake(server, anonymous));
    EXPECT_TRUE(server.peer_sha256().empty());
  }
  {
    TlsStream server(**ctx);
    SSL_CTX* old = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION);
    SSL_CTX_use_certificate_chain_file(old, client_files.cert.c_str());
    SSL_CTX_use_PrivateKey_file(old, client_files.key.c_str(), SSL_FILETYPE_PEM);
    Client tls12(old);  // TLS 1.2 with a certificate: refused all the same
    EXPECT_FALSE(handshake(server, tls12));
  }
}

TEST(Tls, RefusesGarbageAndBadFiles) {
  CertFiles files;
  auto ctx = TlsContext::server(files.cert, files.key);
  ASSERT_TRUE(ctx);
  TlsStream server(**ctx);
  std::string plain;
  EXPECT_FALSE(server.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n", plain));  // plain HTTP to a TLS port
  EXPECT_FALSE(server.error().empty());
  EXPECT_TRUE(plain.empty());
  auto missing = TlsContext::server(files.dir + "/none.pem", files.key);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.pem"), std::string::npos);
  auto mismatch = TlsContext::server(files.cert, files.other_key);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("o.pem: not a readable PEM private key, or not the certificate's"),
            std::string::npos)
      << mismatch.error().message;
}

}  // namespace
}  // namespace rampart::server
