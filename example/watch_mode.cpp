// The watch mode of talkory-health (see watch_mode.hpp): one line per event, flushed at once.
#include "watch_mode.hpp"

#include <algorithm>
#include <csignal>
#include <exception>
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <talkory/client.hpp>

#include "cli_support.hpp"

namespace talkory::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string status_text(std::string_view raw, std::string_view parsed) {
  return std::string(raw.empty() ? parsed : raw);
}

json::value optional_text(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

/// The error in the API's own shape, exactly its four keys.
json::object error_object(const api_error& error) {
  json::object out;
  out["code"] = to_string(error.code);
  out["message"] = error.message;
  out["status"] = error.http_status;
  out["requestId"] = error.request_id;
  return out;
}

void print_event(const health_event& event, const watch_request& request) {
  if (request.json) {
    std::cout << to_json_text(event_to_json(event)) << '\n';
  } else {
    std::cout << format_iso8601(event.observed_at) << ' ' << event << '\n';
  }
  std::cout.flush(); // one event, one line, at once: usable in a pipe
}

/// The error that ends the watch: its line on stderr and, with --json, its event on stdout.
void print_fatal(const api_error& error, const client_options& options, std::string_view program,
                 const watch_request& request,
                 std::optional<std::chrono::sys_time<std::chrono::milliseconds>> observed_at = {}) {
  std::cerr << program << ": error: " << error.describe() << '\n';
  if (error.code == errc::invalid_options && options.api_key.empty()) {
    std::cerr << program << ": set TALKORY_API_KEY to your API key (tk_live_...), or try --demo\n";
  }
  if (request.json) {
    health_event event;
    event.kind = health_event::kind::error;
    event.observed_at = observed_at.value_or(
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    event.error = error;
    print_event(event, request);
  }
}

bool stopped(const health_event& event) {
  return event.kind == health_event::kind::error && event.error &&
         event.error->code == errc::cancelled;
}

} // namespace

std::chrono::milliseconds watch_interval(const watch_request& request) {
  return request.interval.value_or(request.demo ? 1s : 60s);
}

testing::mock_server_options watch_demo_server(const watch_request& request) {
  testing::mock_server_options options;
  options.flip_every =
      std::clamp<std::chrono::milliseconds>(watch_interval(request) * 4, 200ms, 3s);
  options.rate_limit = 1'000'000;
  return options;
}

json::object event_to_json(const health_event& event) {
  json::object out;
  out["event"] = to_string(event.kind);
  out["observedAt"] = format_iso8601(event.observed_at);
  if (event.kind == health_event::kind::error) {
    out["error"] = event.error ? error_object(*event.error) : json::object{};
    return out;
  }
  if (event.report) {
    const auto& report = *event.report;
    out["status"] = status_text(report.raw_status, to_string(report.status));
    out["checkedAt"] = format_iso8601(report.checked_at);
    json::object providers;
    for (const auto& provider : report.providers) {
      if (!providers.contains(provider.name)) {
        json::object entry;
        entry["status"] = status_text(provider.raw_status, to_string(provider.status));
        providers[provider.name] = std::move(entry);
      }
    }
    out["providers"] = std::move(providers);
  }
  if (event.kind == health_event::kind::snapshot) {
    return out;
  }
  json::array changes;
  for (const auto& t : event.changes) {
    json::object change;
    change["provider"] = t.provider;
    change["from"] = optional_text(t.from);
    change["to"] = optional_text(t.to);
    changes.push_back(std::move(change));
  }
  out["changes"] = std::move(changes);
  if (event.status_from) {
    out["statusFrom"] = *event.status_from;
  }
  return out;
}

int run_watch(client_options options, const watch_request& request, std::string_view program) {
  if (request.demo) {
    // The demo polls often; the embedded server's limit is out of reach, and the client's own
    // allows 20 polls a second (the default, 30 a minute, would stall a fast demo after 30).
    options.rate_limit.requests_per_window = 1200;
    options.rate_limit.window = 60s;
    options.rate_limit.burst = 20;
  }
  watch_options watch;
  watch.interval = watch_interval(request);
  watch.max_backoff = std::max(watch.max_backoff, watch.interval);

  asio::io_context io;
  client c(io.get_executor(), options);
  health_watcher watcher(c, watch);
  if (const auto& error = watcher.options_error()) {
    print_fatal(*error, options, program, request);
    return exit_error;
  }
  // A reader that goes away (`| head`) ends the watch cleanly instead of killing the process.
  std::signal(SIGPIPE, SIG_IGN);

  int status = exit_ok;
  std::exception_ptr failure;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      watcher.cancel();
    }
  });
  auto watch_loop = [&]() -> asio::awaitable<void> {
    bool first = true;
    for (;;) {
      const auto event = co_await watcher.next();
      if (stopped(event)) {
        break;
      }
      // A wrong key or URL would fail forever: the first poll's verdict ends the watch.
      if (first && event.kind == health_event::kind::error && event.error &&
          is_permanent_error(*event.error)) {
        print_fatal(*event.error, options, program, request, event.observed_at);
        status = exit_error;
        break;
      }
      first = false;
      print_event(event, request);
      if (!std::cout) {
        break; // standard output is closed: nobody reads any more
      }
    }
    signals.cancel();
    watcher.cancel();
    co_await c.async_shutdown(asio::use_awaitable);
  };
  asio::co_spawn(io, watch_loop(), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) {
    std::rethrow_exception(failure);
  }
  if (request.verbose) {
    print_stats(std::cerr, c.stats(), std::string(program) + ": stats: ");
  }
  return status;
}

} // namespace talkory::cli
