// The client against the raw-bytes fault server: transport faults, HTTP framing, limits,
// redirects, TLS refusals and the hardening issue's defect classes, each with its exact errc,
// what reached the server, and the same client succeeding afterwards on the same server.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "fixture.hpp"
#include "support/fault_server.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;
using test::connection_record;
using test::connection_script;
using test::fault_server;
using test::fault_server_options;
using test::fault_step;
using test::tls_identity;
using test::tls_versions;

namespace {

// A key that must only ever reach the configured origin, and only in its Authorization header.
const std::string api_key = "tk_live_Fm7Qx2Lp9Rz4Tb6Wc8Yd1Hk3Nj5Sv0Ga";

/// True when `text` holds any 12 consecutive characters of the key's secret part: a message
/// bounded to 64 characters may cut the key short and still give most of it away.
bool leaks_key(std::string_view text) {
  const std::string_view secret = std::string_view(api_key).substr(8);
  constexpr std::size_t window = 12;
  for (std::size_t i = 0; i + window <= secret.size(); ++i)
    if (text.find(secret.substr(i, window)) != std::string_view::npos)
      return true;
  return false;
}

// A case waiting for a product fix is disabled(); naming its suite on the command line (as the
// suite's CTest entry does) enables disabled cases again, so this precondition keeps it skipped
// unless TALKORY_RUN_PENDING is set, to see whether the fix has landed.
[[maybe_unused]] boost::test_tools::assertion_result
pending_product_fix(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result run(std::getenv("TALKORY_RUN_PENDING") != nullptr);
  run.message() << "waits for a product fix; TALKORY_RUN_PENDING=1 runs it";
  return run;
}

fault_server_options over(bool tls) {
  fault_server_options o;
  o.tls = tls;
  return o;
}

/// Options aimed at `server` (or at `base_url` on it): no retries, no client-side limiter.
client_options options_for(const fault_server& server, std::string base_url = {}) {
  client_options o;
  o.api_key = api_key;
  o.base_url = base_url.empty() ? server.base_url() : std::move(base_url);
  o.tls.ca_pem = server.ca_pem();
  o.allow_insecure_http = !server.tls();
  o.retry.max_retries = 0;
  o.retry.initial_backoff = 5ms;
  o.retry.max_backoff = 20ms;
  o.rate_limit.enabled = false;
  o.timeouts.shutdown = 300ms;
  return o;
}

/// One call bounded in time: `attempt` bounds the attempt and a new connection's handshake.
result<health_report> bounded_call(asio::io_context& ioc, client& c,
                                   std::chrono::milliseconds attempt = 2s,
                                   std::optional<int> max_retries = std::nullopt) {
  call_options o;
  o.timeout = 3s;
  o.attempt_timeout = attempt;
  o.connect_timeout = 2s;
  o.handshake_timeout = attempt;
  o.max_retries = max_retries;
  return test::one_call(ioc, c, o);
}

std::size_t requests_on(const fault_server& server, std::size_t index) {
  const auto records = server.connections();
  return index < records.size() ? records[index].requests.size() : 0;
}

/// The same client succeeds on the same server; with `on_a_new_connection`, on a new one: the
/// faulty connection was not kept for reuse (not even reused and then replayed).
void check_still_usable(asio::io_context& ioc, client& c, const fault_server& server,
                        bool on_a_new_connection) {
  const auto accepted = server.connections_accepted();
  const auto again = bounded_call(ioc, c);
  BOOST_TEST(again.has_value(), "not usable afterwards: " << test::why(again));
  if (again && on_a_new_connection) {
    BOOST_TEST(!again->meta.connection_reused);
    BOOST_TEST(server.connections_accepted() == accepted + 1);
    BOOST_TEST(c.stats().requests_on_reused == 0u);
  }
}

// ---- raw responses ---------------------------------------------------------------------------

const std::string body = test::health_json();

/// A 200 with `headers` (each ending in CRLF) and `payload`, framed only as the headers say.
std::string answer(std::string_view headers, std::string_view payload = body) {
  return "HTTP/1.1 200 OK\r\n" + std::string(headers) + "\r\n" + std::string(payload);
}

std::string length(std::size_t n) {
  return "Content-Length: " + std::to_string(n) + "\r\n";
}

const std::string ok = test::ok_response();
const std::string ok_head = ok.substr(0, ok.size() - body.size());
const std::string chunked_ok = answer(
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", test::chunked(body, 16));

std::string error_answer(int status, std::string_view reason, std::string_view headers,
                         std::string_view payload) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n" +
         std::string(headers) + length(payload.size()) + "\r\n" + std::string(payload);
}

// ---- the wire matrix -------------------------------------------------------------------------

enum class transports { both, tls_only, plain_only };

/// One faulty first connection and what the call must end with.
struct wire_case {
  std::string name;
  std::vector<fault_step> steps;           // fault_step::serve() is appended
  std::optional<errc> expected;            // nullopt: the call succeeds
  int http_status = 0;                     // of the error
  std::optional<std::size_t> requests = 1; // heads the first connection got by the end
  bool handshake = true;                   // false: the steps replace the TLS handshake
  bool new_connection_after = true;        // the faulty connection must not be reused
  std::chrono::milliseconds attempt = 2s;  // the attempt (and handshake) bound
  transports on = transports::both;

