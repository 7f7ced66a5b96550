// The shared state behind talkory::client handles, and the pipeline every call runs through.
#include "client_impl.hpp"

#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cancellation_state.hpp"
#include "completion.hpp"
#include "error_decoder.hpp"
#include "health_decoder.hpp"
#include "retry_policy.hpp"
#include "tls_context.hpp"

namespace talkory::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* health_path = "/v1/health/llm";

api_error client_error(errc code, std::string message) {
  api_error e;
  e.code = code;
  e.origin = error_origin::client;
  e.message = std::move(message);
  return e;
}

api_error cancelled_error() {
  return client_error(errc::cancelled,
                      "the call was cancelled (by its caller, or because the client was shut down "
                      "or destroyed)");
}

std::string seconds_text(milliseconds d) {
  if (d.count() % 1000 == 0)
    return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

} // namespace

client_impl::client_impl(asio::any_io_executor ex, client_options options)
    : executor_(std::move(ex)), options_(std::move(options)) {
  options_error_ = options_.validate();
  if (!options_error_) {
    auto parsed = parse_base_url(options_.base_url, options_.allow_insecure_http);
    if (parsed)
      origin_ = std::move(*parsed);
    else
      options_error_ = std::move(parsed.error());
  }
  if (!options_error_ && origin_.tls) {
    auto ctx = make_tls_context(options_.tls);
    if (ctx)
      tls_ = std::move(*ctx);
    else
      options_error_ = std::move(ctx.error());
  }
  limiter_ = rate_limiter::create(executor_, options_.rate_limit);
  pool_ = connection_pool::create(executor_, options_.pool);
  std::random_device rd;
  random_state_ = (std::uint64_t{rd()} << 32) ^ rd();
}

result<client_impl::call_limits> client_impl::limits_for(const call_options& o) const {
  for (const auto& [value, name] :
       {std::pair{o.timeout, "timeout"}, std::pair{o.attempt_timeout, "attempt_timeout"},
        std::pair{o.connect_timeout, "connect_timeout"},
        std::pair{o.handshake_timeout, "handshake_timeout"}})
    if (value && value->count() <= 0)
      return std::unexpected(client_error(errc::invalid_options, std::string("call_options::") +
                                                                     name + " must be positive"));
  if (o.max_retries && *o.max_retries < 0)
    return std::unexpected(
        client_error(errc::invalid_options, "call_options::max_retries must not be negative"));

  call_limits l;
  l.started = clock::now();
  l.timeouts = options_.timeouts;
  l.timeouts.total = o.timeout.value_or(l.timeouts.total);
  l.timeouts.attempt = std::min(o.attempt_timeout.value_or(l.timeouts.attempt), l.timeouts.total);
  l.timeouts.connect = o.connect_timeout.value_or(l.timeouts.connect);
  l.timeouts.handshake = o.handshake_timeout.value_or(l.timeouts.handshake);
  l.max_retries = o.max_retries.value_or(options_.retry.max_retries);
  l.deadline = l.started + l.timeouts.total;
  return l;
}

std::shared_ptr<call_state> client_impl::register_call() {
  auto call = std::make_shared<call_state>(executor_);
  std::lock_guard lock(calls_mutex_);
  if (closed_)
    return nullptr;
  call->id = next_call_id_++;
  calls_.emplace(call->id, call);
  return call;
}

void client_impl::unregister_call(std::uint64_t id) {
  std::lock_guard lock(calls_mutex_);
  calls_.erase(id);
}

