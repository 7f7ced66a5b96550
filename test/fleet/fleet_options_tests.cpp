// fleet_options validation (what a wrong setting says to do) and the derived Redis key names.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <sstream>
#include <string>

#include <talkory/options.hpp>

#include "fleet/fleet_keys.hpp"
#include "fleet/redis_url.hpp"

namespace {

talkory::client_options fleet_options(std::string url) {
  talkory::client_options o;
  o.api_key = "tk_live_SECRETSENTINEL0000000000000000";
  o.fleet.redis_url = std::move(url);
  return o;
}

std::string problem(const talkory::client_options& o) {
  const auto e = o.validate();
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((e->code == talkory::errc::invalid_options));
  return e->message;
}

bool says(const std::string& message, std::string_view text) {
  return message.find(text) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_options_tests)

BOOST_AUTO_TEST_CASE(fleet_mode_is_off_by_default_and_a_plain_url_is_accepted) {
  talkory::client_options o;
  o.api_key = "tk_live_SECRETSENTINEL0000000000000000";
  BOOST_TEST(o.fleet.redis_url.empty());
  BOOST_TEST(!o.validate().has_value());
  BOOST_TEST(!fleet_options("redis://127.0.0.1:6379/2").validate().has_value());
  BOOST_TEST(!fleet_options("redis://redis.internal").validate().has_value());
}

BOOST_AUTO_TEST_CASE(the_url_parts_are_parsed) {
  const auto a = talkory::detail::parse_redis_url("redis://[::1]:7000/3");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "::1");
  BOOST_TEST(a->port == 7000);
  BOOST_TEST(a->db == 3);
  const auto d = talkory::detail::parse_redis_url("redis://localhost");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->port == 6379);
  BOOST_TEST(d->db == 0);
}

BOOST_AUTO_TEST_CASE(tls_urls_are_refused_saying_hiredis_has_no_tls) {
  BOOST_TEST(says(problem(fleet_options("rediss://127.0.0.1:6379")), "hiredis 0.14"));
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_is_refused_for_password_env) {
  const auto m = problem(fleet_options("redis://:hunter2@127.0.0.1:6379"));
  BOOST_TEST(says(m, "fleet.password_env"));
  BOOST_TEST(!says(m, "hunter2"));
}

BOOST_AUTO_TEST_CASE(bad_urls_say_what_to_write) {
  for (const auto* url : {"http://127.0.0.1:6379", "redis://127.0.0.1:6379/16",
                          "redis://127.0.0.1:6379/x", "redis://127.0.0.1:6379?db=1", "redis://"})
    BOOST_TEST(says(problem(fleet_options(url)), "redis://host:port[/db]"), url);
}

BOOST_AUTO_TEST_CASE(fleet_settings_out_of_range_are_named) {
  auto o = fleet_options("redis://127.0.0.1:6379");
  o.fleet.expected_processes = 0;
  BOOST_TEST(says(problem(o), "fleet.expected_processes"));
  o = fleet_options("redis://127.0.0.1:6379");
  o.fleet.command_timeout = talkory::milliseconds{0};
  BOOST_TEST(says(problem(o), "fleet.command_timeout"));
  o = fleet_options("redis://127.0.0.1:6379");
  o.fleet.max_reconnect_backoff = talkory::milliseconds{10};
  BOOST_TEST(says(problem(o), "fleet.max_reconnect_backoff"));
  o = fleet_options("redis://127.0.0.1:6379");
  o.rate_limit.enabled = false;
  BOOST_TEST(says(problem(o), "rate_limit.enabled = true"));
}

BOOST_AUTO_TEST_CASE(an_unset_password_variable_is_named) {
  auto o = fleet_options("redis://127.0.0.1:6379");
  o.fleet.password_env = "TALKORY_TEST_SURELY_UNSET_VARIABLE";
  BOOST_TEST(says(problem(o), "TALKORY_TEST_SURELY_UNSET_VARIABLE"));
  ::setenv("TALKORY_TEST_REDIS_PASSWORD", "s3cret", 1);
  o.fleet.password_env = "TALKORY_TEST_REDIS_PASSWORD";
  BOOST_TEST(!o.validate().has_value());
  std::ostringstream printed;
  printed << o;
  BOOST_TEST(!says(printed.str(), "s3cret"));
  BOOST_TEST(!says(printed.str(), "SECRETSENTINEL"));
  BOOST_TEST(says(printed.str(), "fleet={redis_url=\"redis://127.0.0.1:6379\""));
}

BOOST_AUTO_TEST_CASE(fleet_keys_hide_the_api_key_and_depend_on_key_and_origin) {
  using talkory::detail::make_fleet_keys;
  const std::string key = "tk_live_SECRETSENTINEL0000000000000000";
  const auto a = make_fleet_keys("p:", key, "https://api.talkory.ai:443");
  BOOST_TEST(!says(a.limit, key));
  BOOST_TEST(!says(a.limit, "SECRETSENTINEL"));
  BOOST_TEST(a.limit.starts_with("p:{"));
  BOOST_TEST(a.limit.size() == std::string("p:{}:limit").size() + 64);
  BOOST_TEST(make_fleet_keys("p:", key, "https://api.talkory.ai:443").limit == a.limit);
  BOOST_TEST(make_fleet_keys("p:", key, "https://other.example:443").limit != a.limit);
  BOOST_TEST(make_fleet_keys("p:", key + "1", "https://api.talkory.ai:443").limit != a.limit);
  // The known SHA-256 of "abc", so the digest is the real one.
  BOOST_TEST(talkory::detail::sha256_hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_SUITE_END()