  wire_case&& silent() && { // a case that ends by the attempt's bound: keep it short
    attempt = 300ms;
    return std::move(*this);
  }
  wire_case&& before_handshake() && {
    handshake = false;
    requests.reset(); // a plain TCP server may or may not have read the request by then
    return std::move(*this);
  }
  wire_case&& requests_unchecked() && {
    requests.reset();
    return std::move(*this);
  }
  wire_case&& reusable() && {
    new_connection_after = false;
    return std::move(*this);
  }
  wire_case&& only(transports t) && {
    on = t;
    return std::move(*this);
  }
};

wire_case fails(std::string name, std::vector<fault_step> steps, errc code, int status = 0) {
  wire_case c;
  c.name = std::move(name);
  c.steps = std::move(steps);
  c.expected = code;
  c.http_status = status;
  return c;
}

wire_case succeeds(std::string name, std::vector<fault_step> steps) {
  wire_case c;
  c.name = std::move(name);
  c.steps = std::move(steps);
  return c;
}

fault_step read() {
  return fault_step::read_request();
}
fault_step send(std::string bytes) {
  return fault_step::send(std::move(bytes));
}

void check_wire_case(const wire_case& row, bool tls) {
  BOOST_TEST_CONTEXT(row.name << (tls ? " (TLS)" : " (plain TCP)")) {
    fault_server server(over(tls));
    connection_script faulty;
    faulty.steps = row.steps;
    faulty.steps.push_back(fault_step::serve());
    faulty.handshake = row.handshake;
    server.script(std::move(faulty));
    server.script(test::good_connection());
    asio::io_context ioc;
    client c(ioc.get_executor(), options_for(server));

    const auto r = bounded_call(ioc, c, row.attempt);
    if (row.expected) {
      BOOST_TEST(!r.has_value(), "expected " << *row.expected << ", the call succeeded");
      if (!r) {
        BOOST_TEST(r.error().code == *row.expected, test::why(r));
        BOOST_TEST(r.error().http_status == row.http_status);
        BOOST_TEST(r.error().attempts == 1);
        BOOST_TEST(!leaks_key(r.error().describe()));
      }
    } else {
      BOOST_TEST(r.has_value(), test::why(r));
      if (r) {
        BOOST_TEST(r->providers.size() == 5u);
        BOOST_TEST(r->meta.attempts == 1);
      }
    }
    if (row.requests)
      BOOST_TEST(requests_on(server, 0) == *row.requests);
    BOOST_TEST(c.stats().stale_retries == 0u); // a fresh connection is never replayed
    check_still_usable(ioc, c, server, row.new_connection_after);
  }
}

void check_wire_cases(const std::vector<wire_case>& rows) {
  for (const auto& row : rows) {
    if (row.on != transports::tls_only)
      check_wire_case(row, false);
    if (row.on != transports::plain_only)
      check_wire_case(row, true);
  }
}

// ---- TLS -------------------------------------------------------------------------------------

std::string verify_text(long x509_error) {
  return X509_verify_cert_error_string(x509_error);
}

struct tls_case {
  std::string name;
  tls_identity identity = tls_identity::valid;
  tls_versions versions = tls_versions::modern;
  std::string host = "127.0.0.1"; // how the base URL names the server
  std::string reason;             // a part of the error message ("" = not checked)
};

tls_case tls_row(std::string name, tls_identity identity, std::string host, std::string reason) {
  tls_case row;
  row.name = std::move(name);
  row.identity = identity;
  row.host = std::move(host);
  row.reason = std::move(reason);
  return row;
}

tls_case protocol_row(std::string name, tls_versions versions) {
  tls_case row;
  row.name = std::move(name);
  row.versions = versions;
  return row;
}

/// The first connection presents `row`'s identity and versions, the second a valid one.
void check_tls_refused(const tls_case& row) {
  BOOST_TEST_CONTEXT(row.name) {
    fault_server server;
    connection_script bad;
    bad.steps = {fault_step::serve()};
    bad.identity = row.identity;
    bad.versions = row.versions;
    server.script(std::move(bad));
    server.script(test::good_connection());
    asio::io_context ioc;
    client c(ioc.get_executor(), options_for(server, server.base_url_for(row.host)));

    const auto r = bounded_call(ioc, c);
    BOOST_TEST(!r.has_value(), "the call succeeded");
    if (!r) {
      BOOST_TEST(r.error().code == errc::tls_error, test::why(r));
      BOOST_TEST(r.error().http_status == 0);
      BOOST_TEST(r.error().attempts == 1); // a TLS failure is never retried
      if (!row.reason.empty())
        BOOST_TEST(r.error().message.find(row.reason) != std::string::npos, r.error().message);
    }
    BOOST_TEST(server.wait_until_finished(0));
    const auto records = server.connections();
    BOOST_TEST(records.size() == 1u);
    if (!records.empty()) {
      BOOST_TEST(!records[0].handshake_completed);
      BOOST_TEST(records[0].received.empty()); // not a request byte arrived
      BOOST_TEST(records[0].requests.empty());
    }
    BOOST_TEST(server.bytes_received() == 0u);
    check_still_usable(ioc, c, server, true);
  }
}

/// The call succeeds against `identity` / `versions`; returns the server's record of it.
connection_record check_tls_accepted(tls_identity identity, tls_versions versions,
                                     const std::string& host = "127.0.0.1") {
  fault_server server;
  connection_script script = test::good_connection();
  script.identity = identity;
  script.versions = versions;
  server.script(std::move(script));
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server, server.base_url_for(host)));
  const auto r = bounded_call(ioc, c);
  BOOST_TEST(r.has_value(), test::why(r));
  const auto records = server.connections();
  BOOST_REQUIRE(!records.empty());
  return records.front();
}

// ---- defect classes ------------------------------------------------------------------------

/// The first answer to a call, on a server that gives `response` to every request.
result<health_report> answered_with(const std::string& response, int max_retries = 0) {
  fault_server server;
  server.script({fault_step::serve(response)});
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server));
  return bounded_call(ioc, c, 2s, max_retries);
}

