// talkory-health: asks the Talkory API (or, with --demo, an embedded mock of it) which LLM
// providers are up, and says so as a table or as JSON, with an exit status scripts can test.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <expected>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <talkory.hpp>
#include <talkory/testing/mock_server.hpp>

#include "cli_support.hpp"
#include "watch_mode.hpp"

namespace asio = boost::asio;
namespace cli = talkory::cli;

namespace {

constexpr std::string_view program = "talkory-health";

constexpr std::string_view usage_text =
    R"(usage: talkory-health [--base-url URL] [--ca-file PATH] [--timeout SECONDS] [--json]
                      [--demo] [--verbose] [--watch [--interval SECONDS]] [--redis URL]

Asks the Talkory API (GET /v1/health/llm) which LLM providers are up.

  --base-url URL      API origin (default: $TALKORY_BASE_URL, else https://api.talkory.ai)
  --ca-file PATH      PEM file of the CAs to trust (default: the system's store)
  --timeout SECONDS   bound on the whole call, decimals allowed (default: 60)
  --json              print the report as one JSON object on stdout
  --demo              start an embedded mock server and query it (no key, no network)
  --verbose           print diagnostics to stderr (the API key is never printed)
  --watch             keep polling and print each change as it happens (one line per event,
                      JSON Lines with --json) until Ctrl-C or SIGTERM; --timeout bounds each poll
  --interval SECONDS  time between polls in --watch mode, decimals allowed (default: 60;
                      with --demo: 1, and the demo's providers flip every few seconds)
  --redis URL         fleet mode: share the key's rate limit with every other process using
                      it through the Redis at URL (redis://host:port[/db]; password from the
                      variable TALKORY_REDIS_PASSWORD when set)
  -h, --help          print this help and exit

The API key is read from the TALKORY_API_KEY environment variable.
Exit status: 0 every provider ok, 1 degraded, 2 error, 64 usage error.
With --watch: 0 after Ctrl-C or SIGTERM, 2 when it cannot start or the first poll fails with
an error polling again cannot fix (401, 403, 404, ...), 64 usage error.
)";

constexpr cli::flag_spec flag_specs[] = {
    {"--base-url", true}, {"--ca-file", true},  {"--timeout", true}, {"--json", false},
    {"--demo", false},    {"--verbose", false}, {"--help", false},   {"-h", false},
    {"--watch", false},   {"--interval", true}, {"--redis", true},
};

struct arguments {
  std::optional<std::string> base_url;
  std::optional<std::string> ca_file;
  std::optional<std::chrono::milliseconds> timeout;
  bool json = false;
  bool demo = false;
  bool verbose = false;
  bool help = false;
  bool watch = false;
  std::optional<std::chrono::milliseconds> interval;
  std::optional<std::string> redis;
};

std::expected<arguments, std::string> parse_arguments(int argc, char** argv) {
  const auto flags = cli::parse_flags({argv + 1, static_cast<std::size_t>(argc - 1)}, flag_specs);
  if (!flags) {
    return std::unexpected(flags.error());
  }
  arguments args;
  for (const auto& [name, value] : *flags) {
    if (name == "--base-url") {
      args.base_url = std::string(*value);
    } else if (name == "--ca-file") {
      args.ca_file = std::string(*value);
    } else if (name == "--timeout") {
      args.timeout = cli::parse_seconds(*value);
      if (!args.timeout) {
        return std::unexpected("--timeout needs a number of seconds greater than 0, not '" +
                               talkory::printable(*value) + "'");
      }
    } else if (name == "--json") {
      args.json = true;
    } else if (name == "--redis") {
      args.redis = std::string(*value);
    } else if (name == "--demo") {
      args.demo = true;
    } else if (name == "--verbose") {
      args.verbose = true;
    } else if (name == "--watch") {
      args.watch = true;
    } else if (name == "--interval") {
      args.interval = cli::parse_seconds(*value);
      if (!args.interval) {
        return std::unexpected("--interval needs a number of seconds greater than 0, not '" +
                               talkory::printable(*value) + "'");
      }
    } else {
      args.help = true;
    }
  }
  // The demo talks to its own server with its own CA: a URL or CA given alongside would be
  // silently ignored, so refuse the combination instead.
  if (args.demo && (args.base_url || args.ca_file)) {
    return std::unexpected("--demo cannot be combined with --base-url or --ca-file");
  }
  if (args.interval && !args.watch) {
    return std::unexpected("--interval needs --watch");
  }
  return args;
}

// How long the polite TLS shutdown may add to --timeout: a server that ignores close_notify
// cannot keep the process running for timeouts.shutdown (2 s by default) past the bound.
constexpr std::chrono::milliseconds shutdown_margin{250};

// --timeout bounds the whole call; the per-step bounds must not outlast it.
void apply_timeout(talkory::timeout_options& timeouts, std::chrono::milliseconds total) {
  timeouts.total = total;
  timeouts.shutdown = std::min(timeouts.shutdown, shutdown_margin);
  timeouts.attempt = std::min(timeouts.attempt, total);
  timeouts.connect = std::min(timeouts.connect, total);
  timeouts.handshake = std::min(timeouts.handshake, total);
}

struct outcome {
  talkory::result<talkory::health_report> report;
  talkory::client_stats stats;
};

asio::awaitable<void> check_health(talkory::client_options options, std::optional<outcome>& out) {
  // After Ctrl-C cancels the call, the polite shutdown below must still run rather than throw.
  co_await asio::this_coro::throw_if_cancelled(false);
  talkory::client client(co_await asio::this_coro::executor, std::move(options));
  auto report = co_await client.health();
  const auto stats = client.stats();
  co_await client.async_shutdown(asio::use_awaitable);
  out.emplace(outcome{std::move(report), stats});
}

int report_error(const talkory::api_error& error, const talkory::client_options& options,
                 const arguments& args) {
  std::cerr << program << ": error: " << error.describe() << '\n';
  if (error.code == talkory::errc::invalid_options && options.api_key.empty()) {
    std::cerr << program << ": set TALKORY_API_KEY to your API key (tk_live_...), or try --demo\n";
  }
  if (args.json) {
    std::cout << cli::to_json_text(cli::error_to_json(error)) << '\n';
  }
  return cli::exit_error;
}

int run(int argc, char** argv) {
  const auto args = parse_arguments(argc, argv);
  if (!args) {
    std::cerr << program << ": " << args.error() << "\nTry '" << program << " --help'.\n";
    return cli::exit_usage;
  }
  if (args->help) {
    std::cout << usage_text;
    return cli::exit_ok;
  }

  // Declared before the io_context so that it outlives every connection made to it.
  std::optional<talkory::testing::mock_server> server;
  talkory::client_options options;
  if (args->demo) {
    server.emplace(args->watch ? cli::watch_demo_server({args->interval, false, true, false})
                               : talkory::testing::mock_server_options{});
    options.api_key = talkory::testing::mock_server_options::demo_key_value;
    options.base_url = server->base_url();
    options.tls.ca_pem = server->ca_pem();
  } else {
    options = talkory::client_options::from_env();
    if (args->base_url) {
      options.base_url = *args->base_url;
    }
    if (args->ca_file) {
      options.tls.ca_file = *args->ca_file;
    }
  }
  if (args->timeout) {
    apply_timeout(options.timeouts, *args->timeout);
  }
  if (args->redis) {
    options.fleet.redis_url = *args->redis;
    if (const char* password = std::getenv("TALKORY_REDIS_PASSWORD");
        password != nullptr && *password != '\0') {
      options.fleet.password_env = "TALKORY_REDIS_PASSWORD";
    }
  }
  if (args->verbose) {
    if (server) {
      std::cerr << program << ": demo: embedded mock server at " << server->base_url() << '\n';
    }
    // operator<< redacts the key.
    std::cerr << program << ": options: " << options << '\n';
  }

  if (args->watch) {
    return cli::run_watch(options, {args->interval, args->json, args->demo, args->verbose},
                          program);
  }

  asio::io_context io;
  std::optional<outcome> result;
  std::exception_ptr failure;

  // Ctrl-C or SIGTERM cancels the call (it then fails with errc::cancelled) instead of killing
  // the process mid-handshake; the client still closes its connection politely.
  asio::cancellation_signal cancel;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      cancel.emit(asio::cancellation_type::terminal);
    }
  });
  asio::co_spawn(io, check_health(options, result),
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                   failure = e;
                   signals.cancel();
                 }));
  io.run();
  if (failure) {
    std::rethrow_exception(failure);
  }
  if (!result) {
    std::cerr << program << ": error: the check ended without a result\n";
    return cli::exit_error;
  }

  const auto& report = result->report;
  if (args->verbose) {
    if (report) {
      std::cerr << program << ": attempts: " << report->meta.attempts
                << ", latency: " << cli::format_ms(report->meta.latency)
                << ", connection reused: " << (report->meta.connection_reused ? "yes" : "no")
                << '\n';
    } else {
      std::cerr << program << ": attempts: " << report.error().attempts << '\n';
    }
    cli::print_stats(std::cerr, result->stats, std::string(program) + ": stats: ");
  }
  if (!report) {
    return report_error(report.error(), options, *args);
  }
  if (args->json) {
    std::cout << cli::to_json_text(cli::report_to_json(*report)) << '\n';
  } else {
    cli::print_report_table(std::cout, *report);
  }
  return report->all_ok() ? cli::exit_ok : cli::exit_degraded;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << program << ": error: unexpected failure\n";
  }
  return cli::exit_error;
}
