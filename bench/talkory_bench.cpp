// talkory-bench: drives many health() calls through one client and reports throughput, latency
// percentiles, TLS handshakes, connection reuse, CPU time and memory. Without --base-url it
// measures against an embedded mock server on loopback.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <talkory.hpp>
#include <talkory/testing/mock_server.hpp>

#include "allocation_counter.hpp"
#include "cli_support.hpp"
#include "fleet_bench.hpp"

namespace asio = boost::asio;
namespace cli = talkory::cli;
using std::chrono::microseconds;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view program = "talkory-bench";

constexpr std::string_view usage_text =
    R"(usage: talkory-bench [--base-url URL [--ca-file PATH]] [--requests N] [--concurrency C]
                     [--connections K] [--warmup W] [--no-reuse] [--default-options]
                     [--coalesce] [--json]
       talkory-bench --redis URL [--processes P] [--window-ms W] [--requests N] [--json]

Issues N health() calls from C concurrent coroutines through one talkory::client and reports
throughput, latency percentiles, TLS handshakes, connection reuse, CPU time, operator new calls
and peak memory.

  --base-url URL      server to measure (API key from TALKORY_API_KEY); default: an embedded
                      mock server on 127.0.0.1 that does not throttle
  --ca-file PATH      PEM file of the CAs to trust for --base-url
  --requests N        calls to make in total (default: 2000)
  --concurrency C     coroutines calling at once (default: 8)
  --connections K     pool size, pool_options::max_connections (default: 4)
  --warmup W          calls made first, with the same concurrency, and left out of every
                      figure but the client's own counters (default: 0)
  --no-reuse          a fresh connection (and TLS handshake) for every request
  --default-options   the client's default rate limiter (on, with its bucket out of reach so
                      that it never waits) and retries (on), instead of none
  --coalesce          single-flight on (the client's default): concurrent calls may then
                      share one request
  --json              print the results as one JSON object on stdout
  --redis URL         fleet mode: P processes share one key's limit through Redis (see
                      talkory-bench --redis URL --help)
  -h, --help          print this help and exit

Unless --default-options is given, the client-side rate limiter is disabled and retries are
off, so every failure is counted; unless --coalesce is given, every call is its own request.
Exit status: 0 the run completed, 2 no call succeeded or the bench could not start, 64 usage.
)";

constexpr cli::flag_spec flag_specs[] = {
    {"--base-url", true},    {"--ca-file", true},
    {"--requests", true},    {"--concurrency", true},
    {"--connections", true}, {"--warmup", true},
    {"--no-reuse", false},   {"--default-options", false},
    {"--coalesce", false},   {"--json", false},
    {"--help", false},       {"-h", false},
};

struct arguments {
  std::optional<std::string> base_url;
  std::optional<std::string> ca_file;
  std::size_t requests = 2000;
  std::size_t concurrency = 8;
  std::size_t connections = 4;
  std::size_t warmup = 0;
  bool reuse = true;
  bool default_options = false;
  bool coalesce = false;
  bool json = false;
  bool help = false;
};

