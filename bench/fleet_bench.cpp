// talkory-bench --redis URL --processes P [--window-ms W] [--requests N] [--json]: the parent
// starts the embedded mock server (W-ms sliding windows of 30 requests for one key) and P child
// processes (this program again, with --fleet-child) that share the N calls through fleet mode;
// the server's own admission times give the busiest window.
#include "fleet_bench.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <talkory.hpp>
#include <talkory/testing/mock_server.hpp>

#include "cli_support.hpp"

extern char** environ;

namespace talkory::bench {

namespace {

namespace cli = talkory::cli;
namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

constexpr std::string_view program = "talkory-bench";
constexpr std::size_t server_limit = 30; // the API's documented requests per window

constexpr std::string_view usage_text =
    R"(usage: talkory-bench --redis URL [--processes P] [--window-ms W] [--requests N] [--json]

Fleet mode: starts the embedded mock server enforcing 30 requests per sliding window of W ms
for one key, then P child processes that share N calls through fleet mode on the Redis at URL
(each client configured for 30 per W ms; coalescing, the cache and retries off, so every call
is one request). Reports the most requests the server admitted in any W-ms window, its 429s,
and the calls that succeeded and failed.

  --redis URL         redis://host:port[/db] (password from TALKORY_REDIS_PASSWORD when set)
  --processes P       child processes (default: 4)
  --window-ms W       the server's and the clients' window in milliseconds (default: 2000)
  --requests N        calls in total, shared out evenly (default: P x 30)
  --json              print the results as one JSON object on stdout
  --cache-ttl-ms T    turn coalescing and the cache (cache_ttl = T ms) on instead: the calls
                      then share the fleet-wide cache and single-flight
  -h, --help          print this help and exit

Exit status: 0 the run completed, 2 no call succeeded or the bench could not start, 64 usage.
)";

constexpr cli::flag_spec flag_specs[] = {
    {"--redis", true},    {"--processes", true}, {"--window-ms", true},  {"--requests", true},
    {"--json", false},    {"--help", false},     {"-h", false},          {"--fleet-child", false},
    {"--base-url", true}, {"--ca-file", true},   {"--key-prefix", true}, {"--cache-ttl-ms", true},
};

struct arguments {
  std::string redis;
  std::size_t processes = 4;
  std::size_t window_ms = 2000;
  std::optional<std::size_t> requests;
  bool json = false;
  bool help = false;
  // The child's, set by the parent only.
  bool child = false;
  std::string base_url;
  std::string ca_file;
  std::string key_prefix;
  std::size_t cache_ttl_ms = 0; // > 0: coalescing and the (fleet) cache on, for the tests
};

std::expected<arguments, std::string> parse_arguments(int argc, char** argv) {
  const auto flags = cli::parse_flags({argv + 1, static_cast<std::size_t>(argc - 1)}, flag_specs);
  if (!flags) {
    return std::unexpected(flags.error());
  }
  arguments args;
  for (const auto& [name, value] : *flags) {
    const auto count = [&](std::size_t& field, std::size_t max) {
      return cli::read_count(name, *value, max, field);
    };
    std::optional<std::string> error;
    if (name == "--redis") {
      args.redis = std::string(*value);
    } else if (name == "--processes") {
      error = count(args.processes, 64);
    } else if (name == "--window-ms") {
      error = count(args.window_ms, 3'600'000);
    } else if (name == "--requests") {
      std::size_t n = 0;
      error = count(n, 1'000'000);
      args.requests = n;
    } else if (name == "--json") {
      args.json = true;
    } else if (name == "--fleet-child") {
      args.child = true;
    } else if (name == "--base-url") {
      args.base_url = std::string(*value);
    } else if (name == "--ca-file") {
      args.ca_file = std::string(*value);
    } else if (name == "--key-prefix") {
      args.key_prefix = std::string(*value);
    } else if (name == "--cache-ttl-ms") {
      error = count(args.cache_ttl_ms, 300'000);
    } else {
      args.help = true;
    }
    if (error) {
      return std::unexpected(*error);
    }
  }
  if (!args.help && args.redis.empty()) {
    return std::unexpected("--redis needs a URL (redis://host:port)");
  }
  return args;
}

// One child: `calls` concurrent calls through fleet mode; prints {"ok","failed","fallbacks"}.
int run_child(const arguments& args) {
  talkory::client_options options;
  options.api_key = talkory::testing::mock_server_options::demo_key_value;
  options.base_url = args.base_url;
  options.tls.ca_file = args.ca_file;
  const std::size_t calls = args.requests.value_or(server_limit);
  const milliseconds window(args.window_ms);
  options.rate_limit.requests_per_window = server_limit;
  options.rate_limit.burst = server_limit;
  options.rate_limit.window = window;
  options.retry.max_retries = 0; // a 429 must show as a failure, not be retried away
  // Every call a request, unless --cache-ttl-ms asks for the fleet's cache and single-flight.
  options.coalesce_concurrent_calls = args.cache_ttl_ms > 0;
  options.cache_ttl = milliseconds(args.cache_ttl_ms);
  // The whole fleet's budget, plus slack: every call must be able to wait for its slot.
  const auto windows_needed = (calls * args.processes + server_limit - 1) / server_limit;
  options.timeouts.total = window * static_cast<int>(windows_needed + 2) + milliseconds{10'000};
  options.timeouts.attempt = milliseconds{10'000};
  options.pool.acquire_timeout = options.timeouts.total;
  options.fleet.redis_url = args.redis;
  options.fleet.key_prefix = args.key_prefix.empty() ? "talkory-bench:" : args.key_prefix;
  options.fleet.expected_processes = args.processes;
  if (const char* password = std::getenv("TALKORY_REDIS_PASSWORD");
      password != nullptr && *password != '\0') {
    options.fleet.password_env = "TALKORY_REDIS_PASSWORD";
  }
  if (const auto invalid = options.validate()) {
    std::cerr << program << ": error: " << invalid->describe() << '\n';
    return cli::exit_error;
  }
  asio::io_context io;
  talkory::client client(io.get_executor(), options);
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::optional<talkory::api_error> first_error;
  for (std::size_t i = 0; i < calls; ++i) {
    client.async_health([&](talkory::result<talkory::health_report> r) {
      if (r) {
        ++ok;
      } else {
        ++failed;
        if (!first_error) {
          first_error = r.error();
        }
      }
      if (ok + failed == calls) {
        client.async_shutdown([] {});
      }
    });
  }
  io.run();
  boost::json::object out{
      {"ok", ok}, {"failed", failed}, {"fleet_fallbacks", client.stats().fleet_fallbacks}};
  if (first_error) {
    out["first_error"] = cli::error_to_json(*first_error)["error"];
  }
  std::cout << cli::to_json_text(out) << '\n';
  return cli::exit_ok;
}

struct child {
  pid_t pid = -1;
  int output = -1; // read end of its stdout
};

std::expected<child, std::string> spawn_child(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return std::unexpected("cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return std::unexpected("cannot start a child process");
  }
  return child{pid, fds[0]};
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const auto n = read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

int run_parent(const arguments& args) {
  const std::size_t total = args.requests.value_or(args.processes * server_limit);
  talkory::testing::mock_server_options server_options;
  server_options.rate_limit = server_limit;
  server_options.rate_window = milliseconds(args.window_ms);
  server_options.sliding_rate_window = true;
  talkory::testing::mock_server server(server_options);

  // The children trust the server's CA through a file: it is written next to nothing secret.
  char ca_path[] = "/tmp/talkory-bench-ca-XXXXXX";
  const int ca_fd = mkstemp(ca_path);
  if (ca_fd < 0) {
    std::cerr << program << ": error: cannot write the mock server's CA to /tmp\n";
    return cli::exit_error;
  }
  const auto& pem = server.ca_pem();
  const bool written = write(ca_fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  close(ca_fd);
  // A prefix of this run only: a previous run's log in the same Redis must not slow this one.
  const std::string prefix = "talkory-bench:" + std::to_string(getpid()) + ":" +
                             std::to_string(steady::now().time_since_epoch().count()) + ":";

  std::vector<child> children;
  const auto start = steady::now();
  for (std::size_t i = 0; written && i < args.processes; ++i) {
    // Shared out evenly; the first ones take the remainder.
    const std::size_t share = total / args.processes + (i < total % args.processes ? 1 : 0);
    if (share == 0) {
      continue;
    }
    std::vector<std::string> argv{std::string(program),
                                  "--fleet-child",
                                  "--redis",
                                  args.redis,
                                  "--base-url",
                                  server.base_url(),
                                  "--ca-file",
                                  ca_path,
                                  "--requests",
                                  std::to_string(share),
                                  "--window-ms",
                                  std::to_string(args.window_ms),
                                  "--processes",
                                  std::to_string(args.processes),
                                  "--key-prefix",
                                  prefix};
    if (args.cache_ttl_ms > 0) {
      argv.insert(argv.end(), {"--cache-ttl-ms", std::to_string(args.cache_ttl_ms)});
    }
    auto c = spawn_child(argv);
    if (!c) {
      std::cerr << program << ": error: " << c.error() << '\n';
      break;
    }
    children.push_back(*c);
  }
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::uint64_t fallbacks = 0;
  std::optional<boost::json::value> first_error;
  for (const auto& c : children) {
    const auto text = read_all(c.output);
    int status = 0;
    waitpid(c.pid, &status, 0);
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(text, ec);
    if (ec || !parsed.is_object() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cerr << program << ": error: child " << c.pid << " failed\n";
      continue;
    }
    const auto& o = parsed.as_object();
    ok += static_cast<std::size_t>(o.at("ok").to_number<std::uint64_t>());
    failed += static_cast<std::size_t>(o.at("failed").to_number<std::uint64_t>());
    fallbacks += o.at("fleet_fallbacks").to_number<std::uint64_t>();
    if (!first_error && o.contains("first_error")) {
      first_error = o.at("first_error");
    }
  }
  const double seconds = std::chrono::duration<double>(steady::now() - start).count();
  std::remove(ca_path);
  failed += total - std::min(total, ok + failed); // calls of children that never reported

  const auto window = milliseconds(args.window_ms);
  const auto max_in_window = server.max_admitted_in_any_window(window);
  const auto counters = server.counters();
  if (args.json) {
    boost::json::object out;
    out["requests"] = total;
    out["errors"] = failed;
    out["seconds"] = seconds;
    out["http_requests"] = counters.requests;
    out["server"] = "embedded";
    out["fleet"] = {{"processes", args.processes},
                    {"window_ms", args.window_ms},
                    {"max_requests_in_any_window", max_in_window},
                    {"responses_429", counters.responses_429},
                    {"calls_ok", ok},
                    {"calls_failed", failed}};
    out["fleet_fallbacks"] = fallbacks;
    if (first_error) {
      out["first_error"] = *first_error;
    }
    std::cout << cli::to_json_text(out) << '\n';
  } else {
    std::cout << "talkory-bench fleet: " << total << " calls from " << args.processes
              << " processes through " << args.redis << '\n';
    std::cout << "server window:        " << server_limit << " requests per " << args.window_ms
              << " ms (sliding)\n";
    std::cout << "max in any window:    " << max_in_window << '\n';
    std::cout << "429 responses:        " << counters.responses_429 << '\n';
    std::cout << "calls ok / failed:    " << ok << " / " << failed << '\n';
    std::cout << "fleet fallbacks:      " << fallbacks << '\n';
    std::cout << "wall time:            " << seconds << " s\n";
    if (first_error) {
      std::cout << "first error:          " << cli::to_json_text(*first_error) << '\n';
    }
  }
  return ok == 0 ? cli::exit_error : cli::exit_ok;
}

} // namespace

bool is_fleet_run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--redis" || a.starts_with("--redis=") || a == "--fleet-child") {
      return true;
    }
  }
  return false;
}

int fleet_main(int argc, char** argv) {
  const auto args = parse_arguments(argc, argv);
  if (!args) {
    std::cerr << program << ": " << args.error() << "\nTry '" << program
              << " --redis URL --help'.\n";
    return cli::exit_usage;
  }
  if (args->help) {
    std::cout << usage_text;
    return cli::exit_ok;
  }
  return args->child ? run_child(*args) : run_parent(*args);
}

} // namespace talkory::bench
