// The API's behaviour as the documentation describes it: auth, then rate limit, then routing.
#include "testing/mock_state.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <stdexcept>

namespace talkory::testing::detail {
namespace {

constexpr std::string_view health_path = "/v1/health/llm";

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

bool has_header(const header_list& headers, std::string_view name) {
  return std::ranges::any_of(headers,
                             [&](const auto& field) { return iequals(field.first, name); });
}

bool asks_to_close(const header_list& headers) {
  return std::ranges::any_of(headers, [](const auto& field) {
    return iequals(field.first, "Connection") && iequals(field.second, "close");
  });
}

/// The key of "Bearer <key>" (scheme case-insensitive, as in RFC 7235); nothing when malformed.
std::optional<std::string_view> bearer_token(std::string_view value) {
  constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size() || !iequals(value.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  auto token = value.substr(scheme.size());
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  if (token.empty() || token.find_first_of(" \t") != std::string_view::npos) {
    return std::nullopt;
  }
  return token;
}

void validate(const scripted_response& response) {
  if (response.status < 100 || response.status > 999) {
    throw std::invalid_argument("mock_server::script: the status must be within 100..999");
  }
  const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (bodiless && !response.body.empty()) {
    throw std::invalid_argument("mock_server::script: 1xx, 204 and 304 responses have no body");
  }
  if (response.delay.count() < 0) {
    throw std::invalid_argument("mock_server::script: the delay must not be negative");
  }
  constexpr std::string_view bad_in_name{" \t\r\n:\0", 6};
  constexpr std::string_view bad_in_value{"\r\n\0", 3};
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || name.find_first_of(bad_in_name) != std::string::npos ||
        value.find_first_of(bad_in_value) != std::string::npos) {
      throw std::invalid_argument("mock_server::script: a header name or value HTTP cannot carry");
    }
  }
}

} // namespace

mock_state::mock_state(const mock_server_options& options, mock_state_sources sources)
    : options_(options), sources_(std::move(sources)), providers_{{"gpt", "ok"},
                                                                  {"claude", "ok"},
                                                                  {"gemini", "ok"},
                                                                  {"grok", "ok"},
                                                                  {"perplexity", "ok"}},
      random_(sources_.seed) {
  if (options.chaos.enabled) {
    chaos_.emplace(options.chaos);
  }
  for (const auto& key : options.keys) {
    keys_.insert_or_assign(key.key, key);
  }
}

void mock_state::set_provider_status(const std::string& provider, const std::string& status) {
  std::lock_guard lock{mutex_};
  auto found = std::ranges::find(providers_, provider, &provider_list::value_type::first);
  if (found == providers_.end()) {
    providers_.emplace_back(provider, status);
  } else {
    found->second = status;
  }
  snapshot_.reset();
}

void mock_state::invalidate_cache() {
  std::lock_guard lock{mutex_};
  snapshot_.reset();
}

void mock_state::add_key(mock_key key) {
  std::lock_guard lock{mutex_};
  auto name = key.key;
  keys_.insert_or_assign(std::move(name), std::move(key));
}

void mock_state::script(scripted_response response) {
  validate(response);
  std::lock_guard lock{mutex_};
  script_.push_back(std::move(response));
}

mock_counters mock_state::counters() const {
  std::lock_guard lock{mutex_};
  return counters_;
}

void mock_state::reset_counters() {
  std::lock_guard lock{mutex_};
  const auto open = counters_.connections_open; // a state, not a total: it survives the reset
  counters_ = mock_counters{};
  counters_.connections_open = open;
}

std::vector<std::chrono::steady_clock::time_point> mock_state::admitted_times() const {
  std::lock_guard lock{mutex_};
  return admitted_;
}

std::optional<planned_response> mock_state::rate_limit(const std::string& key,
                                                       clock::time_point now, header_list& limits) {
  auto& window = windows_[key];
  const auto refuse = [&](clock::duration left) {
    const auto retry_after = std::max<std::chrono::seconds::rep>(
        1, std::chrono::ceil<std::chrono::seconds>(left).count());
    limits.emplace_back("X-RateLimit-Remaining", "0");
    limits.emplace_back("Retry-After", std::to_string(retry_after));
    return error(429, "rate_limited", "Rate limit exceeded. Slow down and retry.",
                 std::move(limits));
  };
  if (options_.sliding_rate_window) {
    // Admissions older than one window no longer count.
    while (!window.admitted.empty() && now - window.admitted.front() >= options_.rate_window) {
      window.admitted.pop_front();
    }
    if (window.admitted.size() >= options_.rate_limit) {
      return refuse(window.admitted.front() + options_.rate_window - now);
    }
    window.admitted.push_back(now);
    admitted_.push_back(now);
    limits.emplace_back("X-RateLimit-Remaining",
                        std::to_string(options_.rate_limit - window.admitted.size()));
    return std::nullopt;
  }
  // A fixed window per key, opened by the first request after the previous one ended.
  if (window.used == 0 || now - window.start >= options_.rate_window) {
    window.start = now;
    window.used = 0;
  }
  if (window.used >= options_.rate_limit) {
    return refuse(window.start + options_.rate_window - now);
  }
  ++window.used;
  limits.emplace_back("X-RateLimit-Remaining", std::to_string(options_.rate_limit - window.used));
  return std::nullopt;
}

