// fleet.redis_url parsed with Boost.URL: one place that says what a usable Redis address is.
#include "fleet/redis_url.hpp"

#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "client_errors.hpp"

namespace talkory::detail {

namespace {

api_error bad_url(std::string_view why) {
  return client_error(errc::invalid_options,
                      "fleet.redis_url " + std::string(why) +
                          ": write redis://host:port[/db], e.g. redis://127.0.0.1:6379/0");
}

} // namespace

result<redis_address> parse_redis_url(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    return std::unexpected(bad_url("is not a URL"));
  const auto& u = *parsed;
  if (u.scheme() == "rediss")
    return std::unexpected(client_error(
        errc::invalid_options,
        "fleet.redis_url uses rediss:// (TLS), which hiredis 0.14 (Debian 12) cannot speak: use "
        "redis:// to a Redis on a trusted network, or a local TLS tunnel (stunnel, spiped)"));
  if (u.scheme() != "redis")
    return std::unexpected(bad_url("must start with redis://"));
  if (u.has_userinfo())
    return std::unexpected(client_error(errc::invalid_options,
                                        "fleet.redis_url must not hold a user or password: put the "
                                        "password in an environment variable and name it in "
                                        "fleet.password_env"));
  if (u.has_query() || u.has_fragment())
    return std::unexpected(bad_url("must not have a query or fragment"));
  redis_address out;
  out.host = u.encoded_host_address();
  if (!out.host.empty() && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty())
    return std::unexpected(bad_url("has no host"));
  if (u.has_port()) {
    const auto port = u.port_number();
    if (port == 0)
      return std::unexpected(bad_url("has a port that is not 1..65535"));
    out.port = port;
  }
  std::string_view path = u.encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    int db = -1;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db < 0 || db > 15)
      return std::unexpected(bad_url("has a database that is not a number from 0 to 15"));
    out.db = db;
  }
  return out;
}

} // namespace talkory::detail
