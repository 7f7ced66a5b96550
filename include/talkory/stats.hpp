// Counters a client keeps about its own work: enough to see reuse, waits and retries.
#pragma once

#include <cstdint>

namespace talkory {

/// A snapshot from client::stats(). Every field but the two gauges (connections_idle,
/// connections_active) is a monotonic counter since the client was constructed; to_prometheus()
/// (talkory/prometheus.hpp) renders them all. The fields are read one by one, not as one atomic
/// snapshot, so two of them may disagree by a call in flight.
struct client_stats {
  std::uint64_t calls_started = 0;      ///< calls started (async_health, health), every one: cache
                                        ///< hits, shared calls and calls refused at once included
  std::uint64_t calls_succeeded = 0;    ///< calls completed with a result (a stale answer included)
  std::uint64_t calls_failed = 0;       ///< calls completed with an error, cancellations included
  std::uint64_t requests = 0;           ///< HTTP requests written, retries and replays included
  std::uint64_t requests_on_reused = 0; ///< ... on a connection that had served a request before
  std::uint64_t connections_opened = 0; ///< TCP connections established
  std::uint64_t handshakes_full = 0;    ///< TLS handshakes without session resumption
  std::uint64_t handshakes_resumed = 0; ///< TLS handshakes that resumed an earlier session
  std::uint64_t stale_retries = 0; ///< requests replayed once because a pooled connection was dead
  std::uint64_t retries = 0;       ///< retry attempts (backoff followed)
  std::uint64_t pool_waits = 0;    ///< acquisitions that had to wait for a connection
  std::uint64_t rate_limit_waits = 0; ///< attempts that waited for a limiter token
  std::uint64_t cache_hits = 0;       ///< calls answered from the cache without a request
  std::uint64_t stale_answers = 0;    ///< calls answered with a stale report after a failed refresh
  std::uint64_t coalesced_calls = 0;  ///< calls that shared another call's request in flight
  std::uint64_t fleet_fallbacks = 0;  ///< fleet mode: limiter acquisitions served by the local
                                      ///< fallback limiter because Redis was unavailable
  std::uint64_t connections_idle = 0; ///< gauge: now idle in the pool
  std::uint64_t connections_active = 0;       ///< gauge: now lent to a call or being opened
  std::uint64_t idle_connections_retired = 0; ///< idle ones closed at once because the peer closed
                                              ///< or reset them or sent unsolicited bytes
};

} // namespace talkory