/// No part of the error (nor its printed form) gives the key away.
void check_key_not_reflected(const result<health_report>& r) {
  BOOST_REQUIRE(!r.has_value());
  const auto& e = r.error();
  BOOST_TEST(!leaks_key(e.describe()), e.describe());
  BOOST_TEST(!leaks_key(e.message));
  BOOST_TEST(!leaks_key(e.body_snippet));
  BOOST_TEST(!leaks_key(e.request_id));
  BOOST_TEST(!leaks_key(e.server_code));
  std::ostringstream printed;
  printed << e;
  BOOST_TEST(!leaks_key(printed.str()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(fault_matrix_tests)

// ---- transport -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(transport_faults_give_connection_lost_or_timeout) {
  const std::string partial = ok.substr(0, ok.size() - 10);
  const std::string chunked_partial = chunked_ok.substr(0, chunked_ok.size() - 20);
  std::vector<wire_case> rows;
  rows.push_back(
      fails("closed at once", {fault_step::close()}, errc::connection_lost).before_handshake());
  // Not "reset at once": a reset racing the client's connect completion is reported by the
  // connect (connection_failed), so the first bytes (request or ClientHello) are awaited.
  rows.push_back(fails("reset on the first bytes", {fault_step::read_bytes(1), fault_step::reset()},
                       errc::connection_lost)
                     .before_handshake());
  rows.push_back(
      fails("closed after the request", {read(), fault_step::close()}, errc::connection_lost));
  rows.push_back(
      fails("reset after the request", {read(), fault_step::reset()}, errc::connection_lost));
  rows.push_back(fails("closed mid-body", {read(), fault_step::close_after(ok, ok.size() - 10)},
                       errc::connection_lost));
  rows.push_back(fails("closed mid chunked body",
                       {read(), fault_step::close_after(chunked_ok, chunked_partial.size())},
                       errc::connection_lost));
  rows.push_back(
      fails("reset mid-body", {read(), send(partial), fault_step::reset()}, errc::connection_lost));
  rows.push_back(fails("silent from the start", {fault_step::stall()}, errc::timeout)
                     .before_handshake()
                     .silent());
  rows.push_back(
      fails("silent after the request", {read(), fault_step::stall()}, errc::timeout).silent());
  rows.push_back(
      fails("stalls mid status line", {read(), send("HTTP/1."), fault_step::stall()}, errc::timeout)
          .silent());
  rows.push_back(fails("stalls mid-headers",
                       {read(), send("HTTP/1.1 200 OK\r\nContent-"), fault_step::stall()},
                       errc::timeout)
                     .silent());
  rows.push_back(
      fails("stalls mid-body", {read(), send(partial), fault_step::stall()}, errc::timeout)
          .silent());
  rows.push_back(
      fails("close_notify mid-body, then silence",
            {read(), send(partial), fault_step::tls_shutdown(false), fault_step::stall()},
            errc::connection_lost)
          .only(transports::tls_only));
  rows.push_back(
      fails("close_notify and FIN mid-body",
            {read(), send(partial), fault_step::tls_shutdown(false), fault_step::close()},
            errc::connection_lost)
          .only(transports::tls_only));
  // Without close_notify a TLS peer's FIN cannot be told from a truncation attack.
  rows.push_back(
      fails("body delimited by a FIN without close_notify",
            {read(), send(answer("Content-Type: application/json\r\n")), fault_step::close()},
            errc::connection_lost)
          .only(transports::tls_only));
  check_wire_cases(rows);
}

BOOST_AUTO_TEST_CASE(a_refused_connect_is_connection_failed) {
  asio::io_context ioc;
  // Bound but not listening: the kernel answers the SYN with a reset.
  asio::ip::tcp::socket holder(ioc);
  holder.open(asio::ip::tcp::v4());
  holder.bind({asio::ip::address_v4::loopback(), 0});
  const auto port = std::to_string(holder.local_endpoint().port());
  fault_server ca_source;
  for (const std::string scheme : {"http", "https"}) {
    BOOST_TEST_CONTEXT(scheme) {
      auto opts = options_for(ca_source, scheme + "://127.0.0.1:" + port);
      opts.allow_insecure_http = true;
      client c(ioc.get_executor(), opts);
      const auto r = bounded_call(ioc, c);
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().code == errc::connection_failed, test::why(r));
      BOOST_TEST(r.error().http_status == 0);
      BOOST_TEST(r.error().attempts == 1);
    }
  }
}

// ---- HTTP framing ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(framing_violations_give_invalid_response) {
  const std::string te = "Transfer-Encoding: chunked\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  auto bad = [](std::string name, std::string response, int status = 0) {
    return fails(std::move(name), {read(), send(std::move(response))}, errc::invalid_response,
                 status);
  };
  std::vector<wire_case> rows;
  rows.push_back(bad("garbage status line", "HELLO WORLD\r\n\r\n"));
  rows.push_back(bad("not HTTP (ICY)", "ICY 200 OK\r\n\r\n"));
  rows.push_back(bad("non-numeric status code", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"));
  rows.push_back(bad("bare LF line endings", "HTTP/1.1 200 OK\nContent-Length: " +
                                                 std::to_string(body.size()) + "\n\n" + body));
  rows.push_back(
      bad("header line without a colon", answer(json + "Bogus header\r\n" + length(body.size()))));
  rows.push_back(bad("NUL in a header value", answer(json + std::string("X-Bad: a") + '\0' +
                                                     "b\r\n" + length(body.size()))));
  rows.push_back(bad("malformed chunk size", answer(json + te, "zz\r\n" + body + "\r\n0\r\n\r\n")));
  rows.push_back(bad("chunk size overflowing 64 bits",
                     answer(json + te, "10000000000000000\r\n" + body + "\r\n0\r\n\r\n")));
  rows.push_back(
      bad("chunk data longer than its size", answer(json + te, "5\r\n" + body + "\r\n0\r\n\r\n")));
  rows.push_back(bad("Content-Length then Transfer-Encoding",
                     answer(json + length(body.size()) + te, test::chunked(body, 64))));
  rows.push_back(bad("Transfer-Encoding then Content-Length",
                     answer(json + te + length(body.size()), test::chunked(body, 64))));
  rows.push_back(bad("conflicting Content-Lengths",
                     answer(json + length(body.size()) + length(body.size() + 1))));
  rows.push_back(bad("conflicting Content-Length list",
                     answer(json + "Content-Length: " + std::to_string(body.size()) + ", " +
                            std::to_string(body.size() + 1) + "\r\n")));
  rows.push_back(bad("non-numeric Content-Length", answer(json + "Content-Length: abc\r\n")));
  rows.push_back(bad("negative Content-Length", answer(json + "Content-Length: -1\r\n")));
  rows.push_back(bad("Content-Length beyond 64 bits",
                     answer(json + "Content-Length: 99999999999999999999999\r\n")));
  // The body of a 204 is no part of it: read as the next answer it would desynchronise the
  // connection, so the connection must go (and an empty health answer is invalid anyway).
  rows.push_back(bad("204 with a body",
                     "HTTP/1.1 204 No Content\r\n" + json + length(body.size()) + "\r\n" + body,
                     204));
  check_wire_cases(rows);
}

BOOST_AUTO_TEST_CASE(oversized_answers_give_response_too_large) {
  const std::string json = "Content-Type: application/json\r\n";
  std::string many_headers;
  for (int i = 0; many_headers.size() < 20 * 1024; ++i)
    many_headers += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n";
  const std::size_t over_body = 1024 * 1024 + 1;
  std::vector<wire_case> rows;
  rows.push_back(fails("header block over max_response_header",
                       {read(), send(answer(json + many_headers + length(body.size())))},
                       errc::response_too_large));
  rows.push_back(
      fails("one endless header line",
            {read(), send("HTTP/1.1 200 OK\r\nX-Endless: " + std::string(32 * 1024, 'a')),
             fault_step::stall()},
            errc::response_too_large));
  rows.push_back(
      fails("Content-Length over max_response_body",
            {read(), send(answer(json + length(2 * 1024 * 1024), "")), fault_step::stall()},
            errc::response_too_large));
  rows.push_back(
      fails("body delimited by close over max_response_body",
            {read(), send(answer(json, std::string(over_body, ' '))), fault_step::stall()},
            errc::response_too_large));
  rows.push_back(fails("chunked body over max_response_body",
                       {read(),
                        send(answer(json + "Transfer-Encoding: chunked\r\n",
                                    test::chunked(std::string(over_body, ' '), 64 * 1024))),
                        fault_step::stall()},
                       errc::response_too_large));
  rows.push_back(
      fails("chunk size over max_response_body",
            {read(), send(answer(json + "Transfer-Encoding: chunked\r\n", "ffffffff\r\n")),
             fault_step::stall()},
            errc::response_too_large));
  check_wire_cases(rows);
}

BOOST_AUTO_TEST_CASE(unusual_but_valid_answers_succeed) {
  const std::string json = "Content-Type: application/json\r\n";
  std::vector<wire_case> rows;
  rows.push_back(
      succeeds("dripped one byte at a time", {read(), fault_step::drip(ok, 1)}).reusable());
  rows.push_back(
      succeeds("chunked, dripped three bytes at a time", {read(), fault_step::drip(chunked_ok, 3)})
          .reusable());
  std::string with_trailer = test::chunked(body.substr(16), 50);
  with_trailer.replace(with_trailer.size() - 2, 2, "X-Checksum: 1\r\n\r\n");
  rows.push_back(succeeds("chunk extensions and trailers",
                          {read(), send(answer(json + "Transfer-Encoding: chunked\r\n",
                                               "10;name=value\r\n" + body.substr(0, 16) + "\r\n" +
                                                   with_trailer))})
                     .reusable());
  rows.push_back(succeeds("identical duplicate Content-Lengths",
                          {read(), send(answer(json + length(body.size()) + length(body.size())))})
                     .reusable());
  rows.push_back(
      succeeds("Connection: close is honoured",
               {read(), send(test::ok_response("Connection: close\r\n")), fault_step::close()}));
  rows.push_back(
      succeeds("an HTTP/1.0 answer is not kept alive",
               {read(), send("HTTP/1.0 200 OK\r\n" + json + length(body.size()) + "\r\n" + body)}));
  rows.push_back(succeeds("bytes beyond Content-Length retire the connection",
                          {read(), send(ok + "HTTP/1.1 200 OK\r\n")}));
  check_wire_cases(rows);
}

// A body delimited by the close (no Content-Length, no chunked coding, no Connection: close) is
// valid HTTP/1.1, and the connection it came on is over. The client takes the message's
// keep_alive() (true for HTTP/1.1) instead of the parser's (false when the body needed EOF), so
// it pools the dead connection: over plain TCP the next call's read then waits for an epoll edge
// that already fired and times out (Asio stops speculative reads after an exhausted one); over
// TLS the request is written on the closed session and replayed.
BOOST_AUTO_TEST_CASE(a_body_delimited_by_the_close_retires_the_connection) {
  // Found by this matrix: connection.cpp kept an EOF-delimited connection alive (the message's
  // keep_alive() instead of the parser's), and the next call hung on it until its timeout.
  const std::string json = "Content-Type: application/json\r\n";
  check_wire_cases({
      succeeds("body delimited by the close", {read(), send(answer(json)), fault_step::close()})
          .only(transports::plain_only),
      succeeds("body delimited by close_notify and FIN",
               {read(), send(answer(json)), fault_step::tls_shutdown(false), fault_step::close()})
          .only(transports::tls_only),
  });
}

// ---- idle connections ----------------------------------------------------------------------

/// A first call served, then `idle` played once the connection sits in the pool, then a second
/// call. Returns the second call's result.
result<health_report> call_after_idle_fault(fault_server& server, client& c,
                                            asio::io_context& ioc) {
  const auto first = bounded_call(ioc, c);
  BOOST_TEST(first.has_value(), test::why(first));
  BOOST_TEST(server.wait_for_checkpoints(1)); // the connection is idle in the pool
  server.release_stalled();
  BOOST_TEST(server.wait_for_checkpoints(2)); // the idle fault is on the wire
  // The pool's idle watch retires the connection as the fault arrives, not at the next call: a
  // work guard stands in for a server's other work while it is seen (bounded by run_until).
  auto busy = asio::make_work_guard(ioc);
  BOOST_TEST(test::run_until(ioc, [&] { return c.stats().idle_connections_retired == 1u; }));
  busy.reset();
  ioc.restart();
  BOOST_TEST(c.stats().connections_idle == 0u);
  return bounded_call(ioc, c);
}

std::vector<fault_step> idle_script(std::vector<fault_step> fault) {
  std::vector<fault_step> steps{read(), send(ok), fault_step::checkpoint(), fault_step::stall()};
  steps.insert(steps.end(), fault.begin(), fault.end());
  steps.push_back(fault_step::checkpoint());
  steps.push_back(fault_step::stall());
  return steps;
}

BOOST_AUTO_TEST_CASE(unsolicited_bytes_on_an_idle_connection_retire_it) {
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain TCP")) {
      fault_server server(over(tls));
      server.script(idle_script({send(
          "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")}));
      server.script(test::good_connection());
      asio::io_context ioc;
      client c(ioc.get_executor(), options_for(server));
      const auto r = call_after_idle_fault(server, c, ioc);
      BOOST_TEST(r.has_value(), test::why(r));
      if (r)
        BOOST_TEST(!r->meta.connection_reused);
      BOOST_TEST(server.connections_accepted() == 2u);
      BOOST_TEST(requests_on(server, 0) == 1u); // the 408 was never taken as an answer
      BOOST_TEST(c.stats().stale_retries == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(close_notify_on_an_idle_connection_retires_it) {
  fault_server server;
  server.script(idle_script({fault_step::tls_shutdown(false)}));
  server.script(test::good_connection());
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server));
  const auto r = call_after_idle_fault(server, c, ioc);
  BOOST_TEST(r.has_value(), test::why(r));
  BOOST_TEST(server.connections_accepted() == 2u);
  BOOST_TEST(requests_on(server, 0) == 1u);
  BOOST_TEST(c.stats().stale_retries == 0u); // seen before any byte was written
}

BOOST_AUTO_TEST_CASE(an_idle_connection_closed_by_the_server_costs_at_most_one_replay) {
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain TCP")) {
      fault_server server(over(tls));
      // A FIN leaves nothing to read. Either the pool's idle watch sees the socket turn readable
      // and retires the connection before the next call takes it, or (when the call is first)
      // the write goes out, the read finds the end, and the request is replayed once on a fresh
      // connection: one of the two, exactly once.
      server.script({read(), send(ok), fault_step::checkpoint(), fault_step::stall(),
                     fault_step::checkpoint(), fault_step::close()});
      server.script(test::good_connection());
      asio::io_context ioc;
      client c(ioc.get_executor(), options_for(server));
      const auto first = bounded_call(ioc, c);
      BOOST_TEST(first.has_value(), test::why(first));
      BOOST_TEST(server.wait_for_checkpoints(1));
      server.release_stalled();
      BOOST_TEST(server.wait_until([](const auto& records) { return records[0].server_closed; }));
      // Retired by the idle watch as the reset arrives (counted), before any call needs it.
      auto busy = asio::make_work_guard(ioc);
      BOOST_TEST(test::run_until(ioc, [&] { return c.stats().idle_connections_retired == 1u; }));
      busy.reset();
      ioc.restart();
      const auto r = bounded_call(ioc, c);
      BOOST_TEST(r.has_value(), test::why(r));
      if (r)
        BOOST_TEST(r->meta.attempts == 1);
      BOOST_TEST(c.stats().stale_retries == 0u);
      BOOST_TEST(c.stats().stale_retries + c.stats().idle_connections_retired == 1u);
      BOOST_TEST(server.connections_accepted() == 2u);
      BOOST_TEST(requests_on(server, 1) == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_idle_connection_reset_by_the_server_is_not_used) {
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain TCP")) {
      fault_server server(over(tls));
      server.script(
          {read(), send(ok), fault_step::checkpoint(), fault_step::stall(), fault_step::reset()});
      server.script(test::good_connection());
      asio::io_context ioc;
      client c(ioc.get_executor(), options_for(server));
      const auto first = bounded_call(ioc, c);
      BOOST_TEST(first.has_value(), test::why(first));
      BOOST_TEST(server.wait_for_checkpoints(1));
      server.release_stalled();
      BOOST_TEST(server.wait_until([](const auto& records) { return records[0].server_closed; }));
      // Retired by the idle watch as the reset arrives (counted), before any call needs it.
      auto busy = asio::make_work_guard(ioc);
      BOOST_TEST(test::run_until(ioc, [&] { return c.stats().idle_connections_retired == 1u; }));
      busy.reset();
      ioc.restart();
      const auto r = bounded_call(ioc, c);
      BOOST_TEST(r.has_value(), test::why(r));
      if (r)
        BOOST_TEST(r->meta.attempts == 1);
      BOOST_TEST(c.stats().stale_retries == 0u);
      BOOST_TEST(server.connections_accepted() == 2u);
      BOOST_TEST(requests_on(server, 1) == 1u);
    }
  }
}

