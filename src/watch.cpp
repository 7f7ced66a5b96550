// The free functions of watch.hpp: option validation, event names and their one-line form, and
// which errors polling again cannot fix.
#include <talkory/watch.hpp>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "event_buffer.hpp"
#include "health_diff.hpp"
#include "text.hpp"

namespace talkory {
namespace {

api_error invalid_watch_options(std::string message) {
  api_error error;
  error.code = errc::invalid_options;
  error.origin = error_origin::client;
  error.message = "watch_options: " + std::move(message);
  return error;
}

std::string ms(milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

std::optional<api_error> check_positive(std::string_view name,
                                        const std::optional<milliseconds>& value) {
  if (!value || *value > milliseconds::zero()) {
    return std::nullopt;
  }
  return invalid_watch_options(std::string(name) + " must be greater than zero (got " + ms(*value) +
                               ")");
}

// Server text in a log line: bounded, and without control characters that could forge lines.
using detail::short_printable;

std::string printable_status(const std::optional<std::string>& status) {
  return status ? short_printable(*status) : std::string("absent");
}

// A list from the server (providers, changes) in a line: a bounded number of items, then how
// many were left out, so that a report naming thousands of providers still prints one short line.
template <class Item, class Print>
void print_bounded_list(std::ostream& os, const std::vector<Item>& items, Print print) {
  const auto shown = std::min(items.size(), detail::max_listed_items);
  for (std::size_t i = 0; i < shown; ++i) {
    os << (i == 0 ? "" : ", ");
    print(items[i]);
  }
  if (shown < items.size())
    os << ", " << detail::more_items(items.size() - shown);
}

void print_transitions(std::ostream& os, const health_event& event) {
  print_bounded_list(os, event.changes, [&](const provider_transition& t) {
    os << short_printable(t.provider) << ' ' << printable_status(t.from) << " -> "
       << printable_status(t.to);
  });
  bool first = event.changes.empty();
  if (event.status_from) {
    os << (first ? "" : "; ") << "status " << short_printable(*event.status_from) << " -> "
       << (event.report ? short_printable(detail::status_text(*event.report)) : "unknown");
    first = false;
  }
  if (first) {
    os << "no change ("
       << (event.report ? short_printable(detail::status_text(*event.report)) : "unknown") << ')';
  }
}

} // namespace

std::optional<api_error> watch_options::validate() const {
  if (interval <= milliseconds::zero()) {
    return invalid_watch_options("interval must be greater than zero (got " + ms(interval) + ")");
  }
  if (!(jitter >= 0.0 && jitter <= 1.0)) {
    return invalid_watch_options("jitter must be within 0 and 1 (got " + std::to_string(jitter) +
                                 ")");
  }
  if (max_backoff < interval) {
    return invalid_watch_options("max_backoff (" + ms(max_backoff) +
                                 ") must not be shorter than interval (" + ms(interval) + ")");
  }
  if (confirmations < 1) {
    return invalid_watch_options("confirmations must be at least 1");
  }
  if (max_pending_events < detail::event_buffer::min_capacity) {
    return invalid_watch_options("max_pending_events must be at least " +
                                 std::to_string(detail::event_buffer::min_capacity) + " (got " +
                                 std::to_string(max_pending_events) + ")");
  }
  for (const auto& [name, value] : {std::pair{"poll.timeout", poll.timeout},
                                    std::pair{"poll.attempt_timeout", poll.attempt_timeout},
                                    std::pair{"poll.connect_timeout", poll.connect_timeout},
                                    std::pair{"poll.handshake_timeout", poll.handshake_timeout}}) {
    if (auto error = check_positive(name, value)) {
      return error;
    }
  }
  if (poll.max_retries && *poll.max_retries < 0) {
    return invalid_watch_options("poll.max_retries must not be negative");
  }
  return std::nullopt;
}

std::string_view to_string(enum health_event::kind k) noexcept {
  switch (k) {
  case health_event::kind::snapshot:
    return "snapshot";
  case health_event::kind::change:
    return "change";
  case health_event::kind::error:
    return "error";
  case health_event::kind::recovered:
    break;
  }
  return "recovered";
}

std::ostream& operator<<(std::ostream& os, enum health_event::kind k) {
  return os << to_string(k);
}

std::ostream& operator<<(std::ostream& os, const health_event& event) {
  os << event.kind;
  switch (event.kind) {
  case health_event::kind::snapshot:
    if (event.report) {
      os << ' ' << short_printable(detail::status_text(*event.report)) << " (";
      const auto& providers = event.report->providers;
      print_bounded_list(os, providers, [&](const provider_health& provider) {
        os << short_printable(provider.name) << ' '
           << short_printable(detail::status_text(provider));
      });
      os << (providers.empty() ? "no providers)" : ")");
    }
    break;
  case health_event::kind::change:
  case health_event::kind::recovered:
    os << ' ';
    print_transitions(os, event);
    break;
  case health_event::kind::error:
    if (event.error) {
      os << ' ' << event.error->describe();
    }
    break;
  }
  return os;
}

bool is_permanent_error(const api_error& error) noexcept {
  switch (error.code) {
  case errc::invalid_request:
  case errc::missing_api_key:
  case errc::invalid_api_key:
  case errc::insufficient_balance:
  case errc::spend_cap_reached:
  case errc::insufficient_scope:
  case errc::not_found:
  case errc::payload_too_large:
  case errc::invalid_options:
  case errc::tls_error:
    return true;
  default:
    break;
  }
  // An answer the client could not decode (a proxy's HTML 404 page, say) says the same by its
  // status: a wrong URL or key.
  switch (error.http_status) {
  case 400:
  case 401:
  case 402:
  case 403:
  case 404:
  case 413:
    return true;
  default:
    return false;
  }
}

} // namespace talkory
