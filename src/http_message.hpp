// The HTTP messages the client exchanges: the request it builds for an API endpoint and the
// header lookups the decoders and the pipeline make on a response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "base_url.hpp"

namespace talkory::detail {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// `method` {prefix}{path} with Host, Authorization: Bearer, User-Agent (when not empty) and
/// Accept: application/json. A non-empty `body` is sent as application/json with its
/// Content-Length; a GET without a body has neither header.
http_request make_request(const origin& o, http::verb method, std::string_view path,
                          std::string_view body, std::string_view api_key,
                          std::string_view user_agent);

/// The bytes of `request` on the wire, as Beast's serializer writes them.
std::string serialize_request(const http_request& request);

/// The value of the header `name` (case-insensitive), or "" when there is none.
std::string_view header_value(const http::fields& fields, std::string_view name);

bool has_header(const http::fields& fields, std::string_view name);

/// The bytes of `fields` as "Name: value\r\n" lines: what max_response_header bounds. Beast's
/// parser merges a chunked body's trailer fields into the header's, so this counts both.
std::size_t field_section_size(const http::fields& fields) noexcept;

/// A non-negative decimal header value (X-RateLimit-*); junk gives nothing.
std::optional<std::int64_t> parse_header_integer(std::string_view value) noexcept;

} // namespace talkory::detail
