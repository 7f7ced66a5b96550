// Keeps the API key out of everything the server sends back: the one place server text enters.
#pragma once

#include <string>
#include <string_view>

#include "http_message.hpp"

namespace talkory::detail {

/// The text that replaces the key wherever it appears.
inline constexpr std::string_view redacted_secret = "<redacted>";

/// Replaces every occurrence of `secret` in `text`; true when there was one. An empty secret
/// matches nothing.
bool scrub_secret(std::string& text, std::string_view secret);
bool scrub_secret(http_body::value_type& text, std::string_view secret);

/// Scrubs the body and every header value of a response as it arrives, before anything reads
/// it: a proxy's error page or a misconfigured server may echo the request's Authorization
/// header, and from there the key would reach api_error fields, reports, logs and the CLI.
void scrub_secret(http_response& response, std::string_view secret);

} // namespace talkory::detail
