// One HTTP/1.1 connection (TLS or, when allowed, plain TCP) with every step under a deadline.
#include "connection.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cancellation_state.hpp"
#include "transport_errors.hpp"

namespace talkory::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::chrono::milliseconds remaining(connection::clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::max(deadline - connection::clock::now(), connection::clock::duration::zero()));
}

// getaddrinfo runs on a thread of Asio's and cannot be interrupted, so a resolution that
// outlives its deadline or its caller's cancellation is abandoned rather than awaited. Every
// callback below runs on the calling coroutine's executor (a strand), so `race` needs no lock.
struct resolve_race {
  using signature = void(error_code, tcp::resolver::results_type);
  resolve_race(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::optional<asio::any_completion_handler<signature>> handler;

  void finish(error_code ec, tcp::resolver::results_type results) {
    if (!handler)
      return;
    auto h = std::move(*handler);
    handler.reset();
    asio::get_associated_cancellation_slot(h).clear();
    timer.cancel();
    resolver.cancel();
    std::move(h)(ec, std::move(results));
  }
};

asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>>
resolve_bounded(const std::string& host, std::uint16_t port,
                connection::clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  auto race = std::make_shared<resolve_race>(ex);
  // Named, not a temporary in the co_await expression: GCC 12 destroys such a temporary twice,
  // which released one reference to `race` too many (a use-after-free under TSan/ASan).
  auto initiation = [race, &host, port, deadline](auto handler) {
    race->handler.emplace(std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(*race->handler);
    if (slot.is_connected())
      slot.assign(
          [race](asio::cancellation_type) { race->finish(asio::error::operation_aborted, {}); });
    race->timer.expires_at(deadline);
    race->timer.async_wait([race](error_code ec) {
      if (!ec)
        race->finish(beast::error::timeout, {});
    });
    race->resolver.async_resolve(host, std::to_string(port),
                                 [race](error_code ec, tcp::resolver::results_type results) {
                                   race->finish(ec, std::move(results));
                                 });
  };
  co_return co_await asio::async_initiate<decltype(use_tuple), resolve_race::signature>(
      std::move(initiation), use_tuple);
}

std::string verify_failure_detail(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK)
    return {};
  return std::string(" (") + X509_verify_cert_error_string(result) + ")";
}

// Informational answers skipped before the final one; more means a broken or hostile server.
constexpr int max_informational = 8;

api_error invalid_informational_response(int status, const std::string& peer) {
  api_error e;
  e.code = errc::invalid_response;
  e.origin = error_origin::server;
  e.http_status = status;
  e.message = status == 101 ? "the server at " + peer +
                                  " switched protocols (HTTP 101), which "
                                  "the Talkory API never does"
                            : "the server at " + peer + " sent more than " +
                                  std::to_string(max_informational - 1) +
                                  " informational (1xx) answers before its response";
  return e;
}

// A step's outcome once the coroutine was asked to stop: operation_aborted, whether the step's
// operation failed for it (a closed socket) or completed before the coroutine resumed (see
// stop_requested()). Called as step_outcome(ec, co_await asio::this_coro::cancellation_state).
error_code step_outcome(error_code ec, const asio::cancellation_state& state) noexcept {
  return stop_requested(state) ? error_code(asio::error::operation_aborted) : ec;
}

} // namespace

namespace {
// Lets a pending wait not count as outstanding work, like a daemon thread: the count is lowered
// once the wait is pending and raised again, exactly once, before the wait's operation finishes
// (by whichever of stop_watching() and the wait's handler ends the watch; the scheduler lowers
// it again when the operation finishes). This holds only where the wait's operation carries
// exactly one unit of work: a socket on the io_context's own executor with an unbound handler.
// On a strand, or another kind of context, Asio tracks more work than that, so no watch is
// started there and idle connections are examined only when they are lent.
// Both the idle watch and the step deadline use this; own_io_context() tells where it holds:
// the io_context whose own executor `ex` is, or null (a strand, a thread_pool, another context).
asio::io_context* own_io_context(const asio::any_io_executor& ex) {
  if (auto* e = ex.target<asio::io_context::executor_type>())
    return &asio::query(*e, asio::execution::context);
  return nullptr;
}
} // namespace

