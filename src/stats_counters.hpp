// The counters behind client_stats, bumped from many strands.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include <talkory/stats.hpp>

namespace talkory::detail {

struct stats_counters {
  std::atomic<std::uint64_t> calls_started{0}, calls_succeeded{0}, calls_failed{0}, requests{0},
      requests_on_reused{0}, connections_opened{0}, handshakes_full{0}, handshakes_resumed{0},
      stale_retries{0}, retries{0}, pool_waits{0}, rate_limit_waits{0}, cache_hits{0},
      stale_answers{0}, coalesced_calls{0}, fleet_fallbacks{0};

  /// The counters (the pool's gauges are the caller's to fill in).
  client_stats snapshot() const {
    using atomic = std::atomic<std::uint64_t> stats_counters::*;
    using field = std::uint64_t client_stats::*;
    // Each counter and the client_stats field it fills, three to a line.
    // clang-format off
    static constexpr std::pair<atomic, field> fields[] = {
        {&stats_counters::calls_started, &client_stats::calls_started}, {&stats_counters::calls_succeeded, &client_stats::calls_succeeded}, {&stats_counters::calls_failed, &client_stats::calls_failed},
        {&stats_counters::requests, &client_stats::requests}, {&stats_counters::requests_on_reused, &client_stats::requests_on_reused}, {&stats_counters::connections_opened, &client_stats::connections_opened},
        {&stats_counters::handshakes_full, &client_stats::handshakes_full}, {&stats_counters::handshakes_resumed, &client_stats::handshakes_resumed}, {&stats_counters::stale_retries, &client_stats::stale_retries},
        {&stats_counters::retries, &client_stats::retries}, {&stats_counters::pool_waits, &client_stats::pool_waits}, {&stats_counters::rate_limit_waits, &client_stats::rate_limit_waits},
        {&stats_counters::cache_hits, &client_stats::cache_hits}, {&stats_counters::stale_answers, &client_stats::stale_answers}, {&stats_counters::coalesced_calls, &client_stats::coalesced_calls},
        {&stats_counters::fleet_fallbacks, &client_stats::fleet_fallbacks}};
    // clang-format on
    client_stats s;
    for (const auto& [from, to] : fields)
      s.*to = (this->*from).load(std::memory_order_relaxed);
    return s;
  }
};

} // namespace talkory::detail
