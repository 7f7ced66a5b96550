// Builds health reports and reads events for the watcher's unit tests, without any I/O.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <talkory/health.hpp>
#include <talkory/watch.hpp>

namespace talkory::test {

/// A report whose overall status is `overall` and whose providers are `providers`, in order;
/// statuses are kept as the server's strings (raw_status) and parsed like the codec does.
inline health_report report_of(std::string overall,
                               std::initializer_list<std::pair<const char*, const char*>> providers,
                               int checked_second = 0) {
  health_report r;
  r.raw_status = overall;
  r.status = overall == "ok"         ? health_status::ok
             : overall == "degraded" ? health_status::degraded
                                     : health_status::unknown;
  r.checked_at = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + std::chrono::hours{10} +
                 std::chrono::seconds{checked_second};
  for (const auto& [name, status] : providers) {
    provider_health p;
    p.name = name;
    p.raw_status = status;
    p.status = p.raw_status == "ok"      ? provider_status::ok
               : p.raw_status == "error" ? provider_status::error
                                         : provider_status::unknown;
    r.providers.push_back(std::move(p));
  }
  return r;
}

/// The five providers of the documentation, all ok except those named in `failing`.
inline health_report five(std::initializer_list<const char*> failing = {}, int checked_second = 0) {
  auto r = report_of(
      "ok",
      {{"gpt", "ok"}, {"claude", "ok"}, {"gemini", "ok"}, {"grok", "ok"}, {"perplexity", "ok"}},
      checked_second);
  for (const char* name : failing) {
    for (auto& p : r.providers) {
      if (p.name == name) {
        p.raw_status = "error";
        p.status = provider_status::error;
      }
    }
  }
  if (failing.size() > 0) {
    r.raw_status = "degraded";
    r.status = health_status::degraded;
  }
  return r;
}

inline provider_transition moved(std::string provider, std::optional<std::string> from,
                                 std::optional<std::string> to) {
  return {std::move(provider), std::move(from), std::move(to)};
}

inline api_error failure(errc code = errc::service_unavailable, int http_status = 503) {
  api_error e;
  e.code = code;
  e.http_status = http_status;
  e.origin = http_status ? error_origin::server : error_origin::client;
  e.message = "Temporary outage.";
  e.request_id = "req_0000beef";
  return e;
}

inline std::chrono::sys_time<std::chrono::milliseconds> at(int second) {
  return std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + std::chrono::hours{10} +
         std::chrono::seconds{second};
}

} // namespace talkory::test
