// The one path every call takes, whatever its endpoint: initiation, single-flight, the pipeline
// under one deadline, decoding, and delivery to each subscriber exactly once.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "answer_cache.hpp"
#include "api_endpoint.hpp"
#include "cache_policy.hpp"
#include "client_errors.hpp"
#include "client_impl.hpp"
#include "completion.hpp"
#include "observed_call.hpp"
#include "single_flight.hpp"

namespace talkory::detail {

/// How old `stored` is at `now`, as the metadata reports it.
inline std::chrono::milliseconds age_of(answer_cache::clock::time_point stored,
                                        answer_cache::clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - stored);
}

/// A copy of a cached answer, marked as such.
template <class T>
T from_cache(const api_endpoint<T>& ep, const answer_cache::entry<T>& cached,
             std::chrono::milliseconds age) {
  T answer = cached.value;
  auto* meta = ep.cache_metadata(answer);
  meta->from_cache = true;
  meta->age = age;
  return answer;
}

/// A good answer becomes the endpoint's last good one; a transient failure may be covered by it.
template <class T>
result<T> remember_or_fall_back(client_impl& impl, const api_endpoint<T>& ep, result<T> r) {
  const auto& o = impl.options();
  if (!ep.cache_metadata || (o.cache_ttl.count() == 0 && o.serve_stale_for.count() == 0))
    return r;
  if (r) {
    impl.cache().store<T>(&ep, *r, impl.now());
    return r;
  }
  const auto last = impl.cache().template find<T>(&ep);
  if (!last)
    return r;
  const auto age = age_of(last->fetched, impl.now());
  if (!may_serve_stale(r.error(), age, o.serve_stale_for))
    return r;
  T stale = from_cache(ep, *last, age);
  auto* meta = ep.cache_metadata(stale);
  meta->stale = true;
  meta->refresh_error = std::move(r.error());
  ++impl.counters().stale_answers;
  return stale;
}

/// Fleet mode: another process's answer, decoded as if it had just arrived, marked as cached.
template <class T>
std::optional<T> from_fleet(client_impl& impl, const api_endpoint<T>& ep,
                            const shared_answer_store::outcome& shared, const call_limits& limits) {
  auto response = std::make_unique<http_response>();
  response->result(200);
  response->set("X-Request-Id", shared.request_id);
  response->body() = shared.body;
  const pipeline_response stored(std::move(response));
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      call_limits::clock::now() - limits.started);
  auto decoded = ep.decode(stored, latency);
  if (!decoded)
    return std::nullopt; // not what this version decodes: ask the server instead
  auto* meta = ep.cache_metadata(*decoded);
  meta->from_cache = true;
  meta->age = shared.age;
  // Dated by its real age, so the local cache does not keep it longer than cache_ttl in all.
  impl.cache().store<T>(&ep, *decoded, impl.now() - shared.age);
  ++impl.counters().cache_hits;
  return std::move(*decoded);
}

/// Fleet mode with a cache, before the request: the fleet's fresh answer, a timeout while another
/// process fetched it, or nothing and (when this process is elected to fetch it for all) the
/// lease in `lease`. A coroutine of its own so that its state stays out of run_call's frame; the
/// answer comes on the heap for the same reason (a pointer in the frame of every call, the
/// allocation only in fleet mode, where a Redis round trip dwarfs it).
template <class T>
boost::asio::awaitable<std::unique_ptr<result<T>>>
ask_the_fleet(client_impl& impl, const api_endpoint<T>& ep, shared_answer_store& shared,
              const call_state& call, const call_limits& limits, std::string& lease) {
  auto found = co_await shared.obtain(ep.request.path, limits.deadline);
  if (call.cancelled)
    co_return std::make_unique<result<T>>(std::unexpected(cancelled_error()));
  if (found.kind == shared_answer_store::verdict::hit &&
      answer_is_fresh(found.age, impl.options().cache_ttl, limits.max_age))
    if (auto answer = from_fleet<T>(impl, ep, found, limits))
      co_return std::make_unique<result<T>>(std::move(*answer));
  if (found.kind == shared_answer_store::verdict::timeout)
    co_return std::make_unique<result<T>>(remember_or_fall_back<T>(
        impl, ep,
        std::unexpected(client_error(errc::timeout,
                                     "the call's deadline passed while another process of the "
                                     "fleet was fetching the answer"))));
  if (found.kind == shared_answer_store::verdict::refresh)
    lease = std::move(found.lease_token);
  co_return nullptr;
}

/// After the pipeline: the answer decoded, published to the fleet when this process holds its
/// lease (released otherwise), and remembered. A plain function: its locals stay out of
/// run_call's frame.
template <class T>
result<T> settle_call(client_impl& impl, const api_endpoint<T>& ep, shared_answer_store* shared,
                      std::string& lease, result<pipeline_response>& r, const call_limits& limits) {
  if (!r) {
    if (!lease.empty())
      shared->release(ep.request.path, std::move(lease));
    return remember_or_fall_back<T>(impl, ep, std::unexpected(std::move(r.error())));
  }
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      call_limits::clock::now() - limits.started);
  auto decoded = ep.decode(*r, latency);
  if (!decoded)
    decoded.error().attempts = r->attempts;
  if (!lease.empty()) {
    if (decoded)
      shared->publish(ep.request.path, std::string(r->response()["X-Request-Id"]),
                      std::string(r->response().body()), std::move(lease));
    else
      shared->release(ep.request.path, std::move(lease));
  }
  r->release(); // the connection goes back before anyone hears of the call's end
  return remember_or_fall_back<T>(impl, ep, std::move(decoded));
}

