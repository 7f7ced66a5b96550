// The dispatcher of a client's observability: observer first, then the log at the event's level.
#include "observability.hpp"

#include "cache_policy.hpp"
#include "secret_scrubber.hpp"
#include "text.hpp"

namespace talkory::detail {

log_level level_of(const call_event& e, const api_error* error) noexcept {
  switch (e.kind) {
  case event_kind::call_started:
  case event_kind::attempt_started:
  case event_kind::attempt_finished:
  case event_kind::connection_reused:
    return log_level::trace;
  case event_kind::retry_scheduled:
    return log_level::info;
  case event_kind::call_finished:
    if (!e.error || *e.error == errc::cancelled)
      return log_level::debug;
    return error && error_allows_stale(*error) ? log_level::warning : log_level::error;
  case event_kind::limiter_waited:
  case event_kind::pool_waited:
  case event_kind::connection_opened:
  case event_kind::connection_retired:
    break;
  }
  return log_level::debug;
}

std::string log_line(const call_event& e, const api_error* error, std::string_view secret) {
  std::string line;
  if (error) {
    // Scrubbed field by field before describe() cuts them: a cut must not leave a key's prefix.
    api_error scrubbed = *error;
    for (auto* field :
         {&scrubbed.message, &scrubbed.request_id, &scrubbed.server_code, &scrubbed.body_snippet})
      scrub_secret(*field, secret);
    line = event_text(e, &scrubbed);
  } else {
    line = event_text(e, nullptr);
  }
  scrub_secret(line, secret);
  return printable_text(line, log_options::max_message_length, ' ');
}

std::shared_ptr<const event_hub> event_hub::create(const client_options& options) {
  const bool logs = options.log.sink && options.log.level != log_level::off;
  if (!options.observer && !logs)
    return nullptr;
  return std::make_shared<const event_hub>(options.observer, logs ? options.log : log_options{},
                                           options.api_key);
}

event_hub::event_hub(std::shared_ptr<call_observer> observer, log_options log, std::string secret)
    : observer_(std::move(observer)), log_(std::move(log)), secret_(std::move(secret)) {}

void event_hub::emit(const call_event& event, const api_error* error) const noexcept {
  if (observer_) {
    try {
      observer_->on_event(event);
    } catch (...) {
      // Dropped: an observer's failure must not reach the event loop or change the call.
    }
  }
  if (!log_.sink || log_.level == log_level::off)
    return;
  const auto level = level_of(event, error);
  if (level < log_.level)
    return;
  try {
    log_.sink(level, log_line(event, error, secret_));
  } catch (...) {
    // Dropped, like the observer's (and a failure to format the line, which only allocation has).
  }
}

void event_hub::log_text(log_level level, std::string_view text) const noexcept {
  if (!log_.sink || log_.level == log_level::off || level < log_.level)
    return;
  try {
    std::string line(text);
    scrub_secret(line, secret_);
    log_.sink(level, printable_text(line, log_options::max_message_length, ' '));
  } catch (...) {
    // Dropped, like an event's line.
  }
}

void event_hub::call_finished(std::uint64_t call_id, std::uint64_t shared_call_id,
                              clock::time_point started, const api_error* error,
                              bool from_cache) const {
  emit({.kind = event_kind::call_finished,
        .call_id = call_id,
        .error = error ? std::optional(error->code) : std::nullopt,
        .http_status = error ? error->http_status : 0,
        .duration = elapsed_since(started),
        .shared_call_id = shared_call_id,
        .from_cache = from_cache},
       error);
}

} // namespace talkory::detail
