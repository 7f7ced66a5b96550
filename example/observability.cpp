// Observability: a per-call trace from a call_observer, a latency histogram it keeps, log lines
// at info level, and the client's counters as a Prometheus /metrics page would serve them.
// Run: talkory-example-observability --demo (embedded mock) or with TALKORY_API_KEY set.
#include <array>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <talkory.hpp>

#include "example_setup.hpp"

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// Called on the io_context's threads, inside the library: it must be quick, must not throw and
// must be thread-safe. Printing keeps the example short; a real one would only count.
class tracer : public talkory::call_observer {
public:
  void on_event(const talkory::call_event& event) override {
    std::lock_guard lock(mutex_);
    std::cout << "  trace: " << event.describe() << '\n'; // no server text: safe to print
    if (event.kind == talkory::event_kind::call_finished)
      record(event.duration);
  }

  void print_histogram(std::ostream& out) const {
    std::lock_guard lock(mutex_);
    out << "latency histogram (calls by duration):\n";
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      const auto label =
          i < bounds_ms.size() ? "<= " + std::to_string(bounds_ms[i]) + " ms" : "more";
      out << "  " << std::setw(10) << std::left << label << std::setw(3) << std::right << counts_[i]
          << ' ' << std::string(counts_[i], '#') << '\n';
    }
  }

private:
  static constexpr std::array<int, 6> bounds_ms{1, 10, 50, 100, 500, 1000};

  void record(std::chrono::microseconds latency) {
    std::size_t i = 0;
    while (i < bounds_ms.size() && latency > std::chrono::milliseconds(bounds_ms[i]))
      ++i;
    ++counts_[i];
  }

  mutable std::mutex mutex_;
  std::array<std::uint64_t, bounds_ms.size() + 1> counts_{};
};

asio::awaitable<int> run(talkory::client_options options, std::shared_ptr<tracer> trace) {
  talkory::client client(co_await asio::this_coro::executor, std::move(options));
  int failures = 0;
  auto check = [&](const talkory::result<talkory::health_report>& r, const char* what) {
    if (r) {
      std::cout << what << ": " << talkory::to_string(r->status) << '\n';
    } else {
      std::cout << what << ": " << r.error().describe() << '\n';
      ++failures;
    }
  };

  std::cout << "one call (with --demo the server answers 503 once: it is retried):\n";
  check(co_await client.health(), "call");
  std::cout << "three calls at once (single-flight: one request serves all three):\n";
  auto [a, b, c] = co_await (client.health() && client.health() && client.health());
  check(a, "first");
  check(b, "second");
  check(c, "third");

  co_await client.async_shutdown(asio::use_awaitable);
  trace->print_histogram(std::cout);
  std::cout << "metrics (serve as text/plain; version=0.0.4 on /metrics):\n"
            << talkory::to_prometheus(client.stats());
  co_return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  example::setup setup(argc, argv);
  if (setup.server)
    setup.server->script(503, R"({"error":{"code":"service_unavailable","message":"warming up",)"
                              R"("status":503,"requestId":"req_demo"}})");
  auto trace = std::make_shared<tracer>();
  setup.options.observer = trace;
  // Log lines are scrubbed of the key and of control characters before the sink sees them.
  setup.options.log.level = talkory::log_level::info;
  setup.options.log.sink = [](talkory::log_level level, std::string_view message) {
    std::clog << "  log [" << talkory::to_string(level) << "] " << message << '\n';
  };

  asio::io_context io;
  auto status = asio::co_spawn(io, run(setup.options, trace), asio::use_future);
  io.run();
  return status.get();
}
