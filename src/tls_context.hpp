// Builds the client's TLS context: verification on, TLS 1.2 or newer, the chosen trust store.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include <talkory/options.hpp>
#include <talkory/result.hpp>

namespace talkory::detail {

/// A verifying client context trusting tls.ca_file and/or tls.ca_pem, or the system's store when
/// neither is given. Errors (unreadable file, bad PEM) are invalid_options.
result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const tls_options& tls);

} // namespace talkory::detail