// ---- TLS close_notify at shutdown ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(shutdown_sends_close_notify_and_is_bounded_when_the_peer_ignores_it) {
  for (bool answer_it : {true, false}) {
    BOOST_TEST_CONTEXT((answer_it ? "answered" : "ignored")) {
      fault_server server;
      server.script(
          {read(), send(ok), fault_step::await_close_notify(answer_it), fault_step::stall()});
      asio::io_context ioc;
      client c(ioc.get_executor(), options_for(server)); // timeouts.shutdown = 300 ms
      const auto r = bounded_call(ioc, c);
      BOOST_TEST(r.has_value(), test::why(r));
      bool shut = false;
      const auto started = std::chrono::steady_clock::now();
      c.async_shutdown([&] { shut = true; });
      BOOST_TEST(test::run_until(
          ioc, [&] { return shut; }, 3s));
      // Bounded by timeouts.shutdown (300 ms) when the peer never answers, not by the 3 s above.
      const auto took = std::chrono::steady_clock::now() - started;
      BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 1000);
      // The client may see the server's close_notify before the server has recorded sending it.
      BOOST_TEST(server.wait_until([&](const auto& records) {
        return records[0].close_notify_received && (!answer_it || records[0].close_notify_sent);
      }));
      BOOST_TEST(server.connections()[0].close_notify_sent == answer_it);
    }
  }
}

