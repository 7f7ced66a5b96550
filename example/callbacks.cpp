// async_health with three completion tokens: a plain callback, use_future, and deferred.
// Run: talkory-example-callbacks --demo (embedded mock) or with TALKORY_API_KEY set.
#include <iostream>
#include <thread>

#include <boost/asio.hpp>
#include <talkory.hpp>

#include "example_setup.hpp"

namespace asio = boost::asio;

int main(int argc, char** argv) {
  example::setup setup(argc, argv);
  int failures = 0;

  // 1. A plain callback: it runs on the io_context's thread, inside io.run().
  {
    asio::io_context io;
    talkory::client client(io.get_executor(), setup.options);
    client.async_health([&](talkory::result<talkory::health_report> report) {
      if (!report) {
        std::cerr << "callback: " << report.error() << '\n';
        ++failures;
        return;
      }
      std::cout << "callback: " << *report << '\n'; // "ok at 2026-...: gpt ok, claude ok, ..."
    });
    io.run();
  }

  // 2. use_future: the io_context runs on another thread; this one blocks in get().
  {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    talkory::client client(io.get_executor(), setup.options);
    std::future<talkory::result<talkory::health_report>> future =
        client.async_health(asio::use_future);
    const auto report = future.get();
    if (report) {
      std::cout << "future: " << talkory::to_string(report->status) << ", "
                << report->providers.size() << " providers\n";
    } else {
      std::cerr << "future: " << report.error() << '\n';
      ++failures;
    }
    client.async_shutdown(asio::use_future).get();
    work.reset();
    runner.join();
  }

  // 3. deferred: nothing is sent until the operation is invoked with a final token.
  {
    asio::io_context io;
    talkory::client client(io.get_executor(), setup.options);
    auto check = client.async_health(asio::deferred);
    std::cout << "deferred: requests before invoking: " << client.stats().requests << '\n';
    std::move(check)([&](talkory::result<talkory::health_report> report) {
      if (!report) {
        std::cerr << "deferred: " << report.error() << '\n';
        ++failures;
        return;
      }
      std::cout << "deferred: request " << report->meta.request_id << " in "
                << report->meta.latency.count() << " us\n";
    });
    io.run();
  }
  return failures == 0 ? 0 : 1;
}
