// Where the examples get their client options: `--demo` starts the embedded mock server (no key,
// no network) and points the client at it; otherwise TALKORY_API_KEY, TALKORY_BASE_URL and
// TALKORY_CA_FILE (a PEM file of CAs to trust instead of the system store) are read.
#pragma once

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <talkory/options.hpp>
#include <talkory/testing/mock_server.hpp>

namespace example {

struct setup {
  std::optional<talkory::testing::mock_server> server; // only with --demo
  talkory::client_options options;

  /// `flip_every` > 0 makes the demo server flip a random provider that often.
  explicit setup(int argc, char** argv,
                 std::chrono::milliseconds flip_every = std::chrono::milliseconds(0)) {
    for (int i = 1; i < argc; ++i)
      demo = demo || std::string_view(argv[i]) == "--demo";
    if (demo) {
      talkory::testing::mock_server_options mock;
      mock.flip_every = flip_every;
      mock.rate_limit = 1'000'000;
      server.emplace(mock);
      options.api_key = talkory::testing::mock_server_options::demo_key_value;
      options.base_url = server->base_url();
      options.tls.ca_pem = server->ca_pem();
      // Demos poll fast: 20 requests a second instead of the API's 30 a minute.
      options.rate_limit.requests_per_window = 1200;
      options.rate_limit.window = std::chrono::seconds(60);
      options.rate_limit.burst = 20;
    } else {
      options = talkory::client_options::from_env();
      if (const char* ca = std::getenv("TALKORY_CA_FILE"))
        options.tls.ca_file = ca;
    }
  }

  bool demo = false;
};

} // namespace example
