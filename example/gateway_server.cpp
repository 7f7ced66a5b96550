// An async HTTP server that embeds a health_watcher: a router or load balancer asks it whether
// the LLM providers it routes to are up, and it answers at once from latest(), never making a
// Talkory call per request (the watcher polls in the background, within the rate limit).
//
//   GET /healthz    200 {"status":"ok",...} when every routed provider is ok,
//                   503 {"status":"unavailable","down":[...],...} otherwise (or before any report)
//   GET /providers  200 the watcher's latest state: status, checkedAt, fetchedAt, providers,
//                   routes, talkoryCalls (calls made to Talkory so far); 503 before any report
//
// Run: talkory-example-gateway-server --demo [--port N] [--interval SECONDS] [--threads N]
//      [--route gpt,claude]; without --demo it reads TALKORY_API_KEY (see example_setup.hpp).
// Prints "listening on http://127.0.0.1:PORT" first; stops on SIGINT or SIGTERM.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <talkory.hpp>

#include "example_setup.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::string status_text(const talkory::provider_health& p) {
  return p.raw_status.empty() ? std::string(talkory::to_string(p.status)) : p.raw_status;
}

/// Answers requests from the watcher's latest state. Thread-safe: latest() takes a mutex.
struct gateway {
  talkory::client& client;
  talkory::health_watcher& watcher;
  std::vector<std::string> routes; // empty: every provider the report lists

  http::response<http::string_body> answer(const http::request<http::string_body>& request) const {
    const auto target = std::string_view(request.target()).substr(0, request.target().find('?'));
    if (target != "/healthz" && target != "/providers")
      return reply(http::status::not_found, {{"error", "not found: try /healthz or /providers"}});
    if (request.method() != http::verb::get && request.method() != http::verb::head)
      return reply(http::status::method_not_allowed, {{"error", "use GET"}});
    const auto latest = watcher.latest(); // instant: no I/O, no waiting for the watcher
    if (!latest)
      return reply(http::status::service_unavailable,
                   {{"status", "unavailable"}, {"reason", "no health report yet"}});
    return target == "/healthz" ? healthz(*latest) : providers(*latest);
  }

  http::response<http::string_body> healthz(const talkory::latest_health& latest) const {
    json::array down;
    const auto& report = latest.report;
    if (routes.empty()) {
      for (const auto& p : report.providers)
        if (p.status != talkory::provider_status::ok)
          down.emplace_back(p.name);
    } else {
      for (const auto& name : routes)
        if (const auto* p = report.find(name); !p || p->status != talkory::provider_status::ok)
          down.emplace_back(name);
    }
    const auto status = down.empty() ? http::status::ok : http::status::service_unavailable;
    json::object body;
    body["status"] = down.empty() ? "ok" : "unavailable";
    if (!down.empty())
      body["down"] = std::move(down);
    body["checkedAt"] = talkory::format_iso8601(report.checked_at);
    body["fetchedAt"] = talkory::format_iso8601(latest.fetched_at);
    return reply(status, std::move(body));
  }

  http::response<http::string_body> providers(const talkory::latest_health& latest) const {
    json::object by_name;
    for (const auto& p : latest.report.providers) {
      json::object entry;
      entry["status"] = status_text(p);
      by_name[p.name] = std::move(entry);
    }
    json::array routed;
    for (const auto& name : routes)
      routed.emplace_back(name);
    json::object body;
    body["status"] = latest.report.raw_status.empty()
                         ? std::string(talkory::to_string(latest.report.status))
                         : latest.report.raw_status;
    body["checkedAt"] = talkory::format_iso8601(latest.report.checked_at);
    body["fetchedAt"] = talkory::format_iso8601(latest.fetched_at);
    body["providers"] = std::move(by_name);
    body["routes"] = std::move(routed);
    body["talkoryCalls"] = client.stats().calls_started;
    return reply(http::status::ok, std::move(body));
  }

  static http::response<http::string_body> reply(http::status status, json::object body) {
    http::response<http::string_body> response{status, 11};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = json::serialize(body) + "\n";
    response.prepare_payload();
    return response;
  }
};

// One keep-alive connection, on a strand of its own.
asio::awaitable<void> serve(tcp::socket socket, const gateway& gw) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    http::request<http::string_body> request;
    stream.expires_after(30s); // an idle or slow client does not hold the connection forever
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, request, nothrow);
    if (read_error)
      break;
    auto response = gw.answer(request);
    response.keep_alive(request.keep_alive());
    auto [write_error, written] = co_await http::async_write(stream, response, nothrow);
    if (write_error || !response.keep_alive())
      break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Runs on the acceptor's strand; each connection gets a strand of its own on the same pool.
asio::awaitable<void> accept(asio::io_context& io, tcp::acceptor& acceptor, const gateway& gw) {
  for (;;) {
    auto strand = asio::make_strand(io);
    auto [ec, socket] = co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
    if (!acceptor.is_open())
      co_return;
    if (ec)
      continue;
    asio::co_spawn(strand, serve(std::move(socket), gw), asio::detached);
  }
}

// Logs what the watcher sees; a server that never reads its events would be fine too (the
// watcher's buffer is bounded), but transitions are worth a line in the log.
asio::awaitable<void> log_events(talkory::health_watcher& watcher) {
  for (;;) {
    const auto event = co_await watcher.next();
    if (event.kind == talkory::health_event::kind::error && event.error &&
        (event.error->code == talkory::errc::cancelled ||
         event.error->code == talkory::errc::invalid_options))
      co_return;
    std::clog << "gateway: " << talkory::format_iso8601(event.observed_at) << ' ' << event
              << std::endl;
  }
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (comma != 0)
      out.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  example::setup setup(argc, argv, 500ms); // --demo: a provider flips every half second
  unsigned short port = 0;
  unsigned threads = 2;
  std::vector<std::string> routes;
  talkory::watch_options options;
  options.interval = setup.demo ? 200ms : 30s;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--port")
      port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else if (flag == "--threads")
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
    else if (flag == "--route")
      routes = split(argv[i + 1]);
    else if (flag == "--interval")
      options.interval =
          std::chrono::milliseconds(static_cast<long>(std::atof(argv[i + 1]) * 1000));
  }

  asio::io_context io(static_cast<int>(threads));
  talkory::client client(io.get_executor(), setup.options);
  talkory::health_watcher watcher(client, options);
  if (watcher.options_error()) {
    std::cerr << "gateway: " << watcher.options_error()->describe() << '\n';
    return 2;
  }
  const gateway gw{client, watcher, routes};

  tcp::acceptor acceptor(asio::make_strand(io), {asio::ip::make_address("127.0.0.1"), port});
  std::cout << "listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(acceptor.get_executor(), accept(io, acceptor, gw), asio::detached);
  asio::co_spawn(io, log_events(watcher), asio::detached);

  // SIGINT / SIGTERM: stop accepting, stop the watcher, close Talkory connections politely,
  // then stop the io_context (which also drops idle keep-alive HTTP connections).
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code ec, int) {
    if (ec)
      return;
    asio::post(acceptor.get_executor(), [&] { acceptor.close(); });
    watcher.cancel();
    client.async_shutdown([&] { io.stop(); });
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i)
    pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool)
    t.join();
  return 0;
}
