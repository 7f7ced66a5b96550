// watch_options defaults and validation, event names and lines, and the permanent-error rule.
#include <talkory/watch.hpp>

#include <cmath>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "unit/report_builder.hpp"

using namespace talkory;
using namespace std::chrono_literals;
using talkory::test::five;
using talkory::test::moved;
using kind = enum health_event::kind;

namespace {

std::string line_of(const health_event& e) {
  std::ostringstream os;
  os << e;
  return os.str();
}

std::string why_invalid(const watch_options& o) {
  const auto error = o.validate();
  BOOST_TEST_REQUIRE(error.has_value());
  BOOST_TEST(error->code == errc::invalid_options);
  return error->message;
}

} // namespace

BOOST_AUTO_TEST_SUITE(watch_options_tests)

BOOST_AUTO_TEST_CASE(the_defaults_are_the_documented_ones_and_valid) {
  const watch_options o;
  BOOST_TEST(o.interval.count() == 60'000);
  BOOST_TEST(o.jitter == 0.1);
  BOOST_TEST(o.max_backoff.count() == 300'000);
  BOOST_TEST(o.confirmations == 1u);
  BOOST_TEST(o.max_pending_events == 16u);
  BOOST_TEST(!o.poll.timeout.has_value());
  BOOST_TEST(!o.validate().has_value());
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_with_the_field_named) {
  watch_options o;
  o.interval = 0ms;
  BOOST_TEST(why_invalid(o).find("interval") != std::string::npos);
  o = {};
  o.jitter = 1.5;
  BOOST_TEST(why_invalid(o).find("jitter") != std::string::npos);
  o = {};
  o.jitter = std::nan("");
  BOOST_TEST(why_invalid(o).find("jitter") != std::string::npos);
  o = {};
  o.max_backoff = 1s;
  BOOST_TEST(why_invalid(o).find("max_backoff") != std::string::npos);
  o = {};
  o.confirmations = 0;
  BOOST_TEST(why_invalid(o).find("confirmations") != std::string::npos);
  o = {};
  o.max_pending_events = 2;
  BOOST_TEST(why_invalid(o).find("max_pending_events") != std::string::npos);
  o = {};
  o.poll.timeout = -1ms;
  BOOST_TEST(why_invalid(o).find("poll.timeout") != std::string::npos);
  o = {};
  o.poll.max_retries = -1;
  BOOST_TEST(why_invalid(o).find("poll.max_retries") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(event_kinds_have_their_names) {
  BOOST_TEST(to_string(kind::snapshot) == "snapshot");
  BOOST_TEST(to_string(kind::change) == "change");
  BOOST_TEST(to_string(kind::error) == "error");
  BOOST_TEST(to_string(health_event_kind::recovered) == "recovered");
}

BOOST_AUTO_TEST_CASE(a_snapshot_line_lists_every_provider_in_order) {
  health_event e;
  e.report = five({"grok"});
  BOOST_TEST(line_of(e) ==
             "snapshot degraded (gpt ok, claude ok, gemini ok, grok error, perplexity ok)");
}

BOOST_AUTO_TEST_CASE(a_change_line_lists_transitions_then_the_overall_status) {
  health_event e;
  e.kind = kind::change;
  e.report = five();
  e.changes = {moved("grok", "error", "ok"), moved("mistral", "ok", std::nullopt)};
  e.status_from = "degraded";
  BOOST_TEST(line_of(e) == "change grok error -> ok, mistral ok -> absent; status degraded -> ok");
  e.changes.clear();
  BOOST_TEST(line_of(e) == "change status degraded -> ok");
}

BOOST_AUTO_TEST_CASE(a_recovered_line_says_when_nothing_changed) {
  health_event e;
  e.kind = kind::recovered;
  e.report = five();
  BOOST_TEST(line_of(e) == "recovered no change (ok)");
  e.changes = {moved("gpt", std::nullopt, "ok")};
  BOOST_TEST(line_of(e) == "recovered gpt absent -> ok");
}

BOOST_AUTO_TEST_CASE(an_error_line_is_the_errors_description) {
  health_event e;
  e.kind = kind::error;
  e.error = test::failure();
  BOOST_TEST(line_of(e) == "error " + e.error->describe());
  BOOST_TEST(line_of(e).starts_with("error service_unavailable (HTTP 503)"));
}

BOOST_AUTO_TEST_CASE(server_text_in_a_line_is_bounded_and_printable) {
  health_event e;
  e.kind = kind::change;
  e.report = five();
  e.changes = {moved("evil\x1b[2J\nname", "ok", std::string(500, 'x'))};
  const auto line = line_of(e);
  BOOST_TEST(line.find('\n') == std::string::npos);
  BOOST_TEST(line.find('\x1b') == std::string::npos);
  BOOST_TEST(line.size() < 200u);
}

BOOST_AUTO_TEST_CASE(permanent_errors_are_the_ones_polling_cannot_fix) {
  for (auto code : {errc::invalid_api_key, errc::missing_api_key, errc::insufficient_scope,
                    errc::not_found, errc::invalid_options, errc::tls_error})
    BOOST_TEST(is_permanent_error(test::failure(code, 0)), to_string(code));
  for (auto code :
       {errc::service_unavailable, errc::internal_error, errc::rate_limited, errc::timeout,
        errc::connection_failed, errc::connection_lost, errc::invalid_response})
    BOOST_TEST(!is_permanent_error(test::failure(code, 0)), to_string(code));
  BOOST_TEST(is_permanent_error(test::failure(errc::unknown_api_error, 404))); // a proxy's page
  BOOST_TEST(!is_permanent_error(test::failure(errc::unknown_api_error, 502)));
}

BOOST_AUTO_TEST_CASE(event_lines_list_twenty_items_then_how_many_more_and_stay_safe) {
  health_event snapshot;
  snapshot.kind = kind::snapshot;
  snapshot.report = test::report_of("ok", {});
  for (int i = 0; i < 30; ++i)
    snapshot.report->providers.push_back(
        {"p" + std::to_string(i) + "\xe2\x80\xae", provider_status::ok, "ok"});
  BOOST_TEST(line_of(snapshot).ends_with(", p19? ok, ... 10 more)"), line_of(snapshot));
  BOOST_TEST(line_of(snapshot).find("p20") == std::string::npos);

  health_event change;
  change.kind = kind::change;
  change.report = snapshot.report;
  for (int i = 0; i < 25; ++i)
    change.changes.push_back({"q" + std::to_string(i) + "\xc2\x9b", "ok", std::nullopt});
  BOOST_TEST(
      line_of(change) ==
          [] {
            std::string expected = "change ";
            for (int i = 0; i < 20; ++i)
              expected += (i == 0 ? "" : ", ") + ("q" + std::to_string(i)) + "? ok -> absent";
            return expected + ", ... 5 more";
          }(),
      line_of(change));
}

BOOST_AUTO_TEST_SUITE_END()