std::expected<arguments, std::string> parse_arguments(int argc, char** argv) {
  const auto flags = cli::parse_flags({argv + 1, static_cast<std::size_t>(argc - 1)}, flag_specs);
  if (!flags) {
    return std::unexpected(flags.error());
  }
  arguments args;
  for (const auto& [name, value] : *flags) {
    // Bounds that keep a typo from asking for a billion coroutines or sockets.
    const auto count = [&](std::size_t& field, std::size_t max) {
      return cli::read_count(name, *value, max, field);
    };
    std::optional<std::string> error;
    if (name == "--base-url") {
      args.base_url = std::string(*value);
    } else if (name == "--ca-file") {
      args.ca_file = std::string(*value);
    } else if (name == "--requests") {
      error = count(args.requests, 100'000'000);
    } else if (name == "--concurrency") {
      error = count(args.concurrency, 10'000);
    } else if (name == "--connections") {
      error = count(args.connections, 10'000);
    } else if (name == "--warmup") {
      const auto n =
          *value == "0" ? std::optional<std::size_t>(0) : cli::parse_count(*value, 100'000'000);
      if (n) {
        args.warmup = *n;
      } else {
        error =
            "--warmup needs a whole number from 0 to 100000000, not '" + std::string(*value) + "'";
      }
    } else if (name == "--no-reuse") {
      args.reuse = false;
    } else if (name == "--default-options") {
      args.default_options = true;
    } else if (name == "--coalesce") {
      args.coalesce = true;
    } else if (name == "--json") {
      args.json = true;
    } else {
      args.help = true;
    }
    if (error) {
      return std::unexpected(*error);
    }
  }
  // The embedded server brings its own CA; a CA file only makes sense for an external server.
  if (args.ca_file && !args.base_url) {
    return std::unexpected("--ca-file needs --base-url");
  }
  return args;
}

struct cpu_times {
  microseconds process{0}; // every thread of the process, the embedded server's included
  microseconds thread{0};  // the calling thread only: it runs the client's io_context
};

microseconds to_us(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + microseconds(tv.tv_usec);
}

cpu_times cpu_now() {
  cpu_times t;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    t.process = to_us(usage.ru_utime) + to_us(usage.ru_stime);
  }
  if (getrusage(RUSAGE_THREAD, &usage) == 0) {
    t.thread = to_us(usage.ru_utime) + to_us(usage.ru_stime);
  }
  return t;
}

long peak_rss_kb() {
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0; // kilobytes on Linux
}

// Everything the workers share. They all run on the one thread of the io_context: no locks.
// A run is a warm-up phase (not recorded) and then the measured one, each a set of workers.
struct run_state {
  std::size_t total = 0;  // calls of the current phase
  std::size_t issued = 0; // ... started so far
  bool measured = false;  // the current phase is the measured one
  std::size_t errors = 0;
  std::vector<std::int64_t> latencies_us;
  std::optional<talkory::api_error> first_error;
};

asio::awaitable<void> worker(talkory::client& client, run_state& state) {
  while (state.issued < state.total) {
    ++state.issued;
    const auto start = steady::now();
    const auto result = co_await client.health();
    if (!state.measured) {
      continue;
    }
    state.latencies_us.push_back(
        std::chrono::duration_cast<microseconds>(steady::now() - start).count());
    if (!result) {
      ++state.errors;
      if (!state.first_error) {
        state.first_error = result.error();
      }
    }
  }
}

// Nearest-rank percentile of sorted samples.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// What was measured: "embedded" (the in-process mock server) or "external", and where.
struct target {
  std::string kind;
  std::string url;
};

struct measurements {
  std::string_view rate_limiter; // "enabled" or "disabled", as the client's options say
  int max_retries = 0;           // the client's retry.max_retries
  bool coalescing = false;       // the client's coalesce_concurrent_calls
  double seconds = 0;
  cpu_times cpu;
  talkory::bench::allocation_totals allocations; // operator new over the measured calls
  talkory::client_stats stats;
};

double per_call(std::uint64_t total, std::size_t calls) {
  return calls == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(calls);
}

void print_text(const arguments& args, const run_state& state, const measurements& m,
                const std::vector<std::int64_t>& sorted, const target& where) {
  const double calls = static_cast<double>(state.issued);
  const auto& s = m.stats;
  const double reused = s.requests == 0 ? 0.0
                                        : 100.0 * static_cast<double>(s.requests_on_reused) /
                                              static_cast<double>(s.requests);
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "talkory-bench: " << state.issued << " calls, concurrency " << args.concurrency
            << ", up to " << args.connections << " connections, reuse "
            << (args.reuse ? "on" : "off") << ", warm-up " << args.warmup << " calls\n";
  std::cout << "server:               " << where.kind << ' ' << where.url << '\n';
  std::cout << "client rate limiter:  " << m.rate_limiter
            << (m.rate_limiter == "enabled" ? " (its bucket out of reach: it never waits)"
                                            : " (the bench measures the client, not the API's "
                                              "quota)")
            << "; retries: ";
  if (m.max_retries == 0) {
    std::cout << "off\n";
  } else {
    std::cout << "up to " << m.max_retries << '\n';
  }
  std::cout << "coalescing:           " << (m.coalescing ? "on" : "off")
            << " (single-flight; off: every call is its own request)\n";
  std::cout << "errors:               " << state.errors << '\n';
  std::cout << "wall time:            " << std::setprecision(3) << m.seconds << " s\n";
  std::cout << "throughput:           " << std::setprecision(1) << calls / m.seconds
            << " calls/s\n";
  std::cout << "latency (us):         p50 " << percentile(sorted, 50) << "  p90 "
            << percentile(sorted, 90) << "  p99 " << percentile(sorted, 99) << "  max "
            << (sorted.empty() ? 0 : sorted.back()) << '\n';
  std::cout << "http requests:        " << s.requests << '\n';
  std::cout << "connections opened:   " << s.connections_opened << '\n';
  std::cout << "tls handshakes:       " << s.handshakes_full << " full, " << s.handshakes_resumed
            << " resumed\n";
  std::cout << "on reused connection: " << reused << " % of http requests\n";
  std::cout << "cpu per call:         " << static_cast<double>(m.cpu.process.count()) / calls
            << " us (process), " << static_cast<double>(m.cpu.thread.count()) / calls
            << " us (client thread)\n";
  std::cout << "operator new per call: " << per_call(m.allocations.count, state.issued) << " ("
            << per_call(m.allocations.bytes, state.issued) << " bytes)"
            << (where.kind == "embedded" ? ", the embedded server's included\n" : "\n");
  std::cout << "peak rss:             " << peak_rss_kb() << " kB\n";
}

void print_json(const arguments& args, const run_state& state, const measurements& m,
                const std::vector<std::int64_t>& sorted, const target& where) {
  const double calls = static_cast<double>(state.issued);
  const auto& s = m.stats;
  boost::json::object out;
  out["requests"] = state.issued;
  out["concurrency"] = args.concurrency;
  out["connections"] = args.connections;
  out["reuse"] = args.reuse;
  out["errors"] = state.errors;
  out["warmup"] = args.warmup;
  out["seconds"] = m.seconds;
  out["requests_per_second"] = calls / m.seconds;
  out["latency_us"] = {{"p50", percentile(sorted, 50)},
                       {"p90", percentile(sorted, 90)},
                       {"p99", percentile(sorted, 99)},
                       {"max", sorted.empty() ? 0 : sorted.back()}};
  out["http_requests"] = s.requests;
  out["connections_opened"] = s.connections_opened;
  out["handshakes_full"] = s.handshakes_full;
  out["handshakes_resumed"] = s.handshakes_resumed;
  out["reused_ratio"] =
      s.requests == 0 ? 0.0
                      : static_cast<double>(s.requests_on_reused) / static_cast<double>(s.requests);
  out["cpu_us_per_request"] = static_cast<double>(m.cpu.process.count()) / calls;
  out["client_thread_cpu_us_per_request"] = static_cast<double>(m.cpu.thread.count()) / calls;
  // Every thread's operator new calls: with the embedded server, its thread's too.
  out["allocations_per_request"] = per_call(m.allocations.count, state.issued);
  out["bytes_allocated_per_request"] = per_call(m.allocations.bytes, state.issued);
  out["peak_rss_kb"] = peak_rss_kb();
  out["rate_limiter"] = m.rate_limiter;
  out["max_retries"] = m.max_retries;
  out["coalescing"] = m.coalescing; // from the options: false, every call is its own request
  out["server"] = where.kind;
  out["stats"] = cli::stats_to_json(s);
  if (state.first_error) {
    out["first_error"] = cli::error_to_json(*state.first_error)["error"];
  }
  std::cout << cli::to_json_text(out) << '\n';
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

  std::optional<talkory::testing::mock_server> server;
  talkory::client_options options;
  target where;
  if (args->base_url) {
    options = talkory::client_options::from_env();
    options.base_url = *args->base_url;
    if (args->ca_file) {
      options.tls.ca_file = *args->ca_file;
    }
    where = {"external", options.base_url};
  } else {
    talkory::testing::mock_server_options server_options;
    // The mock enforces the API's 30/min like the real service; the bench must not be throttled.
    server_options.rate_limit = 1'000'000'000;
    server.emplace(server_options);
    options.api_key = talkory::testing::mock_server_options::demo_key_value;
    options.base_url = server->base_url();
    options.tls.ca_pem = server->ca_pem();
    where = {"embedded", options.base_url};
  }
  if (args->default_options) {
    // The client's defaults, limiter on and retries on, but the bucket out of reach: at the
    // default 30 calls a minute the bench would measure the limiter's waits. A window of one
    // second keeps the limiter's record of the tokens taken short.
    options.rate_limit.requests_per_window = 1'000'000'000;
    options.rate_limit.burst = talkory::client_options::max_rate_limit_burst;
    options.rate_limit.window = std::chrono::seconds(1);
  } else {
    options.rate_limit.enabled = false;
    options.retry.max_retries = 0;
  }
  // Single-flight (on by default) would answer concurrent calls with one request: the bench
  // measures requests, so every call is its own unless --coalesce asks for the default.
  options.coalesce_concurrent_calls = args->coalesce;
  options.pool.max_connections = args->connections;
  options.pool.reuse = args->reuse;
  if (const auto invalid = options.validate()) {
    std::cerr << program << ": error: " << invalid->describe() << '\n';
    if (options.api_key.empty()) {
      std::cerr << program << ": set TALKORY_API_KEY to the key for --base-url\n";
    }
    return cli::exit_error;
  }

  asio::io_context io;
  talkory::client client(io.get_executor(), options);
  run_state state;
  state.latencies_us.reserve(args->requests);
  measurements m;
  m.rate_limiter = options.rate_limit.enabled ? "enabled" : "disabled";
  m.max_retries = options.retry.max_retries;
  m.coalescing = options.coalesce_concurrent_calls;
  std::exception_ptr failure;
  std::size_t running = 0;
  cpu_times cpu_start;
  steady::time_point start;

  // Starts C workers on the current phase; the last one to finish the warm-up starts the
  // measured phase, the last one to finish that ends the run.
  std::function<void()> start_phase = [&] {
    state.issued = 0;
    state.total = state.measured ? args->requests : args->warmup;
    running = args->concurrency;
    if (state.measured) {
      cpu_start = cpu_now();
      start = steady::now();
    }
    for (std::size_t i = 0; i < args->concurrency; ++i) {
      asio::co_spawn(io, worker(client, state), [&](std::exception_ptr e) {
        if (e && !failure) {
          failure = e;
        }
        if (--running > 0) {
          return;
        }
        if (!state.measured) {
          state.measured = true;
          return start_phase();
        }
        // Measured before the shutdown so that closing connections is not counted.
        m.allocations = talkory::bench::stop_counting_allocations();
        m.seconds = std::chrono::duration<double>(steady::now() - start).count();
        const auto cpu_end = cpu_now();
        m.cpu = {cpu_end.process - cpu_start.process, cpu_end.thread - cpu_start.thread};
        m.stats = client.stats();
        client.async_shutdown([] {});
      });
    }
    // After the spawns (the bench's own coroutine frames) and before any call has started: the
    // workers run only once this returns to the io_context.
    if (state.measured) {
      talkory::bench::start_counting_allocations();
    }
  };
  state.measured = args->warmup == 0;
  start_phase();
  io.run();
  if (failure) {
    std::rethrow_exception(failure);
  }

  auto sorted = state.latencies_us;
  std::ranges::sort(sorted);
  if (args->json) {
    print_json(*args, state, m, sorted, where);
  } else {
    print_text(*args, state, m, sorted, where);
  }
  if (state.first_error) {
    std::cerr << program << ": " << state.errors << " of " << state.issued
              << " calls failed; the first: " << state.first_error->describe() << '\n';
  }
  return state.errors == state.issued ? cli::exit_error : cli::exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (talkory::bench::is_fleet_run(argc, argv)) {
      return talkory::bench::fleet_main(argc, argv);
    }
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << program << ": error: unexpected failure\n";
  }
  return cli::exit_error;
}
