// The bounded event buffer: order below capacity, the merge rule when full, and the property
// that a reader replaying whatever comes out still ends on the latest confirmed state.
#include "event_buffer.hpp"

#include <map>
#include <random>

#include <boost/test/unit_test.hpp>

#include "health_diff.hpp"
#include "unit/report_builder.hpp"
#include "watch_state.hpp"

using namespace talkory;
using talkory::detail::event_buffer;
using talkory::test::at;
using talkory::test::five;
using talkory::test::moved;
using kind = enum health_event::kind;

namespace {

health_event snapshot(int second, health_report r = five()) {
  health_event e;
  e.kind = kind::snapshot;
  e.observed_at = at(second);
  e.report = std::move(r);
  return e;
}

health_event change(int second, std::vector<provider_transition> changes, health_report r = five(),
                    std::optional<std::string> status_from = {}, kind k = kind::change) {
  health_event e;
  e.kind = k;
  e.observed_at = at(second);
  e.report = std::move(r);
  e.changes = std::move(changes);
  e.status_from = std::move(status_from);
  return e;
}

health_event error(int second, std::string request_id = "req_0000beef") {
  health_event e;
  e.kind = kind::error;
  e.observed_at = at(second);
  e.error = test::failure();
  e.error->request_id = std::move(request_id);
  return e;
}

std::vector<health_event> drain(event_buffer& b) {
  std::vector<health_event> out;
  while (auto e = b.pop())
    out.push_back(std::move(*e));
  return out;
}

std::string kinds(const std::vector<health_event>& events) {
  std::string out;
  for (const auto& e : events)
    out += std::string(out.empty() ? "" : " ") + std::string(to_string(e.kind));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_buffer_tests)

BOOST_AUTO_TEST_CASE(below_capacity_events_come_out_in_order_unchanged) {
  event_buffer b(4);
  b.push(snapshot(1));
  b.push(change(2, {moved("grok", "ok", "error")}, five({"grok"}), "ok"));
  b.push(error(3));
  b.push(change(4, {}, five({"grok"}), {}, kind::recovered));
  BOOST_TEST(b.merges() == 0u);
  const auto out = drain(b);
  BOOST_TEST(kinds(out) == "snapshot change error recovered");
  BOOST_TEST(out[1].changes.size() == 1u);
  BOOST_TEST(b.empty());
}

BOOST_AUTO_TEST_CASE(the_capacity_is_at_least_three) {
  BOOST_TEST(event_buffer(0).capacity() == event_buffer::min_capacity);
  BOOST_TEST(event_buffer::min_capacity == 3u);
  BOOST_TEST(event_buffer(16).capacity() == 16u);
}

BOOST_AUTO_TEST_CASE(consecutive_errors_merge_into_the_latest) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(error(2, "req_1"));
  b.push(error(3, "req_2"));
  b.push(error(4, "req_3"));
  const auto out = drain(b);
  BOOST_TEST(kinds(out) == "snapshot error error");
  BOOST_TEST(out[1].error->request_id == "req_1");
  BOOST_TEST(out[2].error->request_id == "req_3");
  BOOST_TEST((out[2].observed_at == at(4)));
}

BOOST_AUTO_TEST_CASE(changes_merge_into_the_union_with_the_earliest_from_and_latest_to) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(change(2, {moved("grok", "ok", "error")}, five({"grok"}), "ok"));
  b.push(change(3, {moved("gemini", "ok", "error")}, five({"grok", "gemini"})));
  b.push(change(4, {moved("grok", "error", "unknown"), moved("gpt", "ok", "error")},
                five({"gemini", "gpt"})));
  const auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot change change");
  BOOST_TEST(out[1].changes.size() == 1u); // untouched: the merge happens at the back
  const auto& merged = out[2];
  BOOST_TEST_REQUIRE(merged.changes.size() == 3u);
  BOOST_TEST((merged.changes[0] == moved("gemini", "ok", "error")));
  BOOST_TEST((merged.changes[1] == moved("grok", "error", "unknown")));
  BOOST_TEST((merged.changes[2] == moved("gpt", "ok", "error")));
  BOOST_TEST((merged.observed_at == at(4)));
  BOOST_TEST(merged.report->find("gpt")->raw_status == "error"); // the latest report
}