BOOST_AUTO_TEST_CASE(teardown_closes_idle_connections_in_parallel_under_one_bound) {
  // Hardening issue: with four idle connections to a peer that never answers close_notify, the
  // last handle's destruction closed them one after another (4 x timeouts.shutdown).
  fault_server server;
  for (int i = 0; i < 4; ++i)
    server.script({read(), send(ok), fault_step::await_close_notify(false), fault_step::stall()});
  asio::io_context ioc;
  auto o = options_for(server);
  o.coalesce_concurrent_calls = false; // four calls, four requests, four connections
  o.timeouts.shutdown = 500ms;
  std::optional<client> c(std::in_place, ioc.get_executor(), o);
  int answered = 0;
  for (int i = 0; i < 4; ++i)
    c->async_health([&](result<health_report> r) {
      BOOST_TEST(r.has_value(), test::why(r));
      ++answered;
    });
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return answered == 4; }));
  BOOST_TEST_REQUIRE(c->stats().connections_idle == 4u);

  const auto started = std::chrono::steady_clock::now();
  c.reset(); // the last handle: every idle connection is closed politely
  ioc.restart();
  ioc.run_for(5s);
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST(ioc.stopped()); // nothing left running
  // One after another would take 2 s.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 1500);
  BOOST_TEST(server.wait_until([](const auto& records) {
    return records.size() == 4 && std::all_of(records.begin(), records.end(), [](const auto& r) {
             return r.close_notify_received;
           });
  }));
}