/// The call's end: it leaves the registry, and its result goes to everyone in its flight.
template <class T>
void hand_out(client_impl& impl, flight<T>& f, result<T>&& r) {
  impl.registry().finish(f.state());
  f.deliver(std::move(r));
}

/// A call's coroutine: the request (or the fleet's answer), settled and handed to its flight
/// here, not through co_spawn's completion, which would move the result through a lambda, an
/// executor function and a handler parameter (and keep a result's storage in co_spawn's frame).
template <class T>
boost::asio::awaitable<void> run_call(std::shared_ptr<client_impl> impl, const api_endpoint<T>* ep,
                                      std::shared_ptr<flight<T>> f, call_limits limits) {
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  auto& call = f->state();
  auto* shared = ep->cache_metadata ? impl->shared_answers() : nullptr;
  std::string lease;
  if (shared)
    if (auto settled = co_await ask_the_fleet<T>(*impl, *ep, *shared, call, limits, lease)) {
      hand_out(*impl, *f, std::move(*settled));
      co_return;
    }
  result<pipeline_response> r;
  co_await impl->pipeline().perform(call, ep->request, limits, r);
  hand_out(*impl, *f, settle_call<T>(*impl, *ep, shared, lease, r, limits));
}

/// The endpoint's cached answer when it is fresh enough for this call.
template <class T>
std::optional<T> fresh_cached(client_impl& impl, const api_endpoint<T>& ep,
                              const call_limits& limits) {
  if (!ep.cache_metadata || impl.options().cache_ttl.count() == 0)
    return std::nullopt;
  const auto last = impl.cache().template find<T>(&ep);
  if (!last)
    return std::nullopt;
  const auto age = age_of(last->fetched, impl.now());
  if (!answer_is_fresh(age, impl.options().cache_ttl, limits.max_age))
    return std::nullopt;
  return from_cache(ep, *last, age);
}

/// Starts a call of `ep` (a definition with static storage duration: it keys single-flight).
/// Completes `handler` exactly once, on its own executor (its `work`), never inside this call.
template <class T>
void start_call(const std::shared_ptr<client_impl>& impl, const api_endpoint<T>& ep,
                const call_options& options, tracked_handler<void(result<T>)> handler) {
  using handler_type = tracked_handler<void(result<T>)>;
  auto& counters = impl->counters();
  const auto& executor = impl->executor();
  const auto started = call_limits::clock::now();
  const auto& hub = impl->hub(); // null: nobody observes, and each `if (hub)` is all it costs
  const std::uint64_t call_id = hub ? hub->next_call_id() : 0;
  ++counters.calls_started;
  if (hub)
    hub->emit({.kind = event_kind::call_started, .call_id = call_id});
  // A call settled here reports its end here; one in a flight when the flight finishes it.
  auto settle = [&](result<T> r) {
    ++(r ? counters.calls_succeeded : counters.calls_failed);
    if (hub)
      report_finished(*hub, ep, call_id, 0, started, r);
    complete_later(executor, std::move(handler), std::move(r));
  };
  auto fail_now = [&](api_error e) { settle(std::unexpected(std::move(e))); };
  // What a flight keeps of this caller, given the call whose request it shares (0: its own).
  auto subscriber = [&](std::uint64_t shared_call_id) {
    return [&, shared_call_id](handler_type h) -> handler_type {
      if (!hub)
        return h;
      auto work = h.work;
      return handler_type(
          boost::asio::any_completion_handler<void(result<T>)>(observed_subscriber<T>{
              std::move(h), hub, &ep, call_id, shared_call_id, started, executor}),
          std::move(work));
    };
  };
  if (impl->options_error())
    return fail_now(*impl->options_error());
  auto limits = resolve_call(impl->options(), options, started);
  if (!limits)
    return fail_now(std::move(limits.error()));

  // A call made after shutdown must neither be answered from the cache nor join a flight
  // still winding down: it fails as cancelled below, like every call after shutdown.
  if (!impl->registry().closed()) {
    if (auto cached = fresh_cached(*impl, ep, *limits)) {
      ++counters.cache_hits;
      return settle(result<T>(std::move(*cached)));
    }
  }
  const bool coalescible = impl->options().coalesce_concurrent_calls && has_no_overrides(options);
  if (coalescible && !impl->registry().closed())
    if (auto current = impl->flights().template current<T>(&ep);
        current && current->join(handler, subscriber(current->state().call_id))) {
      ++counters.coalesced_calls;
      return;
    }

  auto f = std::make_shared<flight<T>>(impl->strand(), counters, executor, hub != nullptr);
  const auto call = f->call();
  if (!impl->registry().open(call))
    return fail_now(cancelled_error());
  call->call_id = call_id;
  f->start(handler, subscriber(0));
  if (coalescible)
    impl->flights().set(&ep, f);
  boost::asio::co_spawn(
      call->strand, run_call<T>(impl, &ep, f, *limits),
      boost::asio::bind_cancellation_slot(call->signal.slot(), [impl, f](std::exception_ptr e) {
        // Nothing in the pipeline throws by design; should something, never let it escape the
        // loop, and answer the callers unless run_call already did.
        if (e && !f->delivered())
          hand_out(*impl, *f,
                   result<T>(std::unexpected(client_error(
                       errc::invalid_response, "internal error while handling the response"))));
      }));
}

/// start_call for a handler whose work was not taken before its erasure (tests, and handlers
/// whose executor is not an any_io_executor): taken from the erased handler.
template <class T>
void start_call(const std::shared_ptr<client_impl>& impl, const api_endpoint<T>& ep,
                const call_options& options,
                boost::asio::any_completion_handler<void(result<T>)> handler) {
  start_call(impl, ep, options, track_erased(std::move(handler), {}, impl->executor()));
}

} // namespace talkory::detail
