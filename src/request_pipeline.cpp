// The generic request pipeline: limiter -> pool -> connection -> response, with retries under one
// deadline, the stale-connection replay, and learning from the server's rate-limit headers.
#include "request_pipeline.hpp"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cancellation_state.hpp"
#include "client_errors.hpp"
#include "connection_exchange.hpp"
#include "error_decoder.hpp"
#include "retry_policy.hpp"
#include "secret_scrubber.hpp"

namespace talkory::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using clock = call_limits::clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string seconds_text(milliseconds d) {
  if (d.count() % 1000 == 0)
    return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

// A failure after which a non-idempotent request must not be sent again: its bytes may have
// reached the server and been acted on, and no answer says otherwise.
bool may_have_been_processed(const api_error& error) noexcept {
  return error.http_status == 0 && error.code != errc::connection_failed &&
         error.code != errc::tls_error && error.code != errc::rate_limited;
}

} // namespace

namespace {

result<pipeline_response> failed(api_error e, int attempts) {
  e.attempts = attempts;
  return std::unexpected(std::move(e));
}

} // namespace

asio::awaitable<void> request_pipeline::perform(const call_state& call, const request_spec& spec,
                                                const call_limits& limits,
                                                result<pipeline_response>& out) const {
  // Only what must outlive a suspension lives here (in the coroutine's frame, allocated per call):
  // the decisions are plain functions, the retry's pause a coroutine of its own.
  const auto request_bytes = requests_.bytes_for(spec); // held for the whole call
  const std::string_view request = *request_bytes;
  retry_memory memory;
  const call_trace trace(p_.hub, call.call_id);

  for (int attempt = 1;; ++attempt) {
    const auto asked = trace.mark();
    std::error_code limit_ec;
    bool waited = false;
    // The call runs on the strand its client's limiter and pool share: a token or a connection
    // that is there for the taking is taken without an asynchronous operation.
    if (p_.limiter->enabled() && !p_.limiter->try_acquire_now())
      std::tie(limit_ec, waited) = co_await p_.limiter->async_acquire(limits.deadline, use_tuple);
    else if (p_.limiter->is_shut_down())
      limit_ec = errc::cancelled;
    if (call.cancelled || limit_ec == errc::cancelled) {
      out = failed(cancelled_error(), attempt - 1);
      co_return;
    }
    if (waited) {
      ++p_.counters->rate_limit_waits;
      trace.waited(event_kind::limiter_waited, asked);
    }
    if (limit_ec) {
      out = refused_by_limiter(limit_ec, memory, attempt - 1);
      co_return;
    }

    const auto attempt_deadline = std::min(limits.deadline, clock::now() + limits.timeouts.attempt);
    co_await attempt_once(request, spec.idempotent, attempt_deadline, limits, trace, attempt, out);
    if (out) {
      out->attempts = attempt;
      co_return;
    }
    const auto delay = next_attempt(call, spec, limits, trace, attempt, out.error(), memory);
    if (!delay)
      co_return; // the error, as next_attempt() left it
    co_await pause(*delay);
    if (call.cancelled) {
      out = failed(cancelled_error(), attempt);
      co_return;
    }
  }
}

result<pipeline_response> request_pipeline::refused_by_limiter(std::error_code limit_ec,
                                                               retry_memory& memory,
                                                               int attempts) const {
  const auto& options = *p_.options;
  if (limit_ec == errc::fleet_unavailable) {
    auto e = client_error(errc::fleet_unavailable,
                          "fleet mode cannot reach Redis at " + options.fleet.redis_url + " (" +
                              p_.limiter->unavailable_reason() +
                              "); nothing was sent because fleet.on_unavailable = fail: check "
                              "that Redis runs there, or set it to fallback_local");
    e.request_id = memory.last_request_id;
    return failed(std::move(e), attempts);
  }
  if (memory.last_error) {
    // A pause (the server's own Remaining: 0) may cut the retries short, but the answer the
    // caller needs is still the server's error, not the limiter's.
    memory.last_error->message += "; not retried: the client-side rate limit has no request "
                                  "slot free before the call's deadline";
    return failed(std::move(*memory.last_error), attempts);
  }
  auto e = client_error(
      errc::rate_limited,
      "the client-side rate limit (" + std::to_string(options.rate_limit.requests_per_window) +
          " requests per " + seconds_text(options.rate_limit.window) +
          ") has no request slot free before the call's deadline; slow down or allow a "
          "longer timeout");
  e.request_id = memory.last_request_id;
  return failed(std::move(e), attempts);
}

