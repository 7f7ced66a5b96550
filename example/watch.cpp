// A health_watcher printing transitions as they happen, until Ctrl-C (or N events).
// Run: talkory-example-watch --demo [--events N] [--interval SECONDS]
//      (the demo's providers flip every second), or with TALKORY_API_KEY set.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include <boost/asio.hpp>
#include <talkory.hpp>

#include "example_setup.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<int> watch(talkory::client client, talkory::watch_options options, int events) {
  talkory::health_watcher watcher(client, options);
  if (watcher.options_error()) { // bad watch or client options: nothing to watch
    std::cerr << watcher.options_error()->describe() << '\n';
    co_return 2;
  }
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (!ec)
      watcher.cancel(); // the pending next() then completes with errc::cancelled
  });

  for (int seen = 0; events == 0 || seen < events; ++seen) {
    talkory::health_event event = co_await watcher.next();
    if (event.kind == talkory::health_event::kind::error && event.error &&
        event.error->code == talkory::errc::cancelled)
      break;
    std::cout << talkory::format_iso8601(event.observed_at) << ' ' << event << '\n';
    for (const auto& t : event.changes)
      std::cout << "  " << talkory::printable(t.provider) << ": "
                << talkory::printable(t.from.value_or("absent")) << " -> "
                << talkory::printable(t.to.value_or("absent")) << '\n';
    std::cout.flush();
  }
  signals.cancel();
  watcher.cancel();
  co_await client.async_shutdown(asio::use_awaitable);
  co_return 0;
}

int main(int argc, char** argv) {
  example::setup setup(argc, argv, 1s);
  int events = 0;
  talkory::watch_options options;
  options.interval = setup.demo ? 250ms : 60s;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--events")
      events = std::atoi(argv[i + 1]);
    if (std::string_view(argv[i]) == "--interval")
      options.interval =
          std::chrono::milliseconds(static_cast<long>(std::atof(argv[i + 1]) * 1000));
  }

  asio::io_context io;
  talkory::client client(io.get_executor(), setup.options);
  auto status = asio::co_spawn(io, watch(client, options, events), asio::use_future);
  io.run();
  return status.get();
}