// The deadline of one step (connect, the TLS handshake, one request/response exchange, the TLS
// shutdown), kept by one timer per connection that is re-armed lazily. Beast's tcp_stream armed
// and cancelled a timer around every read and every write instead: per kept-alive call two timer
// waits, two aborted completions, two filtering cancellation handlers and two timerfd updates.
//
// A step whose deadline is no earlier than the pending wait's expiry leaves the wait alone; a
// wait that expires finds, on the steps' strand, either no step (it stays disarmed), a step
// with a later deadline (it is re-armed for that one: one timer cycle per attempt timeout, not
// per call), or the step whose deadline has passed: its socket is closed, as Beast does, and the
// pending operation completes with operation_aborted, which deadline_scope::outcome() reports as
// beast::error::timeout. Numbered waits tell a superseded wait from the pending one.
//
// Like the idle watch, a wait left pending between steps does not count as outstanding work, so
// an idle pool never keeps io_context::run() from returning: its handler is unbound (one unit of
// work, the io_context's own) and gives the unit back before its operation finishes. Where the
// executor is not an io_context's own, the wait counts and is cancelled when its step ends.
struct connection::step_deadline {
  step_deadline(const asio::any_io_executor& ex, asio::io_context* own) : timer(ex), io(own) {}
  asio::steady_timer timer;
  asio::io_context* const io; // whose work count a pending wait stays out of; null: counted
  // The rest is the steps' strand's.
  clock::time_point current = clock::time_point::max(); // the step in progress's; max: none
  std::optional<clock::time_point> armed_for;           // the pending wait's expiry
  std::uint64_t number = 0;                             // of the pending wait
  bool expired = false;                                 // the current step's deadline passed
  connection::socket_type* socket = nullptr;            // null once the connection is gone

  void begin(clock::time_point deadline, const asio::any_io_executor& strand,
             const std::shared_ptr<step_deadline>& self) {
    current = deadline;
    expired = false;
    if (armed_for && *armed_for <= deadline)
      return; // it expires in time, if early (then it re-arms for this step)
    arm(deadline, strand, self);
  }

  void end() {
    current = clock::time_point::max();
    expired = false;
    if (!io && armed_for) { // a counted wait must not outlive its step
      armed_for.reset();
      timer.cancel();
    }
  }

  void arm(clock::time_point deadline, const asio::any_io_executor& strand,
           const std::shared_ptr<step_deadline>& self) {
    const auto mine = ++number;
    timer.expires_at(deadline); // a pending wait completes as aborted, giving its unit back
    armed_for = deadline;
    timer.async_wait([self, mine, strand](const error_code& ec) {
      if (self->io)
        self->io->get_executor().on_work_started(); // the unit this operation finishes with
      if (ec)
        return; // re-armed, or the connection is gone
      asio::post(strand, [self, mine, strand] { self->expired_wait(mine, strand, self); });
    });
    if (io)
      io->get_executor().on_work_finished(); // after the wait is pending: see above
  }

  void expired_wait(std::uint64_t which, const asio::any_io_executor& strand,
                    const std::shared_ptr<step_deadline>& self) {
    if (which != number || !socket)
      return; // superseded by a later wait, or the connection is gone
    armed_for.reset();
    if (current == clock::time_point::max())
      return; // between steps: disarmed until the next one
    if (clock::now() < current)
      return arm(current, strand, self);
    expired = true;
    error_code ignored;
    socket->close(ignored);
  }
};

/// One step under its deadline, for as long as the scope lives.
class connection::deadline_scope {
public:
  deadline_scope(connection& c, clock::time_point deadline, const asio::any_io_executor& strand)
      : d_(*c.deadline_) {
    d_.begin(deadline, strand, c.deadline_);
  }
  ~deadline_scope() { d_.end(); }
  deadline_scope(const deadline_scope&) = delete;
  deadline_scope& operator=(const deadline_scope&) = delete;

  /// What an operation of the step completed with, as the caller reports it.
  error_code outcome(error_code ec) const noexcept {
    return d_.expired ? error_code(beast::error::timeout) : ec;
  }

private:
  step_deadline& d_;
};

static std::uint64_t next_connection_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

