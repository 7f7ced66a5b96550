// The events one call's request reports as it goes through the pipeline: each member is a single
// branch, and reads no clock, when nobody observes the client.
#pragma once

#include <chrono>
#include <cstdint>

#include "observability.hpp"

namespace talkory::detail {

class call_trace {
public:
  using clock = event_hub::clock;

  /// `hub` null: every member does nothing.
  call_trace(const event_hub* hub, std::uint64_t call_id) noexcept : hub_(hub), id_(call_id) {}

  std::uint64_t call_id() const noexcept { return id_; }

  /// A time to measure a wait or a step from: now when observed, otherwise no clock is read.
  clock::time_point mark() const { return hub_ ? clock::now() : clock::time_point{}; }

  /// limiter_waited or pool_waited, for a wait that began at `since`.
  void waited(event_kind kind, clock::time_point since) const {
    if (hub_)
      hub_->emit({.kind = kind, .call_id = id_, .duration = elapsed_since(since)});
  }

  void attempt_started(int attempt) const {
    if (hub_)
      hub_->emit({.kind = event_kind::attempt_started, .call_id = id_, .attempt = attempt});
  }

  /// `error` null: the attempt got a 2xx answer with `http_status`.
  void attempt_finished(int attempt, int http_status, const api_error* error,
                        clock::time_point since) const {
    if (hub_)
      hub_->emit({.kind = event_kind::attempt_finished,
                  .call_id = id_,
                  .attempt = attempt,
                  .error = error ? std::optional(error->code) : std::nullopt,
                  .http_status = http_status,
                  .duration = elapsed_since(since)},
                 error);
  }

  void retry_scheduled(int failed_attempt, const api_error& error,
                       std::chrono::milliseconds delay) const {
    if (hub_)
      hub_->emit({.kind = event_kind::retry_scheduled,
                  .call_id = id_,
                  .attempt = failed_attempt,
                  .error = error.code,
                  .http_status = error.http_status,
                  .duration = delay},
                 &error);
  }

  void connection_opened(std::uint64_t connection_id, handshake_kind handshake,
                         clock::time_point since) const {
    if (hub_)
      hub_->emit({.kind = event_kind::connection_opened,
                  .call_id = id_,
                  .duration = elapsed_since(since),
                  .connection_id = connection_id,
                  .handshake = handshake});
  }

  void connection_reused(std::uint64_t connection_id) const {
    if (hub_)
      hub_->emit(
          {.kind = event_kind::connection_reused, .call_id = id_, .connection_id = connection_id});
  }

  /// A connection the call itself drops (the pool reports the ones given back to it).
  void connection_retired(std::uint64_t connection_id, retire_reason why) const {
    if (hub_)
      hub_->emit({.kind = event_kind::connection_retired,
                  .call_id = id_,
                  .connection_id = connection_id,
                  .reason = why});
  }

private:
  const event_hub* hub_;
  std::uint64_t id_;
};

} // namespace talkory::detail