double client_impl::next_unit_random() {
  // splitmix64: jitter needs spread, not cryptographic strength.
  std::lock_guard lock(calls_mutex_);
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void client_impl::start_health(call_options options,
                               asio::any_completion_handler<client::health_signature> handler) {
  ++counters_.calls_started;
  if (options_error_) {
    ++counters_.calls_failed;
    return complete_later(executor_, std::move(handler),
                          result<health_report>(std::unexpected(*options_error_)));
  }
  auto limits = limits_for(options);
  if (!limits) {
    ++counters_.calls_failed;
    return complete_later(executor_, std::move(handler),
                          result<health_report>(std::unexpected(std::move(limits.error()))));
  }
  const bool coalescible = options_.coalesce_concurrent_calls && !options.timeout &&
                           !options.attempt_timeout && !options.connect_timeout &&
                           !options.handshake_timeout && !options.max_retries;
  if (coalescible) {
    std::shared_ptr<flight> current;
    {
      std::lock_guard lock(calls_mutex_);
      current = shared_flight_.lock();
    }
    if (current && subscribe(current, handler))
      return;
  }

  auto call = register_call();
  if (!call) {
    ++counters_.calls_failed;
    return complete_later(executor_, std::move(handler),
                          result<health_report>(std::unexpected(cancelled_error())));
  }
  auto f = std::make_shared<flight>(call);
  subscribe(f, handler);
  if (coalescible) {
    std::lock_guard lock(calls_mutex_);
    shared_flight_ = f;
  }
  asio::co_spawn(call->strand, run_health(call, *limits),
                 asio::bind_cancellation_slot(
                     call->signal.slot(),
                     [self = shared_from_this(), f](std::exception_ptr e, result<health_report> r) {
                       self->unregister_call(f->call->id);
                       if (e)
                         r = std::unexpected(client_error(
                             errc::invalid_response, "internal error while handling the response"));
                       self->deliver(*f, r);
                     }));
}

bool client_impl::subscribe(const std::shared_ptr<flight>& f,
                            asio::any_completion_handler<client::health_signature>& handler) {
  std::unique_lock lock(f->mutex);
  if (f->done || f->cancelling)
    return false;
  const auto id = f->next_subscriber++;
  // The caller may cancel from its own executor; leaving is handled under the flight's mutex and,
  // for the last subscriber, re-emitted on the call's strand where the awaited operation can
  // safely be cancelled. Any cancellation type is treated as terminal.
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected())
    // Weak references: the slot lives in the caller's frame, which the flight owns through the
    // caller's handler; strong ones would make a cycle that leaks if the context is destroyed.
    slot.assign([weak_self = weak_from_this(), weak_flight = std::weak_ptr(f),
                 id](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none)
        return;
      auto self = weak_self.lock();
      auto fl = weak_flight.lock();
      if (self && fl)
        self->unsubscribe(fl, id);
    });
  auto work = asio::make_work_guard(asio::get_associated_executor(handler, executor_));
  f->subscribers.push_back(flight::subscriber{id, std::move(handler), std::move(work)});
  return true;
}

void client_impl::unsubscribe(const std::shared_ptr<flight>& f, std::uint64_t subscriber_id) {
  std::unique_lock lock(f->mutex);
  if (f->done)
    return;
  auto it =
      std::find_if(f->subscribers.begin(), f->subscribers.end(),
                   [subscriber_id](const flight::subscriber& s) { return s.id == subscriber_id; });
  if (it == f->subscribers.end())
    return;
  if (f->subscribers.size() > 1) {
    // Others still wait for the shared request: this caller alone leaves, at once.
    auto leaving = std::move(*it);
    f->subscribers.erase(it);
    lock.unlock();
    ++counters_.calls_failed;
    complete_later(executor_, std::move(leaving.handler),
                   result<health_report>(std::unexpected(cancelled_error())));
    return;
  }
  f->cancelling = true;
  lock.unlock();
  auto call = f->call;
  asio::post(call->strand, [call] {
    call->cancelled = true;
    call->signal.emit(asio::cancellation_type::terminal);
  });
}

void client_impl::deliver(flight& f, const result<health_report>& r) {
  std::list<flight::subscriber> subscribers;
  {
    std::lock_guard lock(f.mutex);
    f.done = true;
    subscribers = std::move(f.subscribers);
  }
  for (auto& s : subscribers) {
    ++(r ? counters_.calls_succeeded : counters_.calls_failed);
    complete_now(executor_, std::move(s.handler), r);
    s.work.reset();
  }
}

asio::awaitable<result<health_report>> client_impl::run_health(std::shared_ptr<call_state> call,
                                                               call_limits limits) {
  co_await asio::this_coro::throw_if_cancelled(false);
  // Arguments of a co_await are named locals: GCC 12 mishandles temporaries there.
  const request_spec spec{health_path};
  auto r = co_await perform(*call, spec, limits);
  if (!r)
    co_return std::unexpected(std::move(r.error()));
  auto report = decode_health_response(r->response, std::chrono::system_clock::now());
  if (!report) {
    report.error().attempts = r->attempts;
    co_return report;
  }
  report->meta.attempts = r->attempts;
  report->meta.connection_reused = r->connection_reused;
  report->meta.latency =
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - limits.started);
  co_return report;
}

