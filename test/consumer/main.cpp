// One health check the way a user's program makes it: against the server named by
// TALKORY_BASE_URL (a talkory-mock-server in the consumer tests) trusting the CA file given as
// the first argument; then the same against an in-process talkory::testing::mock_server, so
// both installed targets are used (not when talkory is built as a subproject:
// TALKORY_CONSUMER_WITHOUT_TESTING). Prints the version and each report's status.
#include <iostream>
#include <string>

#include <boost/asio.hpp>
#include <talkory.hpp>
#ifndef TALKORY_CONSUMER_WITHOUT_TESTING
#include <talkory/testing/mock_server.hpp>
#endif

namespace asio = boost::asio;

static_assert(TALKORY_VERSION >= 200, "built against talkory 0.2 or later");

asio::awaitable<int> check(talkory::client_options options, std::string what) {
  talkory::client client(co_await asio::this_coro::executor, std::move(options));
  auto report = co_await client.health();
  co_await client.async_shutdown(asio::use_awaitable);
  if (!report) {
    std::cerr << what << ": " << report.error().describe() << '\n';
    co_return 1;
  }
  std::cout << what << ": " << talkory::to_string(report->status) << " ("
            << report->providers.size() << " providers)\n";
  co_return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer CA_FILE (with TALKORY_API_KEY and TALKORY_BASE_URL set)\n";
    return 64;
  }
  std::cout << "talkory " << talkory::version().text << '\n';

  auto remote = talkory::client_options::from_env();
  remote.tls.ca_file = argv[1];

  asio::io_context io;
  auto first = asio::co_spawn(io, check(std::move(remote), "talkory-mock-server"), asio::use_future);
#ifndef TALKORY_CONSUMER_WITHOUT_TESTING
  talkory::testing::mock_server in_process;
  talkory::client_options local;
  local.api_key = std::string(talkory::testing::mock_server_options::demo_key_value);
  local.base_url = in_process.base_url();
  local.tls.ca_pem = in_process.ca_pem();
  auto second = asio::co_spawn(io, check(std::move(local), "in-process mock"), asio::use_future);
  io.run();
  return first.get() | second.get();
#else
  io.run();
  return first.get();
#endif
}
