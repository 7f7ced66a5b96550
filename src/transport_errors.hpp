// Turns a transport error_code (resolve, connect, TLS, HTTP framing) into an actionable api_error.
#pragma once

#include <chrono>
#include <string_view>

#include <boost/system/error_code.hpp>

#include <talkory/errors.hpp>

namespace talkory::detail {

enum class transport_stage { resolve, connect, handshake, write, read };

/// True for the ways a peer ends a connection (EOF, reset, TLS truncation, broken pipe): what a
/// server does to an idle keep-alive connection.
bool is_peer_close(const boost::system::error_code& ec) noexcept;

/// `where` names the peer (host:port); `bound` is the timeout in force during the stage.
api_error transport_error(transport_stage stage, const boost::system::error_code& ec,
                          std::string_view where, std::chrono::milliseconds bound);

} // namespace talkory::detail