asio::awaitable<result<pipeline_response>>
client_impl::perform(const call_state& call, const request_spec& spec, const call_limits& limits) {
  const auto request =
      make_request(origin_, http::verb::get, spec.path, {}, options_.api_key, options_.user_agent);
  auto fail = [](api_error e, int attempts) {
    e.attempts = attempts;
    return result<pipeline_response>(std::unexpected(std::move(e)));
  };
  std::string last_request_id;

  for (int attempt = 1;; ++attempt) {
    auto [limit_ec, waited] = co_await limiter_->async_acquire(limits.deadline, use_tuple);
    if (call.cancelled || limit_ec == errc::cancelled)
      co_return fail(cancelled_error(), attempt - 1);
    if (waited)
      ++counters_.rate_limit_waits;
    if (limit_ec) {
      auto e = client_error(
          errc::rate_limited,
          "the client-side rate limit (" + std::to_string(options_.rate_limit.requests_per_window) +
              " requests per " + seconds_text(options_.rate_limit.window) +
              ") has no request slot free before the call's deadline; slow down or allow a "
              "longer timeout");
      e.request_id = last_request_id;
      co_return fail(std::move(e), attempt - 1);
    }

    const auto attempt_deadline = std::min(limits.deadline, clock::now() + limits.timeouts.attempt);
    auto r = co_await attempt_once(request, attempt_deadline, limits);
    if (r) {
      r->attempts = attempt;
      co_return r;
    }
    if (call.cancelled)
      co_return fail(cancelled_error(), attempt);
    api_error error = std::move(r.error());
    if (error.code == errc::timeout && clock::now() >= limits.deadline)
      error.message +=
          " (the call's overall deadline of " + seconds_text(limits.timeouts.total) + " passed)";
    if (!error.request_id.empty())
      last_request_id = error.request_id;
    else
      error.request_id = last_request_id;

    const auto decision =
        decide_retry(options_.retry, error, attempt, limits.max_retries, next_unit_random());
    if (decision.retry_after_too_long) {
      error.message += "; the server asks to retry after " +
                       std::to_string(error.retry_after.value_or(std::chrono::seconds{0}).count()) +
                       " s, longer than retry.max_retry_after: not waiting";
      co_return fail(std::move(error), attempt);
    }
    if (!decision.retry)
      co_return fail(std::move(error), attempt);
    if (clock::now() + decision.delay >= limits.deadline) {
      error.message += "; no time is left for another attempt before the call's deadline";
      co_return fail(std::move(error), attempt);
    }

    ++counters_.retries;
    asio::steady_timer backoff(co_await asio::this_coro::executor, decision.delay);
    co_await backoff.async_wait(use_tuple);
    if (call.cancelled)
      co_return fail(cancelled_error(), attempt);
  }
}

asio::awaitable<result<pipeline_response>> client_impl::attempt_once(const http_request& request,
                                                                     clock::time_point deadline,
                                                                     const call_limits& limits) {
  const auto acquire_deadline = std::min(deadline, clock::now() + options_.pool.acquire_timeout);
  auto [pool_ec, lease, waited] = co_await pool_->async_acquire(acquire_deadline, use_tuple);
  if (waited)
    ++counters_.pool_waits;
  if (pool_ec == errc::timeout) {
    auto e = client_error(errc::timeout,
                          "no pooled connection became free in time (pool.max_connections = " +
                              std::to_string(options_.pool.max_connections) + ")");
    if (auto last = pool_->last_connect_error()) {
      e.message += "; the last connection attempt failed: " + last->message;
      e.cause = last->cause;
    }
    co_return std::unexpected(std::move(e));
  }
  if (pool_ec)
    co_return std::unexpected(cancelled_error());
  const bool cancelled_meanwhile = co_await cancellation_requested();
  if (cancelled_meanwhile)
    co_return std::unexpected(cancelled_error()); // the lease frees the slot

  for (bool replayed = false;;) {
    const bool reused = lease.get() != nullptr;
    if (!reused) {
      auto opened = co_await open_connection(deadline, limits.timeouts);
      if (!opened)
        co_return std::unexpected(std::move(opened.error())); // the lease frees the slot
      lease.reset(std::move(*opened));
      const bool cancelled_while_opening = co_await cancellation_requested();
      if (cancelled_while_opening)
        co_return std::unexpected(cancelled_error()); // the lease discards the connection
    }
    ++counters_.requests;
    if (reused)
      ++counters_.requests_on_reused;
    auto out = co_await lease.get()->exchange(request, deadline, options_.max_response_header,
                                              options_.max_response_body);
    if (out.response) {
      // TLS 1.3 tickets arrive after the handshake: the first response is when to save one.
      if (!reused && lease.get()->is_tls())
        if (auto session = lease.get()->session())
          pool_->save_session(std::move(session));
      lease.give_back(out.keep_alive);
      const auto status = out.response->result_int();
      if (status >= 200 && status < 300) {
        learn_from(*out.response, nullptr);
        co_return pipeline_response{std::move(*out.response), 0, reused};
      }
      auto error = decode_error_response(*out.response, std::chrono::system_clock::now());
      learn_from(*out.response, &error);
      co_return std::unexpected(std::move(error));
    }
    // A server may close an idle keep-alive connection just as it is reused: if not a byte of
    // the response came, the request was not processed and is replayed once on a fresh one.
    if (reused && !replayed && !out.response_started && out.error.code == errc::connection_lost) {
      replayed = true;
      ++counters_.stale_retries;
      lease.reset(nullptr);
      continue;
    }
    co_return std::unexpected(std::move(out.error)); // the lease discards the connection
  }
}

