// Which event each poll produces: snapshot, change, error, recovered, nothing; and hysteresis.
#include "watch_state.hpp"

#include <boost/test/unit_test.hpp>

#include "unit/report_builder.hpp"

using namespace talkory;
using talkory::detail::watch_state;
using talkory::test::at;
using talkory::test::five;
using talkory::test::moved;
using talkory::test::report_of;
using kind = enum health_event::kind;

namespace {

/// The kind of the event a poll produced as a word, for readable sequences: "none" when there was
/// no event.
std::string name_of(const std::optional<health_event>& e) {
  return e ? std::string(to_string(e->kind)) : "none";
}

std::string name_of(const health_event& e) {
  return std::string(to_string(e.kind));
}

} // namespace

BOOST_AUTO_TEST_SUITE(watch_state_tests)

BOOST_AUTO_TEST_CASE(the_first_report_is_a_snapshot) {
  watch_state s(1);
  const auto e = s.on_report(five({"grok"}), at(1));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::snapshot);
  BOOST_TEST((e->observed_at == at(1)));
  BOOST_TEST_REQUIRE(e->report.has_value());
  BOOST_TEST(e->report->find("grok")->raw_status == "error");
  BOOST_TEST(e->changes.empty());
  BOOST_TEST(!e->status_from.has_value());
  BOOST_TEST(!e->error.has_value());
}

BOOST_AUTO_TEST_CASE(an_unchanged_report_makes_no_event) {
  watch_state s(1);
  s.on_report(five(), at(1));
  BOOST_TEST(!s.on_report(five({}, 2), at(2)).has_value()); // a new checkedAt is no change
  BOOST_TEST(!s.on_report(five({}, 3), at(3)).has_value());
}

BOOST_AUTO_TEST_CASE(a_provider_change_is_a_change_with_its_transition_and_the_overall_status) {
  watch_state s(1);
  s.on_report(five(), at(1));
  const auto e = s.on_report(five({"grok"}), at(2));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::change);
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("grok", "ok", "error")));
  BOOST_TEST_REQUIRE(e->status_from.has_value());
  BOOST_TEST(*e->status_from == "ok");
  BOOST_TEST(e->report->raw_status == "degraded");
}

BOOST_AUTO_TEST_CASE(a_second_failing_provider_changes_no_overall_status) {
  watch_state s(1);
  s.on_report(five({"grok"}), at(1));
  const auto e = s.on_report(five({"grok", "gpt"}), at(2));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("gpt", "ok", "error")));
  BOOST_TEST(!e->status_from.has_value());
}

BOOST_AUTO_TEST_CASE(an_overall_status_change_alone_is_a_change) {
  watch_state s(1);
  s.on_report(report_of("ok", {{"gpt", "ok"}}), at(1));
  const auto e = s.on_report(report_of("maintenance", {{"gpt", "ok"}}), at(2));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::change);
  BOOST_TEST(e->changes.empty());
  BOOST_TEST(e->status_from.value_or("") == "ok");
}

BOOST_AUTO_TEST_CASE(appearing_and_disappearing_providers_are_transitions_from_and_to_absent) {
  watch_state s(1);
  s.on_report(report_of("ok", {{"gpt", "ok"}, {"grok", "ok"}}), at(1));
  const auto e = s.on_report(report_of("ok", {{"gpt", "ok"}, {"mistral", "ok"}}), at(2));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST_REQUIRE(e->changes.size() == 2u);
  BOOST_TEST((e->changes[0] == moved("mistral", std::nullopt, "ok")));
  BOOST_TEST((e->changes[1] == moved("grok", "ok", std::nullopt)));
}

BOOST_AUTO_TEST_CASE(every_failed_poll_is_an_error_event) {
  watch_state s(1);
  s.on_report(five(), at(1));
  for (int i = 2; i < 5; ++i) {
    const auto e = s.on_error(test::failure(), at(i));
    BOOST_TEST(e.kind == kind::error);
    BOOST_TEST_REQUIRE(e.error.has_value());
    BOOST_TEST(e.error->code == errc::service_unavailable);
    BOOST_TEST((e.observed_at == at(i)));
    BOOST_TEST(!e.report.has_value());
  }
}

BOOST_AUTO_TEST_CASE(the_good_report_after_errors_is_recovered_even_without_changes) {
  watch_state s(1);
  s.on_report(five(), at(1));
  s.on_error(test::failure(), at(2));
  s.on_error(test::failure(), at(3));
  const auto e = s.on_report(five(), at(4));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::recovered);
  BOOST_TEST(e->changes.empty());
  BOOST_TEST(!e->status_from.has_value());
  BOOST_TEST(e->report.has_value());
  BOOST_TEST(!s.on_report(five(), at(5)).has_value()); // recovered only once
}

BOOST_AUTO_TEST_CASE(recovered_lists_the_changes_since_the_last_good_report) {
  watch_state s(1);
  s.on_report(five({"grok"}), at(1));
  s.on_error(test::failure(), at(2));
  const auto e = s.on_report(five({"gemini"}), at(3));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::recovered);
  BOOST_TEST_REQUIRE(e->changes.size() == 2u);
  BOOST_TEST((e->changes[0] == moved("gemini", "ok", "error")));
  BOOST_TEST((e->changes[1] == moved("grok", "error", "ok")));
  BOOST_TEST(!e->status_from.has_value()); // degraded both times
}

BOOST_AUTO_TEST_CASE(errors_before_the_first_good_report_lead_to_a_snapshot) {
  watch_state s(1);
  s.on_error(test::failure(), at(1));
  const auto e = s.on_report(five(), at(2));
  BOOST_TEST(name_of(e) == "snapshot");
}

