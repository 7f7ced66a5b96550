// Request building and header access with Beast's message types; no I/O (connection.cpp writes
// the request and reads the response).
#include "http_message.hpp"

#include <limits>
#include <string>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/serializer.hpp>

#include "text.hpp"

namespace talkory::detail {

namespace {

boost::beast::string_view beast_view(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

} // namespace

http_request make_request(const origin& o, http::verb method, std::string_view path,
                          std::string_view body, std::string_view api_key,
                          std::string_view user_agent) {
  http_request request{method, o.target(path), 11};
  request.set(http::field::host, o.host_header);
  std::string authorization = "Bearer ";
  authorization.append(api_key);
  request.set(http::field::authorization, authorization);
  if (!user_agent.empty())
    request.set(http::field::user_agent, beast_view(user_agent));
  request.set(http::field::accept, "application/json");
  if (!body.empty())
    request.set(http::field::content_type, "application/json");
  request.body().assign(body);
  request.keep_alive(true); // HTTP/1.1's default: no Connection header is added
  // Content-Length for a body (and an empty POST or PUT); nothing for an empty GET.
  request.prepare_payload();
  return request;
}

std::string serialize_request(const http_request& request) {
  http::request_serializer<http::string_body> serializer(request);
  std::string out;
  boost::system::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (const auto& b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      serializer.consume(n);
    });
  }
  return out; // a string body cannot fail to serialize
}

namespace {

// The first field called `name`, in the order received (what Beast's find() gives too). A walk
// down the list, not Beast's find(): a response has a handful of fields, a length compare skips
// nearly all of them, and the ordered set's case-insensitive comparisons cost several times more.
template <class Fields>
typename Fields::const_iterator first_named(const Fields& fields, std::string_view name) {
  const auto wanted = beast_view(name);
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const auto field_name = it->name_string();
    // Servers mostly spell a name as we do: an exact match is one memcmp, before the
    // case-insensitive comparison (a character at a time).
    if (field_name.size() == wanted.size() &&
        (field_name == wanted || boost::beast::iequals(field_name, wanted)))
      return it;
  }
  return fields.end();
}

template <class Fields>
std::string_view value_in(const Fields& fields, std::string_view name) {
  const auto it = first_named(fields, name);
  if (it == fields.end())
    return {};
  const auto value = it->value();
  return {value.data(), value.size()};
}

template <class Fields>
std::size_t section_size(const Fields& fields) noexcept {
  std::size_t total = 0;
  for (const auto& field : fields)
    total += field.name_string().size() + field.value().size() + 4; // ": " and CRLF
  return total;
}

} // namespace

std::string_view header_value(const http::fields& fields, std::string_view name) {
  return value_in(fields, name);
}
std::string_view header_value(const http_fields& fields, std::string_view name) {
  return value_in(fields, name);
}

bool has_header(const http::fields& fields, std::string_view name) {
  return first_named(fields, name) != fields.end();
}
bool has_header(const http_fields& fields, std::string_view name) {
  return first_named(fields, name) != fields.end();
}

std::size_t field_section_size(const http::fields& fields) noexcept {
  return section_size(fields);
}
std::size_t field_section_size(const http_fields& fields) noexcept {
  return section_size(fields);
}

std::optional<std::int64_t> parse_header_integer(std::string_view value) noexcept {
  return parse_decimal(trim_ows(value), std::numeric_limits<std::int64_t>::max());
}

} // namespace talkory::detail