// ---- redirects -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(redirects_are_never_followed_and_the_key_goes_nowhere_else) {
  for (int status : {301, 302, 303, 307, 308}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      fault_server origin;
      fault_server elsewhere;
      elsewhere.script(test::good_connection());
      const auto location = elsewhere.base_url() + "/v1/health/llm";
      origin.script({read(),
                     send(error_answer(status, "Moved", "Location: " + location + "\r\n", "")),
                     fault_step::serve()});
      asio::io_context ioc;
      client c(ioc.get_executor(), options_for(origin));
      const auto r = bounded_call(ioc, c, 2s, 2);
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().code == errc::unknown_api_error, test::why(r));
      BOOST_TEST(r.error().http_status == status);
      BOOST_TEST(r.error().attempts == 1); // a redirect is not retried either
      BOOST_TEST(r.error().message.find("redirects are not followed") != std::string::npos,
                 r.error().message);
      BOOST_TEST(origin.connections_accepted() == 1u);
      const auto requests = origin.requests();
      BOOST_TEST(requests.size() == 1u);
      if (!requests.empty())
        BOOST_TEST(requests[0].find("Authorization: Bearer " + api_key + "\r\n") !=
                   std::string::npos);
      BOOST_TEST(elsewhere.connections_accepted() == 0u);
      check_still_usable(ioc, c, origin, false);
      BOOST_TEST(elsewhere.connections_accepted() == 0u);
    }
  }
}

// ---- TLS -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tls_failures_are_tls_error_before_any_request_byte) {
  const auto host_mismatch = verify_text(X509_V_ERR_HOSTNAME_MISMATCH);
  const auto ip_mismatch = verify_text(X509_V_ERR_IP_ADDRESS_MISMATCH);
  const auto no_issuer = verify_text(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  const std::vector<tls_case> rows{
      tls_row("expired", tls_identity::expired, "127.0.0.1",
              verify_text(X509_V_ERR_CERT_HAS_EXPIRED)),
      tls_row("not yet valid", tls_identity::not_yet_valid, "127.0.0.1",
              verify_text(X509_V_ERR_CERT_NOT_YET_VALID)),
      tls_row("wrong host, by name", tls_identity::wrong_host, "localhost", host_mismatch),
      tls_row("wrong host, by IP", tls_identity::wrong_host, "127.0.0.1", ip_mismatch),
      tls_row("wrong IP", tls_identity::wrong_ip, "127.0.0.1", ip_mismatch),
      tls_row("CN only, by name", tls_identity::cn_only, "localhost", host_mismatch),
      tls_row("CN only, by IP", tls_identity::cn_only, "127.0.0.1", ip_mismatch),
      tls_row("self-signed", tls_identity::self_signed, "127.0.0.1",
              verify_text(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)),
      tls_row("untrusted root", tls_identity::untrusted_root, "127.0.0.1", no_issuer),
      tls_row("missing intermediate", tls_identity::missing_intermediate, "127.0.0.1", no_issuer),
      // Security level 2, set by the client rather than left to the system's default.
      tls_row("RSA-1024 leaf key", tls_identity::weak_rsa_key, "127.0.0.1",
              verify_text(X509_V_ERR_EE_KEY_TOO_SMALL)),
      tls_row("SHA-1 signature", tls_identity::sha1_signature, "127.0.0.1",
              verify_text(X509_V_ERR_CA_MD_TOO_WEAK)),
      protocol_row("TLS 1.0 and 1.1 only", tls_versions::legacy_only),
      protocol_row("TLS 1.0 only", tls_versions::tls1_0_only),
      protocol_row("TLS 1.1 only", tls_versions::tls1_1_only),
  };
  for (const auto& row : rows)
    check_tls_refused(row);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_a_server_hello_is_tls_error) {
  fault_server server;
  connection_script garbage;
  garbage.handshake = false;
  garbage.steps = {send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
                   fault_step::stall()};
  server.script(std::move(garbage));
  server.script(test::good_connection());
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server));
  const auto r = bounded_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::tls_error, test::why(r));
  BOOST_TEST(r.error().attempts == 1);
  check_still_usable(ioc, c, server, true);
}

BOOST_AUTO_TEST_CASE(valid_chains_and_modern_versions_are_accepted) {
  BOOST_TEST(check_tls_accepted(tls_identity::with_intermediate, tls_versions::modern)
                 .handshake_completed);
  BOOST_TEST(check_tls_accepted(tls_identity::wrong_ip, tls_versions::modern, "localhost")
                 .handshake_completed); // its SAN names localhost: only the IP was wrong
  BOOST_TEST(check_tls_accepted(tls_identity::valid, tls_versions::tls1_2_only).protocol ==
             "TLSv1.2");
  BOOST_TEST(check_tls_accepted(tls_identity::valid, tls_versions::tls1_3_only).protocol ==
             "TLSv1.3");
}