connection::connection(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls_ctx)
    : ctx_(std::move(tls_ctx)),
      deadline_(std::make_shared<step_deadline>(executor, own_io_context(executor))),
      id_(next_connection_id()) {
  if (ctx_) {
    tls_ = std::make_unique<ssl_stream>(executor, *ctx_);
    // Asio asks OpenSSL to free its 16 KiB read and write buffers whenever they are empty, i.e.
    // after every exchange: two large allocations per call. A pooled connection keeps them.
    SSL_clear_mode(tls_->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  } else {
    plain_ = std::make_unique<socket_type>(executor);
  }
  deadline_->socket = &socket();
}

connection::~connection() {
  stop_watching();
  deadline_->socket = nullptr; // a deadline wait still pending finds nothing to close
  deadline_->timer.cancel();
  close();
}

connection::socket_type& connection::socket() noexcept {
  return tls_ ? tls_->next_layer() : *plain_;
}

bool connection::has_unsolicited_data() const noexcept {
  if (buffer_.size() > 0)
    return true;
  const auto& s = tls_ ? tls_->next_layer() : *plain_;
  error_code ec;
  const auto pending = s.available(ec);
  return ec || pending > 0;
}

void connection::set_idle_listener(asio::any_io_executor executor,
                                   std::function<void()> on_peer_activity) {
  auto watch = std::make_shared<idle_watch>();
  watch->executor = std::move(executor);
  watch->on_peer_activity = std::move(on_peer_activity);
  idle_watch_ = std::move(watch);
}

void connection::watch_idle() {
  stop_watching();
  auto* io = own_io_context(socket().get_executor());
  if (!io || !idle_watch_)
    return;
  const auto number = ++idle_watch_->last_number;
  idle_watch_->armed.store(number);
  // A peek, not a read: nothing is consumed, so a cancelled watch leaves the TLS stream exactly
  // as it was. A peek rather than async_wait(wait_read): Asio starts a wait by re-registering
  // the socket with epoll (an epoll_ctl, and a spurious writable event after it), while it tries
  // a receive once (a recv that finds nothing) and queues it as registered. Bytes that arrived
  // before it are found by that try, and those after it by the reactor. The handler runs on the
  // socket's executor (any thread); it only decides, atomically, who ends the watch, and hands the
  // news to the listener's executor (the pool's strand). A receive of an earlier watch that
  // completes late finds another number and leaves.
  socket().async_receive(
      asio::buffer(&idle_watch_->peeked, 1), tcp::socket::message_peek,
      [watch = idle_watch_, number, io](error_code, std::size_t) {
        auto mine = number;
        if (!watch->armed.compare_exchange_strong(mine, 0))
          return;                             // stopped: stop_watching() gave the work back
        io->get_executor().on_work_started(); // the unit this receive's operation finishes with
        asio::post(watch->executor, [watch] { watch->on_peer_activity(); });
      });
  // After the receive is pending (it holds the unit given up here); its handler may already have
  // run on another thread, which only reorders the +1/-1 pairs around a count that stays >= 0.
  io->get_executor().on_work_finished();
}

asio::io_context* connection::watch_context() noexcept {
  return own_io_context(socket().get_executor());
}

void connection::stop_watching() noexcept {
  if (!idle_watch_ || idle_watch_->armed.exchange(0) == 0)
    return;
  if (auto* io = own_io_context(socket().get_executor()))
    io->get_executor().on_work_started(); // given back for the wait that stop_watching ends
  error_code ignored;
  socket().cancel(ignored);
}

void connection::close() noexcept {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

asio::awaitable<result<void>> connection::open(const origin& o, const timeout_options& timeouts,
                                               clock::time_point deadline, tls_session resume) {
  peer_ = o.host_header;
  const auto connect_deadline = std::min(deadline, clock::now() + timeouts.connect);

  const auto where = co_await asio::this_coro::executor;
  steps_strand_ = where;
  error_code ec;
  if (o.host_is_ip_literal()) {
    const auto address = asio::ip::make_address(o.host, ec);
    if (ec)
      co_return std::unexpected(
          transport_error(transport_stage::resolve, ec, peer_, timeouts.connect));
    const tcp::endpoint target(address, o.port);
    const deadline_scope step(*this, connect_deadline, where);
    std::tie(ec) = co_await socket().async_connect(target, use_tuple);
    ec = step.outcome(ec);
  } else {
    auto [resolve_ec, results] = co_await resolve_bounded(o.host, o.port, connect_deadline);
    const auto rec = step_outcome(resolve_ec, co_await asio::this_coro::cancellation_state);
    if (rec)
      co_return std::unexpected(
          transport_error(transport_stage::resolve, rec, peer_, timeouts.connect));
    const deadline_scope step(*this, connect_deadline, where);
    std::tie(ec, std::ignore) = co_await asio::async_connect(socket(), results, use_tuple);
    ec = step.outcome(ec);
  }
  ec = step_outcome(ec, co_await asio::this_coro::cancellation_state);
  if (ec)
    co_return std::unexpected(
        transport_error(transport_stage::connect, ec, peer_, timeouts.connect));
  error_code ignored;
  socket().set_option(tcp::no_delay(true), ignored);

  if (tls_) {
    SSL* ssl = tls_->native_handle();
    // SNI is only for host names (RFC 6066); IP literals are verified against the SAN's IPs.
    if (!o.host_is_ip_literal() && !SSL_set_tlsext_host_name(ssl, o.host.c_str()))
      co_return std::unexpected(transport_error(
          transport_stage::handshake,
          error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()), peer_,
          timeouts.handshake));
    tls_->set_verify_mode(asio::ssl::verify_peer);
    // OpenSSL checks the name during chain verification, so a mismatch is reported as
    // "hostname mismatch" / "IP address mismatch". Never the subject CN: only the SAN names the
    // host (RFC 6125), and a certificate without one must not pass on its CN.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                               X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool name_set = o.host_is_ip_literal()
                              ? X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str()) == 1
                              : X509_VERIFY_PARAM_set1_host(param, o.host.c_str(), 0) == 1;
    if (!name_set)
      co_return std::unexpected(transport_error(
          transport_stage::handshake,
          error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()), peer_,
          timeouts.handshake));
    if (resume)
      SSL_set_session(ssl, resume.get());

    {
      const deadline_scope step(*this, std::min(deadline, clock::now() + timeouts.handshake),
                                where);
      std::tie(ec) = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
      ec = step.outcome(ec);
    }
    if (ec) {
      auto error = transport_error(transport_stage::handshake, ec, peer_, timeouts.handshake);
      if (error.code == errc::tls_error)
        error.message += verify_failure_detail(ssl);
      co_return std::unexpected(std::move(error));
    }
    resumed_ = SSL_session_reused(ssl) == 1;
  }
  opened_at_ = last_used_ = clock::now();
  co_return result<void>{};
}

