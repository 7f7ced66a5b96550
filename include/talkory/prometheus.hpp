// client_stats in the Prometheus text exposition format, for the embedding server's /metrics.
#pragma once

#include <string>
#include <string_view>

#include <talkory/stats.hpp>

namespace talkory {

/// Renders every field of `stats` in the Prometheus text exposition format 0.0.4: for each, a
/// "# HELP" line, a "# TYPE" line and the value line, each ending in '\n'. The monotonic
/// counters are of type counter and named `prefix` + field + "_total" (e.g.
/// talkory_calls_started_total); connections_idle and connections_active are gauges named
/// `prefix` + field. `prefix` should be a valid metric-name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*):
/// any other character becomes '_', and a leading digit gets a '_' in front, so the output is
/// always valid. Serve it with Content-Type: text/plain; version=0.0.4.
std::string to_prometheus(const client_stats& stats, std::string_view prefix = "talkory_");

} // namespace talkory
