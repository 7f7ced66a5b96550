// talkory-health --watch: runs a health_watcher and prints each event as it happens (text or
// JSON Lines) until SIGINT or SIGTERM. Kept apart from talkory_health.cpp, which only calls it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include <talkory/options.hpp>
#include <talkory/testing/mock_server.hpp>
#include <talkory/watch.hpp>

namespace talkory::cli {

/// What the command line asked of the watch mode.
struct watch_request {
  std::optional<std::chrono::milliseconds> interval; // --interval; default 60 s (demo: 1 s)
  bool json = false;                                 // --json: JSON Lines
  bool demo = false;                                 // --demo: the embedded, flipping mock
  bool verbose = false;                              // --verbose: client statistics at the end
};

/// The poll interval the request means.
std::chrono::milliseconds watch_interval(const watch_request& request);

/// The embedded mock of `--demo --watch`: a provider flips every few seconds (four intervals,
/// within 200 ms and 3 s) and its rate limit is out of the way.
testing::mock_server_options watch_demo_server(const watch_request& request);

/// Runs the watch mode; returns the exit status: 0 after SIGINT or SIGTERM (or when standard
/// output is closed), 2 when the watcher cannot start or its first poll fails with an error
/// polling again cannot fix (is_permanent_error: a wrong key or URL). Transient errors are
/// printed as events and the watch goes on.
int run_watch(client_options options, const watch_request& request, std::string_view program);

/// One event as a JSON Lines object: "event", "observedAt", then "status", "checkedAt",
/// "providers" (and "changes", "statusFrom" when it changed) or "error".
boost::json::object event_to_json(const health_event& event);

} // namespace talkory::cli