std::optional<std::chrono::milliseconds>
request_pipeline::next_attempt(const call_state& call, const request_spec& spec,
                               const call_limits& limits, const call_trace& trace, int attempt,
                               api_error& error, retry_memory& memory) const {
  error.attempts = attempt;
  if (call.cancelled) {
    error = cancelled_error();
    error.attempts = attempt;
    return std::nullopt;
  }
  if (error.code == errc::timeout && clock::now() >= limits.deadline)
    error.message +=
        " (the call's overall deadline of " + seconds_text(limits.timeouts.total) + " passed)";
  if (!error.request_id.empty())
    memory.last_request_id = error.request_id;
  else
    error.request_id = memory.last_request_id;

  if (!spec.idempotent && may_have_been_processed(error))
    return std::nullopt;
  const auto decision =
      decide_retry(p_.options->retry, error, attempt, limits.max_retries, p_.random());
  if (decision.retry_after_too_long) {
    error.message += "; the server asks to retry after " +
                     std::to_string(error.retry_after.value_or(std::chrono::seconds{0}).count()) +
                     " s, longer than retry.max_retry_after: not waiting";
    return std::nullopt;
  }
  if (!decision.retry)
    return std::nullopt;
  if (clock::now() + decision.delay >= limits.deadline) {
    error.message += "; no time is left for another attempt before the call's deadline";
    return std::nullopt;
  }
  ++p_.counters->retries;
  trace.retry_scheduled(attempt, error, decision.delay);
  memory.last_error = std::make_unique<api_error>(std::move(error));
  return decision.delay;
}

asio::awaitable<void> request_pipeline::pause(std::chrono::milliseconds delay) const {
  asio::steady_timer backoff(co_await asio::this_coro::executor, delay);
  co_await backoff.async_wait(use_tuple);
}

asio::awaitable<void>
request_pipeline::attempt_once(std::string_view request, bool idempotent,
                               clock::time_point deadline, const call_limits& limits,
                               const call_trace& trace, int attempt,
                               result<pipeline_response>& out) const {
  const auto& options = *p_.options;
  auto lease = p_.pool->try_acquire_now();
  if (!lease) {
    co_await wait_for_slot(deadline, trace, lease, out);
    if (!lease)
      co_return; // `out` says why
  }
  const bool cancelled_meanwhile = stop_requested(co_await asio::this_coro::cancellation_state);
  if (cancelled_meanwhile) {
    out = std::unexpected(cancelled_error()); // the lease frees the slot
    co_return;
  }

  lease.set_call_id(trace.call_id());
  trace.attempt_started(attempt);
  const auto since = trace.mark();
  for (bool replayed = false;;) {
    const bool reused = lease.get() != nullptr;
    if (reused) {
      trace.connection_reused(lease.get()->id());
    } else {
      lease.reset(co_await open_connection(deadline, limits.timeouts, trace, out));
      if (!lease.get()) {
        lease = pool_lease{}; // frees the slot; `out` says why
        break;
      }
      const bool cancelled_while_opening =
          stop_requested(co_await asio::this_coro::cancellation_state);
      if (cancelled_while_opening) {
        out = std::unexpected(cancelled_error());
        lease = pool_lease{}; // discards the connection
        break;
      }
    }
    ++p_.counters->requests;
    if (reused)
      ++p_.counters->requests_on_reused;
    co_await lease.get()->exchange(request, deadline, options.max_response_header,
                                   options.max_response_body);
    auto& exchanged = lease.get()->outcome();
    if (exchanged.response) {
      out = take_response(lease, reused);
      break;
    }
    // A server may close an idle keep-alive connection just as it is reused: if not a byte of
    // the response came, the request was not processed and is replayed once on a fresh one.
    // Only an idempotent request: its bytes may have arrived all the same.
    if (idempotent && reused && !replayed && !exchanged.response_started &&
        exchanged.error.code == errc::connection_lost) {
      replayed = true;
      ++p_.counters->stale_retries;
      trace.connection_retired(lease.get()->id(), retire_reason::peer_closed);
      lease.reset(nullptr);
      continue;
    }
    out = std::unexpected(std::move(exchanged.error));
    lease = pool_lease{}; // discards the connection, before the attempt is reported finished
    break;
  }
  trace.attempt_finished(attempt,
                         out ? static_cast<int>(out->response().result_int())
                             : out.error().http_status,
                         out ? nullptr : &out.error(), since);
}