// The refusal of a legacy-only server must come from the client, not from a server that cannot
// speak TLS 1.0/1.1 at all: a client that allows them completes the handshake.
BOOST_AUTO_TEST_CASE(the_legacy_only_server_really_speaks_tls_1_0_and_1_1) {
  for (auto [versions, expected] : {std::pair{tls_versions::legacy_only, "TLSv1.1"},
                                    std::pair{tls_versions::tls1_0_only, "TLSv1"}}) {
    BOOST_TEST_CONTEXT(expected) {
      fault_server server;
      connection_script script;
      script.versions = versions;
      script.steps = {fault_step::stall()};
      server.script(std::move(script));
      asio::io_context ioc;
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      SSL_CTX_set_security_level(ctx.native_handle(), 0);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
      SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0");
      ctx.set_verify_mode(asio::ssl::verify_none);
      asio::ssl::stream<asio::ip::tcp::socket> legacy(ioc, ctx);
      std::optional<boost::system::error_code> handshake;
      legacy.next_layer().async_connect(
          {asio::ip::address_v4::loopback(), server.port()}, [&](boost::system::error_code ec) {
            if (ec) {
              handshake.emplace(ec);
              return;
            }
            legacy.async_handshake(asio::ssl::stream_base::client,
                                   [&](boost::system::error_code hec) { handshake.emplace(hec); });
          });
      BOOST_REQUIRE(test::run_until(
          ioc, [&] { return handshake.has_value(); }, 5s));
      BOOST_TEST(!*handshake, handshake->message());
      BOOST_TEST(server.wait_until(
          [](const auto& records) { return !records.empty() && records[0].handshake_completed; }));
      BOOST_TEST(server.connections()[0].protocol == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(sni_names_the_host_of_a_host_name_url) {
  fault_server server;
  server.script(test::good_connection());
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server, server.base_url_for("localhost")));
  const auto r = bounded_call(ioc, c);
  BOOST_TEST(r.has_value(), test::why(r));
  BOOST_REQUIRE(server.connections_accepted() == 1u);
  BOOST_TEST(server.connections()[0].sni.value_or("(none)") == "localhost");
}

BOOST_AUTO_TEST_CASE(sni_is_absent_for_an_ip_literal_url) {
  fault_server server;
  server.script(test::good_connection());
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(server));
  const auto r = bounded_call(ioc, c);
  BOOST_TEST(r.has_value(), test::why(r));
  BOOST_REQUIRE(server.connections_accepted() == 1u);
  BOOST_TEST(server.connections()[0].handshake_completed);
  BOOST_TEST(!server.connections()[0].sni.has_value());
}

// ---- Retry-After ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_retry_after_beyond_max_retry_after_fails_at_once) {
  const auto r = answered_with(
      error_answer(503, "Service Unavailable", "Retry-After: 3600\r\n",
                   R"({"error":{"code":"service_unavailable","message":"down","status":503}})"),
      2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable, test::why(r));
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST(r.error().retry_after.value_or(std::chrono::seconds(0)).count() == 3600);
}

// A Retry-After too large to honour is the server asking for a long pause: the client must not
// answer it by retrying at once on its own short backoff (it treats the header as absent).
BOOST_AUTO_TEST_CASE(a_huge_retry_after_on_503_is_not_retried_at_once) {
  // Hardening issue: huge Retry-After (failed before the fix).
  const auto r = answered_with(
      error_answer(503, "Service Unavailable", "Retry-After: 100000000000\r\n",
                   R"({"error":{"code":"service_unavailable","message":"down","status":503}})"),
      2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable, test::why(r));
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST(r.error().retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(a_huge_retry_after_on_429_is_not_retried_at_once) {
  // Hardening issue: huge Retry-After (failed before the fix).
  const auto r = answered_with(
      error_answer(429, "Too Many Requests", "Retry-After: 100000000000\r\n",
                   R"({"error":{"code":"rate_limited","message":"slow down","status":429}})"),
      2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::rate_limited, test::why(r));
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST(r.error().retry_after.has_value());
}

// ---- 1xx -----------------------------------------------------------------------------------

// An interim answer is not the answer (RFC 9110 15.2): it is skipped and the final one used.
BOOST_AUTO_TEST_CASE(a_100_continue_before_the_answer_is_skipped) {
  // Hardening issue: 1xx responses (failed before the fix).
  check_wire_cases({succeeds("100 Continue, then the answer",
                             {read(), send("HTTP/1.1 100 Continue\r\n\r\n" + ok)})
                        .reusable()});
}

BOOST_AUTO_TEST_CASE(a_103_early_hints_before_the_answer_is_skipped) {
  // Hardening issue: 1xx responses (failed before the fix).
  check_wire_cases(
      {succeeds(
           "103 Early Hints, then the answer",
           {read(), send("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + ok)})
           .reusable()});
}

BOOST_AUTO_TEST_CASE(informational_answers_are_bounded_in_count_and_101_is_refused) {
  // RFC 9110 15.2: 1xx answers are skipped, but a server must not keep the client reading them
  // forever (src/connection.cpp: at most 7 before the answer), and a request talkory never
  // asked to upgrade cannot be answered with 101 Switching Protocols.
  auto continues = [](int count) {
    std::string wire;
    for (int i = 0; i < count; ++i)
      wire += "HTTP/1.1 100 Continue\r\n\r\n";
    return wire;
  };
  check_wire_cases({
      succeeds("7 x 100 Continue, then the answer", {read(), send(continues(7) + ok)}).reusable(),
      fails("8 x 100 Continue, then the answer", {read(), send(continues(8) + ok)},
            errc::invalid_response, 100),
      fails("an endless run of 100 Continue", {read(), send(continues(64)), fault_step::stall()},
            errc::invalid_response, 100),
      fails("101 Switching Protocols",
            {read(), send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + ok)},
            errc::invalid_response, 101),
  });
}

// ---- EOF in the headers --------------------------------------------------------------------

// A head cut short is no HTTP message at all. Today it is connection_lost (Beast's
// partial_message, or stream_truncated over TLS), which is also retried.
// The peer hanging up part-way through the header block is the same fault as hanging up
// part-way through the body: the connection was lost mid-exchange (retryable), not a malformed
// answer. Decided so; the README's error table says the same.
BOOST_AUTO_TEST_CASE(eof_in_the_headers_is_connection_lost) {
  check_wire_cases({
      fails("EOF in the status line", {read(), fault_step::close_after(ok, 7)},
            errc::connection_lost),
      fails("EOF in a header", {read(), fault_step::close_after(ok, ok_head.size() - 10)},
            errc::connection_lost),
      fails("EOF before the blank line", {read(), fault_step::close_after(ok, ok_head.size() - 2)},
            errc::connection_lost),
  });
}

// ---- duplicate JSON keys -------------------------------------------------------------------

// Parsers disagree on which duplicate wins (Boost.JSON keeps the last): an ambiguous answer is
// refused rather than read one way here and another way by a proxy or a log.
BOOST_AUTO_TEST_CASE(duplicate_top_level_keys_are_invalid_response) {
  // Hardening issue: duplicate JSON keys (failed before the fix).
  const auto r = answered_with(test::ok_response(
      {}, R"({"status":"ok","status":"degraded","checkedAt":"2026-06-27T10:00:00.000Z",)"
          R"("providers":{"gpt":{"status":"ok"}}})"));
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "accepted, status " << r->raw_status);
  BOOST_TEST(r.error().code == errc::invalid_response, test::why(r));
  BOOST_TEST(r.error().http_status == 200);
}

BOOST_AUTO_TEST_CASE(duplicate_provider_names_are_invalid_response) {
  // Hardening issue: duplicate JSON keys (failed before the fix).
  const auto r = answered_with(test::ok_response(
      {},
      R"({"status":"degraded","checkedAt":"2026-06-27T10:00:00.000Z",)"
      R"("providers":{"gpt":{"status":"ok"},"claude":{"status":"ok"},"gpt":{"status":"error"}}})"));
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "accepted with " << r->providers.size() << " providers");
  BOOST_TEST(r.error().code == errc::invalid_response, test::why(r));
}

// ---- the key reflected by the server -------------------------------------------------------

// Rule 2: the key is never in an error message, whatever the server echoes back.
BOOST_AUTO_TEST_CASE(a_key_reflected_in_the_error_message_is_not_repeated) {
  // Hardening issue: reflected key in server text (failed before the fix).
  const auto r = answered_with(
      error_answer(401, "Unauthorized", "",
                   R"({"error":{"code":"invalid_api_key","message":"Invalid API key: )" + api_key +
                       R"(","status":401,"requestId":"req_1"}})"));
  BOOST_TEST(r.error().code == errc::invalid_api_key, test::why(r));
  check_key_not_reflected(r);
}

