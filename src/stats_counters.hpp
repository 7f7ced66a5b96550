// The counters behind client_stats, bumped from many strands.
#pragma once

#include <atomic>
#include <cstdint>

#include <talkory/stats.hpp>

namespace talkory::detail {

struct stats_counters {
  std::atomic<std::uint64_t> calls_started{0}, calls_succeeded{0}, calls_failed{0}, requests{0},
      requests_on_reused{0}, connections_opened{0}, handshakes_full{0}, handshakes_resumed{0},
      stale_retries{0}, retries{0}, pool_waits{0}, rate_limit_waits{0};

  /// The counters (the pool's gauges are the caller's to fill in).
  client_stats snapshot() const {
    client_stats s;
    s.calls_started = calls_started;
    s.calls_succeeded = calls_succeeded;
    s.calls_failed = calls_failed;
    s.requests = requests;
    s.requests_on_reused = requests_on_reused;
    s.connections_opened = connections_opened;
    s.handshakes_full = handshakes_full;
    s.handshakes_resumed = handshakes_resumed;
    s.stale_retries = stale_retries;
    s.retries = retries;
    s.pool_waits = pool_waits;
    s.rate_limit_waits = rate_limit_waits;
    return s;
  }
};

} // namespace talkory::detail
