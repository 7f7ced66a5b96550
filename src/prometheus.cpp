// client_stats in the Prometheus text exposition format 0.0.4: one table of fields, in the order
// client_stats declares them.
#include <talkory/prometheus.hpp>

#include <array>
#include <cstdint>

namespace talkory {

namespace {

struct metric {
  std::uint64_t client_stats::*field;
  std::string_view name; // the field's name
  bool gauge;            // false: a monotonic counter, exposed with the "_total" suffix
  std::string_view help;
};

// clang-format off
constexpr std::array<metric, 19> metrics{{
    {&client_stats::calls_started, "calls_started", false, "Calls started (async_health and health), cache hits and shared calls included."},
    {&client_stats::calls_succeeded, "calls_succeeded", false, "Calls completed with a result."},
    {&client_stats::calls_failed, "calls_failed", false, "Calls completed with an error, cancellations included."},
    {&client_stats::requests, "requests", false, "HTTP requests written, retries and replays included."},
    {&client_stats::requests_on_reused, "requests_on_reused", false, "HTTP requests written on a keep-alive connection that had served a request before."},
    {&client_stats::connections_opened, "connections_opened", false, "TCP connections established."},
    {&client_stats::handshakes_full, "handshakes_full", false, "TLS handshakes without session resumption."},
    {&client_stats::handshakes_resumed, "handshakes_resumed", false, "TLS handshakes that resumed an earlier session."},
    {&client_stats::stale_retries, "stale_retries", false, "Requests replayed once on a fresh connection because a pooled one turned out closed."},
    {&client_stats::retries, "retries", false, "Retries after a failed attempt (each after its backoff)."},
    {&client_stats::pool_waits, "pool_waits", false, "Connection acquisitions that had to wait for a free pool slot."},
    {&client_stats::rate_limit_waits, "rate_limit_waits", false, "Attempts that waited for a client-side rate-limit token."},
    {&client_stats::cache_hits, "cache_hits", false, "Calls answered from the cache without a request."},
    {&client_stats::stale_answers, "stale_answers", false, "Calls answered with a stale cached report after a failed refresh."},
    {&client_stats::coalesced_calls, "coalesced_calls", false, "Calls that shared another call's request in flight."},
    {&client_stats::fleet_fallbacks, "fleet_fallbacks", false, "Fleet mode: limiter acquisitions served by the local fallback limiter because Redis was unavailable."},
    {&client_stats::connections_idle, "connections_idle", true, "Connections idle in the pool now."},
    {&client_stats::connections_active, "connections_active", true, "Connections lent to a call or being opened now."},
    {&client_stats::idle_connections_retired, "idle_connections_retired", false, "Idle connections closed because the peer closed or reset them or sent unsolicited bytes."},
}};
// clang-format on
static_assert(sizeof(client_stats) == metrics.size() * sizeof(std::uint64_t),
              "every client_stats field has a row");

bool is_name_character(char c, bool first) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// `prefix` made a valid start of a metric name.
std::string metric_prefix(std::string_view prefix) {
  std::string out;
  if (!prefix.empty() && prefix.front() >= '0' && prefix.front() <= '9')
    out += '_';
  for (const char c : prefix)
    out += is_name_character(c, out.empty()) ? c : '_';
  return out;
}

} // namespace

std::string to_prometheus(const client_stats& stats, std::string_view prefix) {
  const auto start = metric_prefix(prefix);
  std::string out;
  for (const auto& m : metrics) {
    std::string name = start;
    name += m.name;
    if (!m.gauge)
      name += "_total";
    out += "# HELP " + name + ' ' + std::string(m.help) + '\n';
    out += "# TYPE " + name + (m.gauge ? " gauge\n" : " counter\n");
    out += name + ' ' + std::to_string(stats.*m.field) + '\n';
  }
  return out;
}

} // namespace talkory