void connection::forget_response() noexcept {
  outcome_ = exchange_outcome{}; // the fields and body first: they live in response_memory_
  response_memory_.release();
}

namespace {
// The exchange's reads and writes carry no cancellation slot: Asio would give each layer of each
// operation (the composed read or write, the TLS stream's operation, the socket's) a handler of
// its own, allocated and destroyed per read and write. One handler in the awaiting coroutine's
// slot, installed for the whole exchange, closes the socket instead, as an expired deadline
// does. Closing, not cancel(): a cancellation that lands while a completion of the TLS layer is
// queued finds no socket operation to cancel, and the layer would go on to start the next one;
// on a closed socket that one fails at once. The step then reports operation_aborted, whatever
// error the closed socket gave, and so does one whose operation completed before the stop came.
struct stop_exchange {
  tcp::socket* socket;
  bool* stop_requested;
  void operator()(asio::cancellation_type type) const noexcept {
    if (type == asio::cancellation_type::none)
      return;
    *stop_requested = true;
    error_code ignored;
    socket->close(ignored);
  }
};
} // namespace

void connection::begin_exchange(clock::time_point deadline, std::size_t max_header,
                                std::size_t max_body, asio::cancellation_slot slot) {
  // Already empty for a connection the pool lends (pool_lease::give_back forgot it): cheap
  // then, and the flags the replay decision reads never carry over from an earlier exchange.
  forget_response();
  exchange_ =
      exchange_state{.bound = remaining(deadline), .max_header = max_header, .max_body = max_body};
  deadline_->begin(deadline, steps_strand_, deadline_);
  if (slot.is_connected())
    slot.assign(stop_exchange{&socket(), &exchange_.stop_requested});
  // Whatever the parser has not yet consumed sits in buffer_: a status line, a header block, a
  // chunk-size line with its extensions. Capping the buffer at the header cap bounds each of
  // them (an endless chunk extension fails at once with response_too_large instead of growing
  // until the deadline); body bytes pass through it in pieces of at most that size.
  buffer_.max_size(std::max<std::size_t>(max_header, 4096));
}

