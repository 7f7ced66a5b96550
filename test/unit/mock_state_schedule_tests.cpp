// The mock's provider schedules without sockets: request-driven status steps (one per health
// request, failures in the documented shape) and the random flip of the demo mode.
#include "testing/mock_state.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

namespace {

namespace json = boost::json;
using talkory::testing::mock_server_options;
using talkory::testing::status_change;
using talkory::testing::status_step;
using talkory::testing::detail::mock_state;
using talkory::testing::detail::mock_state_sources;
using talkory::testing::detail::planned_response;

const std::string authorization = std::string("Bearer ") + mock_server_options::demo_key_value;

planned_response get(mock_state& state, bool authorized = true) {
  return state.respond({.method = "GET",
                        .target = "/v1/health/llm",
                        .authorization = authorized ? std::optional<std::string_view>(authorization)
                                                    : std::nullopt});
}

/// provider -> status of a 200 body ("" when absent), and the overall status under "".
std::map<std::string, std::string> statuses(const planned_response& response) {
  BOOST_TEST_REQUIRE(response.status == 200);
  const auto body = json::parse(response.body).as_object();
  std::map<std::string, std::string> out;
  out[""] = std::string(body.at("status").as_string());
  for (const auto& [name, value] : body.at("providers").as_object())
    out[std::string(name)] = std::string(value.at("status").as_string());
  return out;
}

status_step step(std::vector<status_change> changes = {}, int fail_with = 0) {
  status_step s;
  s.changes = std::move(changes);
  s.fail_with = fail_with;
  return s;
}

mock_state_sources fixed_sources() {
  mock_state_sources sources;
  sources.seed = 42;
  return sources;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mock_state_schedule_tests)

BOOST_AUTO_TEST_CASE(each_health_request_applies_the_next_step_first) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({}), step({{"grok", "error"}}), step({{"grok", "ok"}})});
  BOOST_TEST(state.pending_status_steps() == 3u);
  BOOST_TEST(statuses(get(state))["grok"] == "ok");
  const auto second = statuses(get(state));
  BOOST_TEST(second.at("grok") == "error");
  BOOST_TEST(second.at("") == "degraded");
  BOOST_TEST(statuses(get(state))["grok"] == "ok");
  BOOST_TEST(state.pending_status_steps() == 0u);
  BOOST_TEST(statuses(get(state))["grok"] == "ok"); // the last state stays
  BOOST_TEST(state.counters().status_changes == 3u);
  BOOST_TEST(state.counters().health_requests == 4u);
}

BOOST_AUTO_TEST_CASE(a_step_takes_effect_despite_the_cache_window) {
  mock_state state({}, fixed_sources()); // cache_window 5 min: checkedAt would stay stable
  state.script_provider_statuses({step({}), step({{"gpt", "error"}})});
  const auto first = get(state);
  const auto second = get(state);
  BOOST_TEST(json::parse(first.body).at("checkedAt") != json::parse(second.body).at("checkedAt"));
  BOOST_TEST(statuses(second).at("gpt") == "error");
}

BOOST_AUTO_TEST_CASE(a_step_sets_one_provider_with_the_shorthand_then_its_other_changes) {
  mock_state state({}, fixed_sources());
  auto s = step({{"grok", "ok"}, {"gpt", "error"}});
  s.provider = "grok";
  s.status = "error"; // applied first, so the list's grok=ok wins
  state.script_provider_statuses({s});
  const auto got = statuses(get(state));
  BOOST_TEST(got.at("grok") == "ok");
  BOOST_TEST(got.at("gpt") == "error");

  auto only = step();
  only.provider = "claude";
  only.status = "maintenance";
  state.script_provider_statuses({only});
  BOOST_TEST(statuses(get(state)).at("claude") == "maintenance");
}

BOOST_AUTO_TEST_CASE(a_step_can_add_and_remove_providers) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({{"mistral", "ok"}, {"grok", std::nullopt}})});
  const auto got = statuses(get(state));
  BOOST_TEST(got.count("grok") == 0u);
  BOOST_TEST(got.at("mistral") == "ok");
  BOOST_TEST(got.size() == 6u); // five providers, one gone, one new, plus the overall status
}

BOOST_AUTO_TEST_CASE(a_failing_step_answers_with_the_documented_error_shape) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({{"grok", "error"}}, 503), step({})});
  const auto failed = get(state);
  BOOST_TEST(failed.status == 503);
  const auto error = json::parse(failed.body).at("error");
  BOOST_TEST(error.at("code").as_string() == "service_unavailable");
  BOOST_TEST(error.at("status").as_int64() == 503);
  BOOST_TEST(statuses(get(state)).at("grok") == "error"); // the step's changes were applied
}

BOOST_AUTO_TEST_CASE(a_scheduled_429_carries_retry_after) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({}, 429)});
  const auto failed = get(state);
  BOOST_TEST(failed.status == 429);
  BOOST_TEST(std::ranges::any_of(
      failed.headers, [](const auto& h) { return h.first == "Retry-After" && h.second == "1"; }));
}

BOOST_AUTO_TEST_CASE(requests_refused_before_routing_do_not_consume_steps) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({{"grok", "error"}})});
  BOOST_TEST(get(state, false).status == 401);
  BOOST_TEST(state.pending_status_steps() == 1u);
}

BOOST_AUTO_TEST_CASE(an_unsupported_failure_status_is_refused) {
  mock_state state({}, fixed_sources());
  BOOST_CHECK_THROW(state.script_provider_statuses({step({}, 418)}), std::invalid_argument);
  BOOST_TEST(state.pending_status_steps() == 0u);
}

BOOST_AUTO_TEST_CASE(a_new_script_replaces_the_steps_left) {
  mock_state state({}, fixed_sources());
  state.script_provider_statuses({step({{"grok", "error"}}), step({{"gpt", "error"}})});
  state.script_provider_statuses({step({{"claude", "error"}})});
  BOOST_TEST(state.pending_status_steps() == 1u);
  const auto got = statuses(get(state));
  BOOST_TEST(got.at("claude") == "error");
  BOOST_TEST(got.at("grok") == "ok");
}

BOOST_AUTO_TEST_CASE(a_timed_step_applies_its_changes_at_once) {
  mock_state state({}, fixed_sources());
  state.apply_status_step(step({{"gemini", "error"}}, 503)); // fail_with has no meaning here
  BOOST_TEST(statuses(get(state)).at("gemini") == "error");
}

BOOST_AUTO_TEST_CASE(a_flip_toggles_exactly_one_provider_between_ok_and_error) {
  mock_state state({}, fixed_sources());
  const auto before = statuses(get(state));
  const auto flipped = state.flip_random_provider();
  const auto after = statuses(get(state));
  BOOST_TEST_REQUIRE(before.count(flipped) == 1u);
  int differences = 0;
  for (const auto& [name, status] : after)
    differences += name.empty() ? 0 : status != before.at(name);
  BOOST_TEST(differences == 1);
  BOOST_TEST(after.at(flipped) == "error");
  BOOST_TEST(after.at("") == "degraded");
  BOOST_TEST(state.counters().status_changes == 1u);
}

BOOST_AUTO_TEST_CASE(flips_with_the_same_seed_are_reproducible) {
  mock_state a({}, fixed_sources());
  mock_state b({}, fixed_sources());
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(a.flip_random_provider() == b.flip_random_provider());
}

BOOST_AUTO_TEST_SUITE_END()
