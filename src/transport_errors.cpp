// Turns a transport error_code (resolve, connect, TLS, HTTP framing) into an actionable api_error.
#include "transport_errors.hpp"

#include <string>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace talkory::detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;

bool is_peer_close(const boost::system::error_code& ec) noexcept {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::ssl::error::stream_truncated || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

namespace {

std::string_view stage_name(transport_stage stage) {
  switch (stage) {
  case transport_stage::resolve:
    return "resolving";
  case transport_stage::connect:
    return "connecting to";
  case transport_stage::handshake:
    return "the TLS handshake with";
  case transport_stage::write:
    return "sending the request to";
  case transport_stage::read:
    return "reading the response from";
  }
  return "talking to";
}

bool is_tls_failure(const boost::system::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() ||
         ec.category() == asio::ssl::error::get_stream_category();
}

} // namespace

api_error transport_error(transport_stage stage, const boost::system::error_code& ec,
                          std::string_view where, std::chrono::milliseconds bound) {
  api_error e;
  e.origin = error_origin::client;
  e.cause = ec;
  const std::string peer(where);
  const std::string step(stage_name(stage));

  if (ec == boost::beast::error::timeout) {
    e.code = errc::timeout;
    e.message = step + " " + peer + " did not finish within " + std::to_string(bound.count()) +
                " ms; raise the timeout or check the network";
    return e;
  }
  if (ec == asio::error::operation_aborted) {
    e.code = errc::cancelled;
    e.message = step + " " + peer + " was cancelled";
    return e;
  }
  switch (stage) {
  case transport_stage::resolve:
  case transport_stage::connect:
    e.code = errc::connection_failed;
    e.message = "cannot connect to " + peer + ": " + ec.message() +
                "; check the base URL and that the host is reachable";
    return e;
  case transport_stage::handshake:
    // Asio reports a plain EOF during the handshake as ssl::error::stream_truncated: a peer that
    // hung up is a network fault either way, not a certificate problem.
    if (is_peer_close(ec)) {
      e.code = errc::connection_lost;
      e.message = "the server " + peer + " closed the connection during the TLS handshake";
      return e;
    }
    e.code = errc::tls_error;
    e.message = "the TLS handshake with " + peer + " failed: " + ec.message() +
                "; the server's certificate must be valid for this host and trusted "
                "(tls.ca_file / tls.ca_pem, or the system's CA store)";
    return e;
  case transport_stage::write:
  case transport_stage::read:
    break;
  }
  if (is_peer_close(ec)) {
    e.code = errc::connection_lost;
    e.message = "the server " + peer + " closed the connection " +
                (stage == transport_stage::write ? "while the request was sent"
                                                 : "before the response was complete");
    return e;
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow) {
    e.code = errc::response_too_large;
    e.message = "the response from " + peer +
                " exceeds the configured limit (max_response_body / max_response_header)";
    return e;
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    e.code = errc::invalid_response;
    e.message = "the response from " + peer + " is not valid HTTP/1.1: " + ec.message();
    return e;
  }
  if (is_tls_failure(ec)) {
    e.code = errc::connection_lost;
    e.message = "the TLS connection to " + peer + " failed: " + ec.message();
    return e;
  }
  e.code = errc::connection_lost;
  e.message = step + " " + peer + " failed: " + ec.message();
  return e;
}

} // namespace talkory::detail