asio::awaitable<void> request_pipeline::wait_for_slot(clock::time_point deadline,
                                                      const call_trace& trace, pool_lease& lease,
                                                      result<pipeline_response>& out) const {
  const auto asked = trace.mark();
  auto [pool_ec, granted, waited] = co_await p_.pool->async_acquire(
      std::min(deadline, clock::now() + p_.options->pool.acquire_timeout), use_tuple);
  if (waited) {
    ++p_.counters->pool_waits;
    trace.waited(event_kind::pool_waited, asked);
  }
  if (pool_ec)
    out = std::unexpected(pool_ec == errc::timeout ? pool_timeout_error() : cancelled_error());
  else
    lease = std::move(granted);
}

api_error request_pipeline::pool_timeout_error() const {
  auto e = client_error(errc::timeout,
                        "no pooled connection became free in time (pool.max_connections = " +
                            std::to_string(p_.options->pool.max_connections) + ")");
  if (auto last = p_.pool->last_connect_error()) {
    e.message += "; the last connection attempt failed: " + last->message;
    e.cause = last->cause;
  }
  return e;
}

result<pipeline_response> request_pipeline::take_response(pool_lease& lease, bool reused) const {
  auto& out = lease.get()->outcome();
  auto& response = *out.response;
  scrub_secret(response, p_.options->api_key);
  // TLS 1.3 tickets arrive after the handshake: the first response is when to save one.
  if (!reused && lease.get()->is_tls())
    if (auto session = lease.get()->session())
      p_.pool->save_session(std::move(session));
  const auto status = response.result_int();
  if (status >= 200 && status < 300) {
    learn_from(response, nullptr);
    pipeline_response answer(std::move(lease), out.keep_alive);
    answer.connection_reused = reused;
    return answer;
  }
  auto error = decode_error_response(response, std::chrono::system_clock::now());
  learn_from(response, &error);
  lease.give_back(out.keep_alive, retire_reason::server_close);
  return std::unexpected(std::move(error));
}

pipeline_response::pipeline_response(pool_lease lease, bool reusable) noexcept
    : lease_(std::move(lease)), reusable_(reusable) {}

pipeline_response::pipeline_response(std::unique_ptr<http_response> own) noexcept
    : own_(std::move(own)) {}

pipeline_response& pipeline_response::operator=(pipeline_response&& other) noexcept {
  if (this != &other) {
    release(); // a lease moved over this one would discard its connection instead
    attempts = other.attempts;
    connection_reused = other.connection_reused;
    lease_ = std::move(other.lease_);
    reusable_ = other.reusable_;
    own_ = std::move(other.own_);
  }
  return *this;
}

const http_response& pipeline_response::response() const noexcept {
  return own_ ? *own_ : *lease_.get()->outcome().response;
}

void pipeline_response::release() noexcept {
  own_.reset();
  lease_.give_back(reusable_, retire_reason::server_close); // the connection forgets the response
}

asio::awaitable<std::unique_ptr<connection>>
request_pipeline::open_connection(clock::time_point deadline, const timeout_options& timeouts,
                                  const call_trace& trace, result<pipeline_response>& out) const {
  const auto since = trace.mark();
  auto conn = std::make_unique<connection>(p_.executor, p_.tls);
  auto resume = p_.pool->session();
  auto opened = co_await conn->open(p_.server, timeouts, deadline, std::move(resume));
  if (!opened) {
    p_.pool->note_connect_error(opened.error());
    out = std::unexpected(std::move(opened.error()));
    co_return nullptr;
  }
  ++p_.counters->connections_opened;
  if (conn->is_tls())
    ++(conn->session_resumed() ? p_.counters->handshakes_resumed : p_.counters->handshakes_full);
  trace.connection_opened(conn->id(),
                          !conn->is_tls()           ? handshake_kind::none
                          : conn->session_resumed() ? handshake_kind::resumed
                                                    : handshake_kind::full,
                          since);
  co_return conn;
}

void request_pipeline::learn_from(const http_response& response, const api_error* error) const {
  // A 429's Retry-After is the server's precise word on when the key may send again; without
  // one, X-RateLimit-Remaining tells how much of the window is left.
  if (error && error->http_status == 429 && error->retry_after) {
    p_.limiter->pause_for(std::chrono::duration_cast<milliseconds>(*error->retry_after));
    return;
  }
  if (auto remaining = parse_header_integer(header_value(response, "X-RateLimit-Remaining")))
    p_.limiter->observe_remaining(*remaining);
}

} // namespace talkory::detail
