// The HTTP messages the client exchanges: the request it builds for an API endpoint and the
// header lookups the decoders and the pipeline make on a response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "base_url.hpp"

namespace talkory::detail {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
/// An allocator over a std::pmr::memory_resource that, unlike std::pmr::polymorphic_allocator,
/// is assignable (Beast's basic_fields requires it) and travels with the container it belongs to
/// on move and swap, so memory always returns to the resource it came from.
template <class T>
struct resource_allocator {
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  resource_allocator() noexcept = default;
  explicit resource_allocator(std::pmr::memory_resource* r) noexcept : resource(r) {}
  template <class U>
  resource_allocator(const resource_allocator<U>& other) noexcept : resource(other.resource) {}

  T* allocate(std::size_t n) {
    return static_cast<T*>(resource->allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    resource->deallocate(p, n * sizeof(T), alignof(T));
  }
  template <class U>
  friend bool operator==(const resource_allocator& a, const resource_allocator<U>& b) noexcept {
    return a.resource == b.resource;
  }

  std::pmr::memory_resource* resource = std::pmr::get_default_resource();
};

/// A response's header fields and body take their memory from a resource the caller gives the
/// parser: the connection's own (connection::exchange), so that reading a response costs no
/// allocation per header nor for its body. A default-constructed response uses the default
/// resource.
using http_fields = http::basic_fields<resource_allocator<char>>;
using http_body = http::basic_string_body<char, std::char_traits<char>, resource_allocator<char>>;
using http_response = http::response<http_body, http_fields>;

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
std::string_view header_value(const http_fields& fields, std::string_view name);

bool has_header(const http::fields& fields, std::string_view name);
bool has_header(const http_fields& fields, std::string_view name);

/// The bytes of `fields` as "Name: value\r\n" lines: what max_response_header bounds. Beast's
/// parser merges a chunked body's trailer fields into the header's, so this counts both.
std::size_t field_section_size(const http::fields& fields) noexcept;
std::size_t field_section_size(const http_fields& fields) noexcept;

/// A non-negative decimal header value (X-RateLimit-*); junk gives nothing.
std::optional<std::int64_t> parse_header_integer(std::string_view value) noexcept;

} // namespace talkory::detail
