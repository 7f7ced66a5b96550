// parse_base_url on arbitrary text (both values of allow_insecure_http), then the request the
// client would send to that origin: the host and prefix end up in the Host header and the
// request target, so they must be safe there.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/beast/http/write.hpp>

#include "base_url.hpp"
#include "fuzz_checks.hpp"
#include "http_message.hpp"

namespace {

using talkory_fuzz::check;

// Printable ASCII without spaces: what may appear in a request target or a Host header.
bool is_token_text(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const bool allow_insecure_http = (data[0] & 1) != 0;
  const std::string_view url(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto o = talkory::detail::parse_base_url(url, allow_insecure_http);
  if (!o) {
    const auto& e = o.error();
    check(e.code == talkory::errc::invalid_options, "parse_base_url error is not invalid_options");
    check(!e.message.empty() && e.message.size() <= 600, "parse_base_url message is not bounded",
          e.message);
    for (const char c : e.message) {
      const auto u = static_cast<unsigned char>(c);
      check(u >= 0x20 && u != 0x7f, "parse_base_url message has a control character", e.message);
    }
    // user:password@host must never be echoed: apart from the library's own wording, no '@'
    // may appear in the message.
    if (url.find('@') != std::string_view::npos) {
      std::string rest = e.message;
      for (const std::string_view own : {"(user:password@)", "contains '@'"})
        if (const auto at = rest.find(own); at != std::string::npos)
          rest.erase(at, own.size());
      check(rest.find('@') == std::string::npos, "parse_base_url echoed a URL with '@'", e.message);
    }
    return 0;
  }

  check(o->tls || allow_insecure_http, "http:// accepted without allow_insecure_http");
  check(!o->host.empty() && is_token_text(o->host), "origin.host is empty or not token text",
        o->host);
  check(o->port >= 1, "origin.port is 0");
  check(is_token_text(o->host_header), "origin.host_header is not token text", o->host_header);
  const bool ipv6 = o->host.find(':') != std::string::npos;
  std::string expected_host_header = ipv6 ? "[" + o->host + "]" : o->host;
  if (o->port != (o->tls ? 443 : 80))
    expected_host_header += ":" + std::to_string(o->port);
  check(o->host_header == expected_host_header, "origin.host_header is not host[:port]",
        o->host_header);
  const auto& prefix = o->path_prefix;
  check(prefix.empty() || (prefix.front() == '/' && prefix.back() != '/'),
        "origin.path_prefix is not \"\" or \"/...\" without a trailing slash", prefix);
  check(is_token_text(prefix), "origin.path_prefix is not token text", prefix);
  check(prefix.find("/../") == std::string::npos && !prefix.ends_with("/..") &&
            prefix.find("/./") == std::string::npos && !prefix.ends_with("/."),
        "origin.path_prefix has a dot segment", prefix);
  (void)o->host_is_ip_literal();

  const std::string target = o->target("/v1/health/llm");
  check(target.starts_with(prefix) && target.ends_with("/v1/health/llm") && is_token_text(target),
        "origin.target is malformed", target);

  // The request the client sends, serialised as on the wire.
  auto request = talkory::detail::make_request(*o, boost::beast::http::verb::get, "/v1/health/llm",
                                               {}, "tk_live_fuzz", "talkory-fuzz");
  std::ostringstream wire;
  wire << request;
  const std::string bytes = wire.str();
  check(bytes.starts_with("GET " + target + " HTTP/1.1\r\n"), "request line is malformed", bytes);
  check(bytes.find("\r\nHost: " + o->host_header + "\r\n") != std::string::npos,
        "Host header is malformed", bytes);
  return 0;
}
