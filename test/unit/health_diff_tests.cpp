// Transitions between two reports: by provider, on the server's strings, absent as nullopt.
#include "health_diff.hpp"

#include <boost/test/unit_test.hpp>

#include "unit/report_builder.hpp"

using namespace talkory;
using talkory::detail::diff_providers;
using talkory::detail::overall_change;
using talkory::detail::view_of;
using talkory::test::moved;
using talkory::test::report_of;

BOOST_AUTO_TEST_SUITE(health_diff_tests)

BOOST_AUTO_TEST_CASE(identical_reports_have_no_transitions) {
  const auto a = view_of(test::five({"grok"}, 1));
  const auto b = view_of(test::five({"grok"}, 2)); // only checkedAt differs
  BOOST_TEST(diff_providers(a, b).empty());
  BOOST_TEST(!overall_change(a, b).has_value());
}

BOOST_AUTO_TEST_CASE(a_changed_provider_is_one_transition_with_the_servers_strings) {
  const auto changes = diff_providers(view_of(test::five()), view_of(test::five({"grok"})));
  BOOST_TEST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0] == moved("grok", "ok", "error")));
}

BOOST_AUTO_TEST_CASE(an_appearing_provider_comes_from_absent) {
  const auto before = view_of(report_of("ok", {{"gpt", "ok"}}));
  const auto after = view_of(report_of("ok", {{"gpt", "ok"}, {"mistral", "ok"}}));
  const auto changes = diff_providers(before, after);
  BOOST_TEST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0] == moved("mistral", std::nullopt, "ok")));
}

BOOST_AUTO_TEST_CASE(a_disappearing_provider_goes_to_absent_after_the_present_ones) {
  const auto before = view_of(report_of("ok", {{"gpt", "ok"}, {"grok", "ok"}, {"claude", "ok"}}));
  const auto after = view_of(report_of("degraded", {{"claude", "error"}, {"gpt", "ok"}}));
  const auto changes = diff_providers(before, after);
  BOOST_TEST_REQUIRE(changes.size() == 2u);
  BOOST_TEST((changes[0] == moved("claude", "ok", "error")));
  BOOST_TEST((changes[1] == moved("grok", "ok", std::nullopt)));
}

BOOST_AUTO_TEST_CASE(transitions_follow_the_new_reports_order) {
  const auto before = view_of(report_of("ok", {{"a", "ok"}, {"b", "ok"}}));
  const auto after = view_of(report_of("degraded", {{"b", "error"}, {"a", "error"}}));
  const auto changes = diff_providers(before, after);
  BOOST_TEST_REQUIRE(changes.size() == 2u);
  BOOST_TEST(changes[0].provider == "b");
  BOOST_TEST(changes[1].provider == "a");
}

BOOST_AUTO_TEST_CASE(unknown_statuses_compare_by_the_servers_string) {
  const auto before = view_of(report_of("ok", {{"gpt", "maintenance"}}));
  const auto after = view_of(report_of("ok", {{"gpt", "throttled"}}));
  const auto changes = diff_providers(before, after);
  BOOST_TEST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0] == moved("gpt", "maintenance", "throttled")));
}

BOOST_AUTO_TEST_CASE(a_parsed_status_without_the_raw_string_still_compares) {
  auto r = test::five();
  for (auto& p : r.providers)
    p.raw_status.clear();
  r.raw_status.clear();
  const auto view = view_of(r);
  BOOST_TEST(view.overall == "ok");
  BOOST_TEST(*view.find("gpt") == "ok");
}

BOOST_AUTO_TEST_CASE(overall_change_names_the_previous_status) {
  const auto change = overall_change(view_of(test::five()), view_of(test::five({"grok"})));
  BOOST_TEST_REQUIRE(change.has_value());
  BOOST_TEST(*change == "ok");
}

BOOST_AUTO_TEST_CASE(a_provider_listed_twice_keeps_its_first_entry) {
  const auto view = view_of(report_of("ok", {{"gpt", "ok"}, {"gpt", "error"}}));
  BOOST_TEST_REQUIRE(view.providers.size() == 1u);
  BOOST_TEST(view.providers[0].second == "ok");
}

BOOST_AUTO_TEST_SUITE_END()
