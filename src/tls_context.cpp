// Builds the client's TLS context: verification on, TLS 1.2 or newer, the chosen trust store.
#include "tls_context.hpp"

#include <openssl/ssl.h>

namespace talkory::detail {

namespace ssl = boost::asio::ssl;

namespace {

api_error tls_options_error(std::string what, const boost::system::error_code& ec) {
  api_error e;
  e.code = errc::invalid_options;
  e.message = std::move(what) + ": " + ec.message();
  e.cause = ec;
  return e;
}

} // namespace

result<std::shared_ptr<ssl::context>> make_tls_context(const tls_options& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Level 2 explicitly, whatever the system's default: no RSA/DH keys under 2048 bits, no
  // SHA-1 signatures, no SSLv3-era ciphers.
  SSL_CTX_set_security_level(native, 2);
  // Sessions are kept by the connection pool (one per origin), not by OpenSSL's internal cache.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  ctx->set_verify_mode(ssl::verify_peer);

  boost::system::error_code ec;
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec)
      return std::unexpected(
          tls_options_error("cannot load tls.ca_file \"" + tls.ca_file + "\" as PEM CAs", ec));
  }
  if (!tls.ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(tls.ca_pem), ec);
    if (ec)
      return std::unexpected(
          tls_options_error("cannot use tls.ca_pem as a PEM CA certificate", ec));
  }
  if (tls.ca_file.empty() && tls.ca_pem.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec)
      return std::unexpected(tls_options_error(
          "cannot load the system's CA store; install ca-certificates or set tls.ca_file", ec));
  }
  return ctx;
}

} // namespace talkory::detail
