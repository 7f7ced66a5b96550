// talkory-mock-server: the in-process mock as a standalone process, for trying the CLI or the
// bench against a local "Talkory" without a real key. Prints its base URL and runs until
// SIGINT or SIGTERM.
#include <talkory/testing/mock_server.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <pthread.h>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: talkory-mock-server [options]
  --port N            listen on 127.0.0.1:N (default: an ephemeral port)
  --plain             plain HTTP instead of HTTPS
  --ca-out PATH       write the CA certificate (PEM) that clients must trust to PATH
  --key KEY           accept KEY as a valid API key (repeatable; the demo key is always valid)
  --rate-limit N      requests per key per window (default 30)
  --rate-window-ms N  length of the rate-limit window in milliseconds (default 60000)
  --flip-every-ms N   demo mode: flip a random provider between ok and error every N ms
  --help              this text
Prints the base URL on the first line of standard output, then serves until SIGINT or SIGTERM.
)";

using talkory::testing::mock_key;

struct command_line {
  talkory::testing::mock_server_options options;
  std::string ca_out;
};

std::optional<unsigned long long> parse_number(std::string_view text, unsigned long long max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos ||
      text.size() > 19) {
    return std::nullopt;
  }
  const auto value = std::stoull(std::string(text));
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

/// The parsed command line, or nothing after printing why it is wrong.
std::optional<command_line> parse(int argc, char** argv) {
  command_line parsed;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const bool has_value = i + 1 < argc;
    auto number = [&](unsigned long long max) -> std::optional<unsigned long long> {
      if (!has_value) {
        return std::nullopt;
      }
      return parse_number(argv[++i], max);
    };
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(EXIT_SUCCESS);
    } else if (flag == "--plain") {
      parsed.options.tls = false;
    } else if (flag == "--ca-out" && has_value) {
      parsed.ca_out = argv[++i];
    } else if (flag == "--key" && has_value && argv[i + 1][0] != '\0') {
      mock_key key;
      key.key = argv[++i];
      parsed.options.keys.push_back(std::move(key));
    } else if (flag == "--port") {
      const auto port = number(std::numeric_limits<std::uint16_t>::max());
      if (!port) {
        std::cerr << "talkory-mock-server: --port needs a number from 0 to 65535\n";
        return std::nullopt;
      }
      parsed.options.port = static_cast<std::uint16_t>(*port);
    } else if (flag == "--rate-limit") {
      const auto limit = number(std::numeric_limits<std::uint32_t>::max());
      if (!limit) {
        std::cerr << "talkory-mock-server: --rate-limit needs a number\n";
        return std::nullopt;
      }
      parsed.options.rate_limit = static_cast<std::size_t>(*limit);
    } else if (flag == "--rate-window-ms") {
      const auto window = number(std::numeric_limits<std::uint32_t>::max());
      if (!window || *window == 0) {
        std::cerr << "talkory-mock-server: --rate-window-ms needs a positive number\n";
        return std::nullopt;
      }
      parsed.options.rate_window = std::chrono::milliseconds(*window);
    } else if (flag == "--flip-every-ms") {
      const auto period = number(std::numeric_limits<std::uint32_t>::max());
      if (!period || *period == 0) {
        std::cerr << "talkory-mock-server: --flip-every-ms needs a positive number\n";
        return std::nullopt;
      }
      parsed.options.flip_every = std::chrono::milliseconds(*period);
    } else {
      std::cerr << "talkory-mock-server: unknown or incomplete option '" << flag << "'\n" << usage;
      return std::nullopt;
    }
  }
  return parsed;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse(argc, argv);
  if (!parsed) {
    return 2;
  }

  // Block the signals before the server's thread starts, so that it inherits the mask and
  // sigwait() below is the only place they are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    talkory::testing::mock_server server{std::move(parsed->options)};
    if (!parsed->ca_out.empty()) {
      std::ofstream out{parsed->ca_out, std::ios::binary | std::ios::trunc};
      out << server.ca_pem();
      out.close();
      if (!out) {
        std::cerr << "talkory-mock-server: cannot write " << parsed->ca_out << '\n';
        return 1;
      }
    }
    std::cout << server.base_url() << std::endl; // flushed: scripts read it from a pipe
    std::cerr << "talkory-mock-server: serving; demo key "
              << talkory::testing::mock_server_options::demo_key_value
              << "; stop with Ctrl-C or SIGTERM\n";

    int received = 0;
    sigwait(&stop_signals, &received);
    const auto counters = server.counters();
    std::cerr << "talkory-mock-server: stopping after " << counters.requests << " requests on "
              << counters.connections_accepted << " connections\n";
  } catch (const std::exception& error) {
    std::cerr << "talkory-mock-server: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
