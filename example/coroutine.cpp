// The README's quick start: one health check from a coroutine.
// Run: talkory-example-coroutine --demo (embedded mock) or with TALKORY_API_KEY set.
#include <iostream>

#include <boost/asio.hpp>
#include <talkory.hpp>

#include "example_setup.hpp" // --demo, or TALKORY_API_KEY / TALKORY_BASE_URL / TALKORY_CA_FILE

namespace asio = boost::asio;

asio::awaitable<int> check(talkory::client_options options) {
  talkory::client client(co_await asio::this_coro::executor, std::move(options));

  talkory::result<talkory::health_report> report = co_await client.health();
  int status = 0;
  if (!report) {
    // e.g. "invalid_api_key (HTTP 401): Invalid API key: ... [request req_a1b2c3d4]"
    std::cerr << report.error().describe() << '\n';
    status = 1;
  } else {
    std::cout << "overall: " << talkory::to_string(report->status) << '\n';
    // In the order the server sent them; printable() keeps server text from steering the terminal.
    for (const auto& provider : report->providers)
      std::cout << talkory::printable(provider.name) << ": " << talkory::to_string(provider.status)
                << '\n';
  }
  co_await client.async_shutdown(asio::use_awaitable); // close connections politely
  co_return status;
}

int main(int argc, char** argv) {
  example::setup setup(argc, argv);
  asio::io_context io;
  auto status = asio::co_spawn(io, check(setup.options), asio::use_future);
  io.run();
  return status.get();
}
