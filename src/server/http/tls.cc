// File: src/server/http/tls.cc
// TLS over memory BIOs (see tls.h).
#include "server/http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace rampart::server {

namespace {
std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("unknown TLS error") : out;
}
BIO* bio(void* p) { return static_cast<BIO*>(p); }
}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::server(const std::string& cert_file,
                                                       const std::string& key_file) {
  SSL_CTX* c = SSL_CTX_new(TLS_server_method());
  if (!c) return fail(Errc::kInternal, "SSL_CTX_new: " + ssl_errors());
  std::shared_ptr<TlsContext> ctx(new TlsContext(c));
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (SSL_CTX_use_certificate_chain_file(c, cert_file.c_str()) != 1)
    return fail(Errc::kConfig, cert_file + ": not a readable PEM certificate: " + ssl_errors());
  if (SSL_CTX_use_PrivateKey_file(c, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(Errc::kConfig,
                key_file + ": not a readable PEM private key, or not the certificate's: " + ssl_errors());
  if (SSL_CTX_check_private_key(c) != 1)
    return fail(Errc::kConfig, key_file + ": does not match the certificate " + cert_file);
  return ctx;
}

namespace {
// Any certificate passes the handshake's own check: the exchange pins the
// certificate's SHA-256 per member afterwards (peer_sha256).
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

Result<std::shared_ptr<TlsContext>> mutual(SSL_CTX* c, const std::string& cert_file,
                                           const std::string& key_file, std::shared_ptr<TlsContext> ctx) {
  SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (SSL_CTX_use_certificate_chain_file(c, cert_file.c_str()) != 1)
    return fail(Errc::kConfig, cert_file + ": not a readable PEM certificate: " + ssl_errors());
  if (SSL_CTX_use_PrivateKey_file(c, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1)
    return fail(Errc::kConfig,
                key_file + ": not a readable PEM private key, or not the certificate's: " + ssl_errors());
  return ctx;
}
}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::server_mutual(const std::string& cert_file,
                                                              const std::string& key_file) {
  SSL_CTX* c = SSL_CTX_new(TLS_server_method());
  if (!c) return fail(Errc::kInternal, "SSL_CTX_new: " + ssl_errors());
  std::shared_ptr<TlsContext> ctx(new TlsContext(c));
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  return mutual(c, cert_file, key_file, std::move(ctx));
}

Result<std::shared_ptr<TlsContext>> TlsContext::client_mutual(const std::string& cert_file,
                                                              const std::string& key_file) {
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  if (!c) return fail(Errc::kInternal, "SSL_CTX_new: " + ssl_errors());
  std::shared_ptr<TlsContext> ctx(new TlsContext(c));
  return mutual(c, cert_file, key_file, std::move(ctx));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsStream::TlsStream(const TlsContext& ctx) {
  ssl_ = SSL_new(ctx.get());
  BIO* r = BIO_new(BIO_s_mem());
  BIO* w = BIO_new(BIO_s_mem());
  if (!ssl_ || !r || !w) {
    BIO_free(r);
    BIO_free(w);
    error_ = "out of memory";
    return;
  }
  BIO_set_mem_eof_return(r, -1);  // empty: "retry", not EOF
  SSL_set_bio(ssl_, r, w);        // the SSL owns both
  rbio_ = r;
  wbio_ = w;
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

void TlsStream::pull() {
  char buf[16384];
  for (;;) {
    const int n = BIO_read(bio(wbio_), buf, sizeof buf);
    if (n <= 0) break;
    out_.append(buf, static_cast<size_t>(n));
  }
}

bool TlsStream::feed(std::string_view cipher, std::string& plain) {
  if (!ssl_) return false;
  while (!cipher.empty()) {
    const int n =
        BIO_write(bio(rbio_), cipher.data(), static_cast<int>(std::min<size_t>(cipher.size(), 1 << 20)));
    if (n <= 0) {
      error_ = "BIO_write failed";
      return false;
    }
    cipher.remove_prefix(static_cast<size_t>(n));
  }
  if (!SSL_is_init_finished(ssl_)) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int e = SSL_get_error(ssl_, r);
      pull();  // an alert for the peer
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
      error_ = "TLS handshake: " + ssl_errors();
      return false;
    }
  }
  char buf[16384];
  for (;;) {
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<size_t>(n));
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    pull();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    if (e == SSL_ERROR_ZERO_RETURN) return true;  // close_notify: the reader sees EOF on the socket
    error_ = "TLS: " + ssl_errors();
    return false;
  }
}

size_t TlsStream::write(std::string_view plain) {
  if (!ssl_ || !SSL_is_init_finished(ssl_) || plain.empty()) return 0;
  size_t done = 0;
  while (done < plain.size()) {
    const int n =
        SSL_write(ssl_, plain.data() + done, static_cast<int>(std::min<size_t>(plain.size() - done, 16384)));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  pull();
  return done;
}

const std::string& TlsStream::output() {
  pull();
  return out_;
}

bool TlsStream::handshake_done() const { return ssl_ && SSL_is_init_finished(ssl_); }

std::string TlsStream::peer_sha256() const {
  if (!handshake_done()) return {};
  return peer_certificate_sha256(ssl_);
}

std::string peer_certificate_sha256(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const bool ok = X509_digest(cert, EVP_sha256(), md, &n) == 1;
  X509_free(cert);
  if (!ok) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace rampart::server
