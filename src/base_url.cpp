// parse_base_url: turns client_options::base_url into the origin every request goes to.
#include "base_url.hpp"

#include <string>

#include <boost/url/host_type.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

#include "text.hpp"

namespace talkory::detail {

namespace {

constexpr std::uint16_t https_default_port = 443;
constexpr std::uint16_t http_default_port = 80;

std::uint16_t default_port(bool tls) noexcept {
  return tls ? https_default_port : http_default_port;
}

std::unexpected<api_error> refuse(std::string message) {
  api_error error;
  error.code = errc::invalid_options;
  error.origin = error_origin::client;
  error.message = "base_url " + std::move(message);
  return std::unexpected(std::move(error));
}

// The URL for an error message: quoted, bounded, control characters replaced. A URL with an
// '@' may carry credentials (user:password@host), so it is not echoed at all.
std::string shown(std::string_view url) {
  if (url.find('@') != std::string_view::npos)
    return "(not shown: it contains '@' and may hold credentials)";
  constexpr std::size_t max_shown = 200;
  // Appended, not `"\"" + text`: GCC 12's -O2 reports a false -Wstringop-overflow on that form.
  std::string out = "\"";
  out += replace_control_characters(url.substr(0, max_shown), '?');
  out += url.size() > max_shown ? "...\"" : "\"";
  return out;
}

// A DNS name (RFC 1123 labels; '_' tolerated as resolvers do). Boost.URL's reg-name also allows
// sub-delimiters and percent-escapes, which no resolver or certificate would accept.
bool is_plain_host_name(std::string_view host) noexcept {
  if (host.empty() || host.size() > 253)
    return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

bool has_dot_segment(std::string_view path) noexcept {
  while (!path.empty()) {
    path.remove_prefix(1); // the '/'
    const auto end = path.find('/');
    const auto segment = path.substr(0, end);
    if (segment == "." || segment == ".." || segment == "%2e" || segment == "%2E" ||
        segment == "%2e%2e" || segment == "%2E%2E" || segment == ".%2e" || segment == "%2e." ||
        segment == ".%2E" || segment == "%2E.")
      return true;
    if (end == std::string_view::npos)
      break;
    path.remove_prefix(end);
  }
  return false;
}

} // namespace

bool origin::host_is_ip_literal() const {
  return boost::urls::parse_ipv4_address(host).has_value() ||
         boost::urls::parse_ipv6_address(host).has_value();
}

std::string origin::target(std::string_view path) const {
  std::string out = path_prefix;
  if (path.empty() || path.front() != '/')
    out.push_back('/');
  out.append(path);
  return out;
}

result<origin> parse_base_url(std::string_view url, bool allow_insecure_http) {
  if (url.empty())
    return refuse("is empty: use https://api.talkory.ai (the default) or your gateway's https URL");

  // parse_uri rather than parse_absolute_uri: it also accepts a fragment, so that a fragment
  // is refused below with a precise message instead of a generic syntax error.
  const auto parsed = boost::urls::parse_uri(url);
  // Boost.URL's own error text ("need more", "mismatch") would not help the reader.
  if (!parsed)
    return refuse(
        shown(url) +
        (url.find("://") == std::string_view::npos ? " has no scheme://" : " is not a valid URL") +
        ": expected scheme://host[:port][/prefix], e.g. https://api.talkory.ai");
  const boost::urls::url_view& u = *parsed;

  origin o;
  switch (u.scheme_id()) {
  case boost::urls::scheme::https:
    o.tls = true;
    break;
  case boost::urls::scheme::http:
    if (!allow_insecure_http)
      return refuse("uses http://, which would send the API key in clear text: use https://, or "
                    "set allow_insecure_http = true for local testing only");
    o.tls = false;
    break;
  default:
    return refuse("has the scheme \"" + std::string(u.scheme()).substr(0, 32) +
                  "\": only https (or http with allow_insecure_http) is supported");
  }

  if (!u.has_authority())
    return refuse(shown(url) + " has no host: expected " + std::string(u.scheme()) +
                  "://host[:port][/prefix]");
  // The key goes in the Authorization header only; credentials in the URL are a mistake
  // (and would otherwise be logged wherever the URL is).
  if (u.has_userinfo())
    return refuse("contains user info (user:password@): remove it; the API key is given in "
                  "client_options::api_key");
  if (u.has_query())
    return refuse("contains a query (?...): remove it; request paths and parameters are added "
                  "by the client");
  if (u.has_fragment())
    return refuse("contains a fragment (#...): remove it");

  switch (u.host_type()) {
  case boost::urls::host_type::ipv4:
    o.host = u.host_ipv4_address().to_string();
    break;
  case boost::urls::host_type::ipv6:
    o.host = u.host_ipv6_address().to_string();
    break;
  case boost::urls::host_type::name: {
    const auto name = u.encoded_host();
    if (name.empty())
      return refuse(shown(url) + " has an empty host: expected " + std::string(u.scheme()) +
                    "://host[:port][/prefix]");
    if (!is_plain_host_name(name))
      return refuse(shown(url) + " has an invalid host name: use letters, digits, '-' and '.' "
                                 "(a DNS name) or an IP address");
    o.host = std::string(name);
    break;
  }
  case boost::urls::host_type::none:
    return refuse(shown(url) + " has an empty host: expected " + std::string(u.scheme()) +
                  "://host[:port][/prefix]");
  default: // ipvfuture
    return refuse(shown(url) + " has an unsupported host address format");
  }

  o.port = default_port(o.tls);
  if (u.has_port()) {
    const auto port = u.port();
    unsigned long value = 0;
    bool ok = !port.empty() && port.size() <= 5;
    for (const char c : port)
      value = value * 10 + static_cast<unsigned long>(c - '0'); // the grammar allows DIGIT only
    ok = ok && value >= 1 && value <= 65535;
    if (!ok)
      return refuse(shown(url) + " has an invalid port: use a number from 1 to 65535, or omit "
                                 "it for the scheme's default");
    o.port = static_cast<std::uint16_t>(value);
  }

  std::string_view path = u.encoded_path();
  // After an authority the path is empty or starts with '/' (RFC 3986 3.3). Boost.URL 1.81 does
  // not enforce it (boostorg/url#636): "https://host:443x/y" parses as port 443, path "x/y".
  if (!path.empty() && path.front() != '/')
    return refuse(shown(url) + " is not a valid URL: expected scheme://host[:port][/prefix], e.g. "
                               "https://api.talkory.ai");
  if (has_dot_segment(path))
    return refuse(shown(url) + " has '.' or '..' path segments: give the prefix literally");
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  o.path_prefix = std::string(path);

  const bool bracketed = u.host_type() == boost::urls::host_type::ipv6;
  o.host_header = bracketed ? "[" + o.host + "]" : o.host;
  if (o.port != default_port(o.tls))
    o.host_header += ":" + std::to_string(o.port);
  return o;
}

} // namespace talkory::detail
