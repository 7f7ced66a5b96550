// What the mock server knows and decides, without any I/O: keys, rate windows, the health
// snapshot, the script queue and the counters. Guarded by one mutex, so any thread may call it.
#pragma once

#include "testing/chaos.hpp"
#include "testing/responses.hpp"

#include <talkory/testing/mock_server.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace talkory::testing::detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The parts of a fully read request the decision depends on.
struct request_facts {
  std::string_view method;
  std::string_view target;
  std::optional<std::string_view> authorization; // the Authorization field, if present
};

/// What a connection must do for one request. Content-Length and Connection are the session's.
struct planned_response {
  int status = 200;
  std::string body;
  header_list headers;
  std::chrono::milliseconds delay{0};
  fault inject = fault::none;
  bool close = false; // Connection: close, then close the connection
  bool scripted = false;
};

/// Where mock_state reads time and randomness. The server uses the defaults; unit tests pass a
/// manual clock and a fixed seed, so every decision is reproducible without sockets or sleeps.
struct mock_state_sources {
  /// Drives the rate windows and the cache window.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  /// Stamps a new snapshot's checkedAt.
  std::function<std::chrono::system_clock::time_point()> wall_now = [] {
    return std::chrono::system_clock::now();
  };
  /// Seeds the generator of request ids.
  std::uint64_t seed = std::random_device{}();
};

class mock_state {
public:
  explicit mock_state(const mock_server_options& options, mock_state_sources sources = {});

  // Control, from the tests' threads.
  void set_provider_status(const std::string& provider, const std::string& status);
  void invalidate_cache();
  void add_key(mock_key key);
  /// Throws std::invalid_argument for a response HTTP cannot carry (bad status, CR/LF in headers).
  void script(scripted_response response);
  mock_counters counters() const;
  void reset_counters();
  std::vector<std::chrono::steady_clock::time_point> admitted_times() const;
  bool wait_for_no_open_connections(std::chrono::milliseconds bound) const;

  // Provider schedules (mock_state_schedule.cpp).
  /// Throws std::invalid_argument for a fail_with without a documented error.
  void script_provider_statuses(std::vector<status_step> steps);
  std::size_t pending_status_steps() const;
  /// Applies a step's changes now (a timed schedule's step); fail_with is ignored.
  void apply_status_step(const status_step& step);
  /// Flips one provider, chosen at random, between "ok" and "error"; returns its name (empty
  /// when there is no provider).
  std::string flip_random_provider();

  // Decisions, from the server's thread.
  /// The answer to a fully read request: the next scripted response, else the API's behaviour.
  planned_response respond(const request_facts& request);
  /// An error for a request that could not be read (400, 413): always closes the connection.
  planned_response unreadable_request(int status, std::string_view code, std::string_view message);
  /// Counts a response about to be written; true when options.close_every says it must close.
  bool count_response();

  void count_connection_accepted();
  void count_connection_closed();
  void count_handshake(bool resumed);

private:
  using clock = std::chrono::steady_clock;

  struct rate_window {
    clock::time_point start;
    std::size_t used = 0;
    std::deque<clock::time_point> admitted; // sliding_rate_window: admissions within the window
  };
  /// The sliding or fixed window's verdict for one request of `key` at `now`: nullopt when
  /// admitted (limits gets X-RateLimit-Remaining), else the 429.
  std::optional<planned_response> rate_limit(const std::string& key, clock::time_point now,
                                             header_list& limits);
  struct snapshot {
    std::chrono::sys_time<std::chrono::milliseconds> checked_at;
    clock::time_point taken;
  };

  planned_response from_script(scripted_response response);
  planned_response error(int status, std::string_view code, std::string_view message,
                         header_list headers = {});
  planned_response health_with(header_list headers);
  /// The normal answer, or the fault chaos mode draws for it.
  planned_response chaotic(header_list headers);
  /// Applies the next scripted status step, if any; returns its failure, if it has one.
  std::optional<planned_response> take_status_step(header_list& headers);
  void apply_changes(const status_step& step);
  const std::string& checked_at();

  const mock_server_options options_;
  const mock_state_sources sources_;
  mutable std::mutex mutex_;
  mutable std::condition_variable connection_closed_;
  std::unordered_map<std::string, mock_key> keys_;
  std::unordered_map<std::string, rate_window> windows_;
  std::vector<clock::time_point> admitted_; // sliding_rate_window only
  provider_list providers_;
  std::optional<snapshot> snapshot_;
  std::string snapshot_text_;
  std::chrono::sys_time<std::chrono::milliseconds> last_checked_at_{};
  std::deque<scripted_response> script_;
  std::deque<status_step> status_script_;
  mock_counters counters_;
  std::uint64_t responses_written_ = 0;
  std::mt19937_64 random_;
  std::optional<chaos_source> chaos_;
};

} // namespace talkory::testing::detail