BOOST_AUTO_TEST_CASE(a_scripted_sequence_gives_exactly_the_expected_events) {
  watch_state s(1);
  std::vector<std::string> got;
  got.push_back(name_of(s.on_report(five(), at(1))));
  got.push_back(name_of(s.on_report(five(), at(2))));
  got.push_back(name_of(s.on_report(five({"grok"}), at(3))));
  got.push_back(name_of(s.on_report(five({"grok"}), at(4))));
  got.push_back(name_of(s.on_error(test::failure(), at(5))));
  got.push_back(name_of(s.on_report(five({"grok"}), at(6))));
  got.push_back(name_of(s.on_report(five(), at(7))));
  got.push_back(name_of(s.on_report(five(), at(8))));
  const std::vector<std::string> expected{"snapshot", "none",      "change", "none",
                                          "error",    "recovered", "change", "none"};
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(with_two_confirmations_a_single_blip_is_not_reported) {
  watch_state s(2);
  s.on_report(five(), at(1));
  BOOST_TEST(!s.on_report(five({"grok"}), at(2)).has_value());
  BOOST_TEST(!s.on_report(five(), at(3)).has_value());
  BOOST_TEST(!s.on_report(five({"grok"}), at(4)).has_value());
  BOOST_TEST(!s.on_report(five(), at(5)).has_value());
}

BOOST_AUTO_TEST_CASE(with_two_confirmations_a_held_change_is_reported_on_its_second_poll) {
  watch_state s(2);
  s.on_report(five(), at(1));
  BOOST_TEST(!s.on_report(five({"grok"}), at(2)).has_value());
  const auto e = s.on_report(five({"grok"}), at(3));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::change);
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("grok", "ok", "error")));
  BOOST_TEST(e->status_from.value_or("") == "ok");
  BOOST_TEST(!s.on_report(five({"grok"}), at(4)).has_value());
}

BOOST_AUTO_TEST_CASE(with_three_confirmations_a_return_restarts_the_count) {
  watch_state s(3);
  s.on_report(five(), at(1));
  BOOST_TEST(!s.on_report(five({"grok"}), at(2)).has_value());
  BOOST_TEST(!s.on_report(five({"grok"}), at(3)).has_value());
  BOOST_TEST(!s.on_report(five(), at(4)).has_value()); // back: the run of two is lost
  BOOST_TEST(!s.on_report(five({"grok"}), at(5)).has_value());
  BOOST_TEST(!s.on_report(five({"grok"}), at(6)).has_value());
  const auto e = s.on_report(five({"grok"}), at(7));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST((e->changes.at(0) == moved("grok", "ok", "error")));
}

BOOST_AUTO_TEST_CASE(with_three_confirmations_another_new_status_restarts_the_count) {
  watch_state s(3);
  s.on_report(report_of("ok", {{"gpt", "ok"}}), at(1));
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "error"}}), at(2)).has_value());
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "error"}}), at(3)).has_value());
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "maintenance"}}), at(4)).has_value());
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "maintenance"}}), at(5)).has_value());
  const auto e = s.on_report(report_of("ok", {{"gpt", "maintenance"}}), at(6));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST((e->changes.at(0) == moved("gpt", "ok", "maintenance")));
}

BOOST_AUTO_TEST_CASE(confirmations_never_delay_the_snapshot) {
  watch_state s(3);
  BOOST_TEST(name_of(s.on_report(five({"grok"}), at(1))) == "snapshot");
}

BOOST_AUTO_TEST_CASE(failed_polls_neither_count_nor_break_a_confirmation_run) {
  watch_state s(2);
  s.on_report(five(), at(1));
  BOOST_TEST(!s.on_report(five({"grok"}), at(2)).has_value());
  s.on_error(test::failure(), at(3));
  const auto e = s.on_report(five({"grok"}), at(4));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::recovered);
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("grok", "ok", "error")));
}

BOOST_AUTO_TEST_CASE(with_confirmations_recovered_reports_only_confirmed_changes) {
  watch_state s(2);
  s.on_report(five(), at(1));
  s.on_error(test::failure(), at(2));
  const auto e = s.on_report(five({"grok"}), at(3)); // grok's error is not confirmed yet
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->kind == kind::recovered);
  BOOST_TEST(e->changes.empty());
  BOOST_TEST(!e->status_from.has_value());
}

BOOST_AUTO_TEST_CASE(a_disappearance_is_confirmed_like_any_status) {
  watch_state s(2);
  s.on_report(report_of("ok", {{"gpt", "ok"}, {"grok", "ok"}}), at(1));
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "ok"}}), at(2)).has_value());
  const auto e = s.on_report(report_of("ok", {{"gpt", "ok"}}), at(3));
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("grok", "ok", std::nullopt)));
  BOOST_TEST_REQUIRE(s.confirmed().has_value());
  BOOST_TEST(s.confirmed()->find("grok") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_provider_seen_once_then_gone_leaves_no_trace) {
  watch_state s(2);
  s.on_report(report_of("ok", {{"gpt", "ok"}}), at(1));
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "ok"}, {"new", "ok"}}), at(2)).has_value());
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "ok"}}), at(3)).has_value());
  BOOST_TEST(!s.on_report(report_of("ok", {{"gpt", "ok"}, {"new", "ok"}}), at(4)).has_value());
  BOOST_TEST(s.on_report(report_of("ok", {{"gpt", "ok"}, {"new", "ok"}}), at(5)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
