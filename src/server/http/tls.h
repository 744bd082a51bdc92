// File: src/server/http/tls.h
// TLS for a listener of the event loops, without the socket: OpenSSL with
// memory BIOs. The loop hands it the bytes it read and sends the bytes it
// gives back; between them sits the plaintext of one HttpConnection.
//
//   auto ctx = TlsContext::server("/etc/rampart/console.crt", "/etc/rampart/console.key");  // Result
//   TlsStream t(*ctx);
//   std::string plain;
//   if (!t.feed(bytes_from_socket, plain)) close();     // a bad record or handshake
//   http.on_input(plain, now);
//   size_t n = t.write(http.output()); http.consumed(n, now);   // 0 until the handshake is done
//   send(t.output()); t.sent(k);
//
// TLS 1.2 and 1.3 only (OpenSSL's default cipher lists at security level 2).
// The certificate file may hold a chain (leaf first). Nothing blocks; the
// handshake proceeds as bytes arrive.
// Mutual TLS (the exchange's listener, src/exchange): server_mutual() speaks
// TLS 1.3 only and requires a client certificate; which certificates are
// welcome is the caller's decision, by the SHA-256 of the certificate the
// peer showed (peer_sha256(), pinned in the exchange's group file), so no CA
// is involved. client_mutual() is the same for the outbound side.
// DIAGNOSTICS: TlsContext::server fails (kConfig) naming the file for a
// certificate or key that cannot be read, or a key that does not match;
// feed() returns false for a fatal TLS error (the connection must close),
// with error() saying why.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace rampart::server {

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> server(const std::string& cert_file,
                                                    const std::string& key_file);
  // TLS 1.3 only; the peer must show a certificate (any: pin it by peer_sha256()).
  static Result<std::shared_ptr<TlsContext>> server_mutual(const std::string& cert_file,
                                                           const std::string& key_file);
  static Result<std::shared_ptr<TlsContext>> client_mutual(const std::string& cert_file,
                                                           const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* c) : ctx_(c) {}
  SSL_CTX* ctx_;
};

// Lower-case hex SHA-256 of the DER certificate `ssl`'s peer showed; empty
// without one.
std::string peer_certificate_sha256(SSL* ssl);

class TlsStream {
 public:
  explicit TlsStream(const TlsContext& ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Ciphertext from the peer; appends the plaintext it carried to `plain`.
  bool feed(std::string_view cipher, std::string& plain);
  // Encrypts what it can of `plain` (nothing before the handshake is done);
  // returns how many bytes it took.
  size_t write(std::string_view plain);
  // Ciphertext to send (handshake records, data, alerts).
  const std::string& output();
  void sent(size_t n) { out_.erase(0, n); }
  bool handshake_done() const;
  const std::string& error() const { return error_; }
  // Lower-case hex SHA-256 of the DER certificate the peer showed; empty
  // before the handshake or without one.
  std::string peer_sha256() const;

 private:
  void pull();
  SSL* ssl_ = nullptr;
  void* rbio_ = nullptr;  // BIO*
  void* wbio_ = nullptr;
  std::string out_;
  std::string error_;
};

}  // namespace rampart::server
