// The baseline of bench/compile_time.sh: the smallest Beast HTTPS GET a user would write by
// hand (resolve, connect, TLS with verification and SNI, one request, one response) as a
// coroutine, with no pool, limiter, retries or JSON decoding.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

asio::awaitable<void> get(asio::ssl::context& tls, const char* host, const char* key) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  SSL_set_tlsext_host_name(stream.native_handle(), host);
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
  auto endpoints = co_await resolver.async_resolve(host, "443", asio::use_awaitable);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  http::request<http::empty_body> request(http::verb::get, "/v1/health/llm", 11);
  request.set(http::field::host, host);
  request.set(http::field::authorization, std::string("Bearer ") + key);
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  std::cout << response.result_int() << ' ' << response.body() << '\n';
}

int main() {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(asio::ssl::verify_peer);
  asio::co_spawn(io, get(tls, "api.talkory.ai", "tk_live_x"), asio::detached);
  io.run();
}