BOOST_AUTO_TEST_CASE(a_provider_back_at_its_earlier_status_is_dropped) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(error(2));
  b.push(change(3, {moved("grok", "ok", "error"), moved("gpt", "ok", "error")}, five(), {},
                kind::recovered));
  b.push(change(4, {moved("grok", "error", "ok")}, five({"gpt"})));
  const auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot error recovered");
  BOOST_TEST_REQUIRE(out[2].changes.size() == 1u);
  BOOST_TEST((out[2].changes[0] == moved("gpt", "ok", "error")));
}

BOOST_AUTO_TEST_CASE(a_change_that_cancels_out_disappears) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(change(2, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(change(3, {moved("grok", "ok", "error")}, five({"gpt", "grok"})));
  b.push(change(4, {moved("grok", "error", "ok")}, five({"gpt"})));
  const auto out = drain(b);
  BOOST_TEST(kinds(out) == "snapshot change");
  BOOST_TEST((out[1].changes.at(0) == moved("gpt", "ok", "error")));
}

BOOST_AUTO_TEST_CASE(an_overall_status_that_returns_is_dropped_and_one_that_moves_is_kept) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(error(2));
  b.push(change(3, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(change(4, {moved("gpt", "error", "ok"), moved("grok", "ok", "x")},
                test::report_of("ok", {{"gpt", "ok"}, {"grok", "x"}}), "degraded"));
  auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot error change");
  BOOST_TEST(!out[2].status_from.has_value()); // ok -> degraded -> ok
  BOOST_TEST_REQUIRE(out[2].changes.size() == 1u);

  b.push(snapshot(5));
  b.push(error(6));
  b.push(change(7, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(change(8, {moved("grok", "ok", "error")},
                test::report_of("maintenance", {{"gpt", "error"}, {"grok", "error"}}), "degraded"));
  out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot error change");
  BOOST_TEST(out[2].status_from.value_or("") == "ok"); // ok -> degraded -> maintenance
}

BOOST_AUTO_TEST_CASE(an_error_after_a_change_is_never_swallowed) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(change(2, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(change(3, {moved("grok", "ok", "error")}, five({"gpt", "grok"})));
  b.push(error(4));
  const auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot change error");
  BOOST_TEST(out[1].changes.size() == 2u); // the two changes merged to make room
}

BOOST_AUTO_TEST_CASE(errors_then_recovered_merge_into_recovered) {
  event_buffer b(3);
  b.push(snapshot(1));
  b.push(change(2, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(error(3));
  b.push(change(4, {moved("gpt", "error", "ok")}, five(), "degraded", kind::recovered));
  const auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "snapshot change recovered");
  BOOST_TEST((out[2].changes.at(0) == moved("gpt", "error", "ok")));
  BOOST_TEST(out[2].status_from.value_or("") == "degraded");
}

BOOST_AUTO_TEST_CASE(errors_before_the_snapshot_give_way_to_it_and_it_is_never_merged) {
  event_buffer b(3);
  b.push(error(1));
  b.push(error(2));
  b.push(error(3));
  b.push(snapshot(4));
  b.push(change(5, {moved("gpt", "ok", "error")}, five({"gpt"}), "ok"));
  b.push(change(6, {moved("grok", "ok", "error")}, five({"gpt", "grok"})));
  const auto out = drain(b);
  BOOST_TEST_REQUIRE(kinds(out) == "error snapshot change");
  BOOST_TEST(out[1].report->all_ok()); // the snapshot as it was
  BOOST_TEST(out[2].changes.size() == 2u);
}

BOOST_AUTO_TEST_CASE(never_holds_more_than_its_capacity) {
  std::mt19937 random(7);
  for (std::size_t capacity : {3u, 4u, 16u}) {
    event_buffer b(capacity);
    b.push(snapshot(0));
    for (int i = 1; i < 2000; ++i) {
      if (random() % 3 == 0)
        b.push(error(i));
      else
        b.push(change(i, {moved("p" + std::to_string(random() % 4), "ok", "error")}));
      BOOST_TEST_REQUIRE(b.size() <= capacity);
    }
  }
}

// A reader that starts from the snapshot and applies every change must end on the state the
// watcher confirmed last, whatever was merged on the way, and every `from` must match what it
// held (the events stay consistent).
BOOST_AUTO_TEST_CASE(a_slow_reader_replaying_merged_events_ends_on_the_latest_state) {
  const std::vector<std::string> names{"a", "b", "c"};
  for (std::size_t confirmations : {1u, 2u}) {
    for (std::size_t capacity : {3u, 4u, 7u}) {
      for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 random(seed);
        detail::watch_state state(confirmations);
        event_buffer buffer(capacity);
        std::optional<std::map<std::string, std::string>> seen; // the reader's view
        std::string seen_overall;
        bool consistent = true;
        auto read = [&](const health_event& e) {
          if (e.kind == kind::snapshot) {
            seen.emplace();
            for (const auto& [name, status] : detail::view_of(*e.report).providers)
              (*seen)[name] = status;
            seen_overall = detail::status_text(*e.report);
          } else if (e.kind != kind::error) {
            consistent = consistent && seen.has_value() &&
                         (e.kind == kind::recovered || !e.changes.empty() || e.status_from);
            for (const auto& t : e.changes) {
              const auto it = seen->find(t.provider);
              const std::optional<std::string> held =
                  it == seen->end() ? std::nullopt : std::optional(it->second);
              consistent = consistent && held == t.from && t.from != t.to;
              if (t.to)
                (*seen)[t.provider] = *t.to;
              else
                seen->erase(t.provider);
            }
            // With confirmations > 1 the report may show an overall status not yet confirmed, so
            // the overall "to" is only known exactly without hysteresis.
            if (e.status_from && confirmations == 1) {
              consistent = consistent && *e.status_from == seen_overall;
              seen_overall = detail::status_text(*e.report);
            }
          }
        };
        for (int poll = 0; poll < 300; ++poll) {
          if (random() % 5 == 0) {
            buffer.push(state.on_error(test::failure(), at(poll)));
          } else {
            auto r = test::report_of("ok", {});
            bool all_ok = true;
            for (const auto& name : names) {
              const auto pick = random() % 6;
              if (pick == 0)
                continue; // absent
              provider_health p;
              p.name = name;
              p.raw_status = pick <= 3 ? "ok" : "error";
              all_ok = all_ok && p.raw_status == "ok";
              r.providers.push_back(std::move(p));
            }
            r.raw_status = all_ok ? "ok" : "degraded";
            if (auto e = state.on_report(std::move(r), at(poll)))
              buffer.push(std::move(*e));
          }
          BOOST_TEST_REQUIRE(buffer.size() <= capacity);
          if (random() % 10 == 0) // the reader wakes up now and then
            if (auto e = buffer.pop())
              read(*e);
        }
        while (auto e = buffer.pop())
          read(*e);
        BOOST_TEST_REQUIRE(consistent, "seed " << seed << " capacity " << capacity
                                               << " confirmations " << confirmations);
        BOOST_TEST_REQUIRE(seen.has_value());
        std::map<std::string, std::string> confirmed;
        for (const auto& [name, status] : state.confirmed()->providers)
          confirmed[name] = status;
        BOOST_TEST_REQUIRE((*seen == confirmed), "seed " << seed << " capacity " << capacity);
        if (confirmations == 1)
          BOOST_TEST(seen_overall == state.confirmed()->overall);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