void connection::end_exchange(asio::cancellation_slot slot) noexcept {
  if (slot.is_connected())
    slot.clear();
  deadline_->end();
  parser_.reset(); // its message's memory is response_memory_: it must not outlive the exchange
}

error_code connection::exchange_step_outcome(error_code ec) const noexcept {
  if (exchange_.stop_requested)
    return asio::error::operation_aborted; // whatever the closed socket said, or if it completed
  return deadline_->expired ? error_code(beast::error::timeout) : ec;
}

bool connection::request_written(error_code ec) {
  ec = exchange_step_outcome(ec);
  if (ec) {
    outcome_.error = transport_error(transport_stage::write, ec, peer_, exchange_.bound);
    return false;
  }
  prepare_parser();
  return true;
}

void connection::prepare_parser() {
  auto* const memory = &response_memory_;
  parser_.emplace(std::piecewise_construct, std::make_tuple(resource_allocator<char>(memory)),
                  std::make_tuple(resource_allocator<char>(memory)));
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(exchange_.max_header, UINT32_MAX)));
  parser_->body_limit(exchange_.max_body);
}

bool connection::response_read(error_code ec) {
  auto& out = outcome_;
  out.response_started = out.response_started || parser_->got_some() || buffer_.size() > 0;
  ec = exchange_step_outcome(ec);
  if (ec) {
    out.error = transport_error(transport_stage::read, ec, peer_, exchange_.bound);
    return false;
  }
  // Informational answers (100 Continue, 103 Early Hints) may precede the final one (RFC 9110
  // 15.2): each is read and skipped, at most max_informational of them, so a server cannot keep
  // the client reading header blocks for ever within the deadline.
  const auto status = parser_->get().result_int();
  if (status >= 100 && status < 200) {
    if (status == 101 || ++exchange_.informational >= max_informational) {
      out.error = invalid_informational_response(status, peer_);
      return false;
    }
    prepare_parser(); // a fresh one for the next answer
    return true;
  }
  // A chunked body's trailer fields join the header's: together they must fit the header cap,
  // as the header alone does (while they arrive, the buffer cap above bounds them).
  if (field_section_size(parser_->get().base()) > exchange_.max_header) {
    out.error = transport_error(transport_stage::read, beast::http::error::header_limit, peer_,
                                exchange_.bound);
    return false;
  }
  ++requests_served_;
  last_used_ = clock::now();
  // The parser's own keep_alive(), not the message's: a body that ended with the connection
  // (no Content-Length, not chunked) leaves nothing to reuse even when HTTP/1.1 says keep-alive.
  out.keep_alive = parser_->keep_alive() && buffer_.size() == 0;
  out.response = parser_->release();
  return false;
}

tls_session connection::session() const {
  if (!tls_)
    return {};
  SSL_SESSION* current = SSL_get0_session(tls_->native_handle());
  if (!current || !SSL_SESSION_is_resumable(current))
    return {};
  // A copy: OpenSSL marks a session unresumable when its connection is freed without a
  // close_notify, which is how pooled connections usually end.
  SSL_SESSION* copy = SSL_SESSION_dup(current);
  if (!copy)
    return {};
  return tls_session(copy, SSL_SESSION_free);
}

asio::awaitable<void> connection::close_gracefully(std::chrono::milliseconds timeout) {
  if (tls_) {
    const deadline_scope step(*this, clock::now() + timeout, co_await asio::this_coro::executor);
    co_await tls_->async_shutdown(use_tuple);
  }
  close();
}

} // namespace talkory::detail