BOOST_AUTO_TEST_CASE(a_key_reflected_in_a_non_json_body_is_not_repeated) {
  // Hardening issue: reflected key in server text (failed before the fix).
  const auto r = answered_with(
      error_answer(400, "Bad Request", "Content-Type: text/plain\r\n", "bad key " + api_key));
  BOOST_TEST(r.error().code == errc::unknown_api_error, test::why(r));
  check_key_not_reflected(r);
}

BOOST_AUTO_TEST_CASE(a_key_reflected_in_a_location_header_is_not_repeated) {
  // Hardening issue: reflected key in server text (failed before the fix).
  const auto r =
      answered_with(error_answer(302, "Found", "Location: /login?key=" + api_key + "\r\n", ""));
  BOOST_TEST(r.error().code == errc::unknown_api_error, test::why(r));
  check_key_not_reflected(r);
}

BOOST_AUTO_TEST_CASE(a_key_reflected_in_the_request_id_is_not_repeated) {
  // Hardening issue: reflected key in server text (failed before the fix).
  const auto r = answered_with(
      error_answer(500, "Internal Server Error", "X-Request-Id: " + api_key + "\r\n", ""));
  BOOST_TEST(r.error().code == errc::unknown_api_error, test::why(r));
  check_key_not_reflected(r);
}

BOOST_AUTO_TEST_CASE(a_key_reflected_in_the_error_code_is_not_repeated) {
  // Hardening issue: reflected key in server text (failed before the fix).
  const auto r = answered_with(
      error_answer(403, "Forbidden", "",
                   R"({"error":{"code":")" + api_key + R"(","message":"no","status":403}})"));
  BOOST_TEST(r.error().code == errc::unknown_api_error, test::why(r));
  check_key_not_reflected(r);
}

// ---- chunk framing outside the caps ----------------------------------------------------------

// Rule 4: no unbounded memory. Neither cap covers a chunk-size line or the trailer section:
// Beast buffers them whole, so a server can make the client hold any amount.
BOOST_AUTO_TEST_CASE(an_endless_chunk_extension_is_bounded) {
  // Found by this matrix: a chunk-size line was bounded by nothing but the deadline.
  check_wire_cases({fails("endless chunk extension",
                          {read(),
                           send(answer("Transfer-Encoding: chunked\r\n",
                                       "10;ext=" + std::string(4 * 1024 * 1024, 'a'))),
                           fault_step::stall()},
                          errc::response_too_large)});
}

BOOST_AUTO_TEST_CASE(trailers_over_max_response_header_give_response_too_large) {
  // Trailer fields land in the response's header fields: the header cap bounds them, alone and
  // together with the header (each of the last two blocks is under the cap, their sum is not).
  const auto filler = [](std::string_view prefix, std::size_t bytes) {
    std::string out;
    for (int i = 0; out.size() < bytes; ++i)
      out += std::string(prefix) + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n";
    return out;
  };
  const auto with_trailers = [&](std::string_view trailers) {
    std::string payload = test::chunked(body, 64);
    payload.replace(payload.size() - 2, 2, std::string(trailers) + "\r\n");
    return payload;
  };
  std::string endless = test::chunked(body, 64);
  endless.replace(endless.size() - 2, 2, "X-Endless: " + std::string(4 * 1024 * 1024, 'a'));
  const std::string te = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n";
  const std::size_t cap = client_options{}.max_response_header;
  check_wire_cases({
      fails("64 KiB of trailers",
            {read(), send(answer(te, with_trailers(filler("X-T-", 64 * 1024))))},
            errc::response_too_large),
      fails("an endless trailer", {read(), send(answer(te, endless)), fault_step::stall()},
            errc::response_too_large),
      fails("header and trailers over the cap together",
            {read(), send(answer(te + filler("X-H-", cap * 5 / 8),
                                 with_trailers(filler("X-T-", cap * 5 / 8))))},
            errc::response_too_large),
      succeeds("header and trailers within the cap together",
               {read(),
                send(answer(te + filler("X-H-", cap / 4), with_trailers(filler("X-T-", cap / 4))))})
          .reusable(),
  });
}

BOOST_AUTO_TEST_SUITE_END()
