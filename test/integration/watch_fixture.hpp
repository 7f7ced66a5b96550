// Shared set-up of the watcher's integration tests: fast watch options and a reader that waits
// for one event at a time within a bound.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <talkory/watch.hpp>

#include "fixture.hpp"

namespace talkory::test {

/// Polls every `interval` without jitter, one attempt per poll, so that each scripted status
/// step is exactly one poll.
inline watch_options
fast_watch(std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  watch_options o;
  o.interval = interval;
  o.jitter = 0.0;
  o.max_backoff = interval * 8;
  o.poll.max_retries = 0;
  return o;
}

/// A status step for mock_server::script_provider_statuses.
inline testing::status_step step(std::vector<testing::status_change> changes = {},
                                 int fail_with = 0) {
  testing::status_step s;
  s.changes = std::move(changes);
  s.fail_with = fail_with;
  return s;
}

/// One next() at a time, its completions counted; the state is shared with the handler, so an
/// event that arrives after the test gave up cannot touch a dead frame.
struct event_reader {
  struct slot {
    int completions = 0;
    std::optional<health_event> event;
  };
  std::shared_ptr<slot> pending;

  void start(health_watcher& w) {
    pending = std::make_shared<slot>();
    w.async_next([s = pending](health_event e) {
      ++s->completions;
      s->event = std::move(e);
    });
  }
  bool done() const { return pending && pending->completions > 0; }

  /// The next event, or nothing when none came within `bound`.
  std::optional<health_event> next(boost::asio::io_context& ioc, health_watcher& w,
                                   std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    start(w);
    if (!run_until(
            ioc, [&] { return done(); }, bound))
      return std::nullopt;
    return pending->event;
  }
};

/// The event's kind as a word, "none" for no event: makes failures readable.
inline std::string kind_name(const std::optional<health_event>& e) {
  return e ? std::string(to_string(e->kind)) : "none";
}

inline provider_transition moved(std::string provider, std::optional<std::string> from,
                                 std::optional<std::string> to) {
  return {std::move(provider), std::move(from), std::move(to)};
}

} // namespace talkory::test
