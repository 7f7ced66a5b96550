// What a user's translation unit costs to compile: <talkory.hpp> and one health() call.
// Measured by bench/compile_time.sh against beast_ssl_call.cpp.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <talkory.hpp>

#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> check(talkory::client_options options) {
  talkory::client client(co_await asio::this_coro::executor, std::move(options));
  auto report = co_await client.health();
  std::cout << (report ? talkory::to_string(report->status) : report.error().describe()) << '\n';
}

int main() {
  asio::io_context io;
  asio::co_spawn(io, check(talkory::client_options::from_env()), asio::detached);
  io.run();
}