planned_response mock_state::respond(const request_facts& request) {
  std::lock_guard lock{mutex_};
  ++counters_.requests;
  if (!script_.empty()) {
    auto response = std::move(script_.front());
    script_.pop_front();
    return from_script(std::move(response));
  }

  if (!request.authorization) {
    return error(401, "missing_api_key",
                 "No API key: send it as a Bearer token in the Authorization header.");
  }
  const auto token = bearer_token(*request.authorization);
  if (!token) {
    return error(401, "missing_api_key",
                 "Malformed Authorization header: send \"Authorization: Bearer <key>\".");
  }
  const auto key = keys_.find(std::string(*token));
  if (key == keys_.end() || key->second.revoked) {
    return error(
        401, "invalid_api_key",
        "Invalid API key: it is wrong, revoked, or expired. Create a new key in settings.");
  }

  header_list limits{{"X-RateLimit-Limit", std::to_string(options_.rate_limit)}};
  if (auto refused = rate_limit(key->first, sources_.now(), limits)) {
    return std::move(*refused);
  }

  const auto path = request.target.substr(0, request.target.find('?'));
  if (path != health_path) {
    return error(404, "not_found", "No such endpoint. Check the URL.", std::move(limits));
  }
  if (request.method != "GET") {
    return error(400, "invalid_request", "Use GET on /v1/health/llm.", std::move(limits));
  }
  if (!key->second.health_scope) {
    return error(403, "insufficient_scope", "This key lacks the health:read scope.",
                 std::move(limits));
  }
  if (auto failure = take_status_step(limits)) {
    return std::move(*failure);
  }
  if (chaos_) {
    return chaotic(std::move(limits));
  }
  return health_with(std::move(limits));
}

planned_response mock_state::unreadable_request(int status, std::string_view code,
                                                std::string_view message) {
  std::lock_guard lock{mutex_};
  auto response = error(status, code, message);
  response.close = true;
  return response;
}

bool mock_state::count_response() {
  std::lock_guard lock{mutex_};
  ++responses_written_;
  return options_.close_every > 0 && responses_written_ % options_.close_every == 0;
}

void mock_state::count_connection_accepted() {
  std::lock_guard lock{mutex_};
  ++counters_.connections_accepted;
  ++counters_.connections_open;
}

void mock_state::count_connection_closed() {
  std::lock_guard lock{mutex_};
  if (counters_.connections_open > 0) {
    --counters_.connections_open;
  }
  connection_closed_.notify_all();
}

bool mock_state::wait_for_no_open_connections(std::chrono::milliseconds bound) const {
  std::unique_lock lock{mutex_};
  return connection_closed_.wait_for(lock, bound,
                                     [this] { return counters_.connections_open == 0; });
}

void mock_state::count_handshake(bool resumed) {
  std::lock_guard lock{mutex_};
  ++counters_.tls_handshakes;
  if (resumed) {
    ++counters_.tls_resumed_handshakes;
  }
}

planned_response mock_state::from_script(scripted_response response) {
  ++counters_.scripted_served;
  if (response.status == 429) {
    ++counters_.responses_429;
  }
  planned_response planned{.status = response.status,
                           .body = std::move(response.body),
                           .headers = std::move(response.headers),
                           .delay = response.delay,
                           .inject = response.inject,
                           .close = response.close_connection,
                           .scripted = true};
  if (!planned.body.empty() && !has_header(planned.headers, "Content-Type")) {
    planned.headers.emplace_back("Content-Type", "application/json");
  }
  planned.close = planned.close || asks_to_close(planned.headers);
  return planned;
}

planned_response mock_state::error(int status, std::string_view code, std::string_view message,
                                   header_list headers) {
  if (status == 429) {
    ++counters_.responses_429;
  }
  auto id = make_request_id(random_);
  planned_response response;
  response.status = status;
  response.body = error_body(code, message, status, id);
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("X-Request-Id", std::move(id));
  std::ranges::move(headers, std::back_inserter(response.headers));
  return response;
}

planned_response mock_state::health_with(header_list headers) {
  ++counters_.health_requests;
  planned_response response;
  response.body = health_body(checked_at(), providers_);
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("X-Request-Id", make_request_id(random_));
  std::ranges::move(headers, std::back_inserter(response.headers));
  return response;
}

planned_response mock_state::chaotic(header_list headers) {
  const auto draw = chaos_->next();
  count(counters_.chaos, draw.outcome);
  switch (draw.outcome) {
  case chaos_outcome::unavailable:
    return error(503, "service_unavailable", "Temporary outage or maintenance (chaos mode).",
                 std::move(headers));
  case chaos_outcome::rate_limited:
    headers.emplace_back("Retry-After", std::to_string(options_.chaos.retry_after.count()));
    return error(429, "rate_limited", "Rate limit exceeded. Slow down and retry (chaos mode).",
                 std::move(headers));
  default:
    break;
  }
  auto response = health_with(std::move(headers));
  response.delay = draw.delay;
  if (draw.outcome == chaos_outcome::reset) {
    response.inject = fault::reset_before_response;
  } else if (draw.outcome == chaos_outcome::close_after) {
    response.inject = fault::close_after_response;
  } else if (draw.outcome == chaos_outcome::close_mid_body) {
    response.inject = fault::close_mid_response;
  }
  return response;
}

const std::string& mock_state::checked_at() {
  using namespace std::chrono;
  const auto now = sources_.now();
  if (!snapshot_ || now - snapshot_->taken >= options_.cache_window) {
    // A new snapshot always gets a later checkedAt, even within the same millisecond, so that
    // a test can tell snapshots apart without waiting.
    auto wall = floor<milliseconds>(sources_.wall_now());
    if (wall <= last_checked_at_) {
      wall = last_checked_at_ + milliseconds{1};
    }
    last_checked_at_ = wall;
    snapshot_ = snapshot{wall, now};
    snapshot_text_ = format_checked_at(wall);
  }
  return snapshot_text_;
}

} // namespace talkory::testing::detail