asio::awaitable<result<std::unique_ptr<connection>>>
client_impl::open_connection(clock::time_point deadline, const timeout_options& timeouts) {
  auto conn = std::make_unique<connection>(executor_, tls_);
  auto resume = pool_->session();
  auto opened = co_await conn->open(origin_, timeouts, deadline, std::move(resume));
  if (!opened) {
    pool_->note_connect_error(opened.error());
    co_return std::unexpected(std::move(opened.error()));
  }
  ++counters_.connections_opened;
  if (conn->is_tls())
    ++(conn->session_resumed() ? counters_.handshakes_resumed : counters_.handshakes_full);
  co_return conn;
}

void client_impl::learn_from(const http_response& response, const api_error* error) {
  // A 429's Retry-After is the server's precise word on when the key may send again; without
  // one, X-RateLimit-Remaining tells how much of the window is left.
  if (error && error->http_status == 429 && error->retry_after) {
    limiter_->pause_for(std::chrono::duration_cast<milliseconds>(*error->retry_after));
    return;
  }
  if (auto remaining = parse_header_integer(response["X-RateLimit-Remaining"]))
    limiter_->observe_remaining(*remaining);
}

void client_impl::close_calls() {
  std::vector<std::shared_ptr<call_state>> live;
  {
    std::lock_guard lock(calls_mutex_);
    closed_ = true;
    for (auto& [id, weak] : calls_)
      if (auto call = weak.lock())
        live.push_back(std::move(call));
  }
  for (auto& call : live)
    asio::post(call->strand, [call] {
      call->cancelled = true;
      call->signal.emit(asio::cancellation_type::terminal);
    });
  limiter_->shutdown();
}

void client_impl::close() {
  close_calls();
  pool_->async_shutdown(options_.timeouts.shutdown, [] {});
}

void client_impl::start_shutdown(asio::any_completion_handler<client::shutdown_signature> handler) {
  close_calls();
  auto work = asio::make_work_guard(asio::get_associated_executor(handler, executor_));
  pool_->async_shutdown(
      options_.timeouts.shutdown,
      [self = shared_from_this(), h = std::move(handler), work = std::move(work)]() mutable {
        complete_now(self->executor_, std::move(h));
        work.reset();
      });
}

client_stats client_impl::stats() const {
  client_stats s;
  s.calls_started = counters_.calls_started;
  s.calls_succeeded = counters_.calls_succeeded;
  s.calls_failed = counters_.calls_failed;
  s.requests = counters_.requests;
  s.requests_on_reused = counters_.requests_on_reused;
  s.connections_opened = counters_.connections_opened;
  s.handshakes_full = counters_.handshakes_full;
  s.handshakes_resumed = counters_.handshakes_resumed;
  s.stale_retries = counters_.stale_retries;
  s.retries = counters_.retries;
  s.pool_waits = counters_.pool_waits;
  s.rate_limit_waits = counters_.rate_limit_waits;
  s.connections_idle = pool_->idle_count();
  s.connections_active = pool_->lent_count();
  return s;
}

} // namespace talkory::detail
