// mock_state's provider schedules: request-driven status steps (deterministic, for tests) and the
// pieces the timed schedule and the flipping demo mode apply from the server's thread.
#include "testing/mock_state.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace talkory::testing::detail {
namespace {

struct documented_failure {
  int status;
  std::string_view code;
  std::string_view message;
};

// The spec's error table, one scriptable failure per status.
constexpr documented_failure failures[] = {
    {400, "invalid_request", "Malformed request or failed validation (scheduled failure)."},
    {401, "invalid_api_key", "Invalid API key: it is wrong, revoked, or expired (scheduled)."},
    {403, "insufficient_scope", "This key lacks the health:read scope (scheduled failure)."},
    {404, "not_found", "No such endpoint. Check the URL (scheduled failure)."},
    {429, "rate_limited", "Rate limit exceeded. Slow down and retry (scheduled failure)."},
    {500, "internal_error", "Unexpected server error (scheduled failure)."},
    {503, "service_unavailable", "Temporary outage or maintenance (scheduled failure)."},
};

const documented_failure* failure_for(int status) {
  const auto found = std::ranges::find(failures, status, &documented_failure::status);
  return found == std::end(failures) ? nullptr : found;
}

} // namespace

void mock_state::script_provider_statuses(std::vector<status_step> steps) {
  for (const auto& step : steps) {
    if (step.fail_with != 0 && failure_for(step.fail_with) == nullptr) {
      throw std::invalid_argument("mock_server::script_provider_statuses: fail_with must be one of "
                                  "400, 401, 403, 404, 429, 500, 503");
    }
  }
  std::lock_guard lock{mutex_};
  status_script_.assign(std::make_move_iterator(steps.begin()),
                        std::make_move_iterator(steps.end()));
}

std::size_t mock_state::pending_status_steps() const {
  std::lock_guard lock{mutex_};
  return status_script_.size();
}

void mock_state::apply_status_step(const status_step& step) {
  std::lock_guard lock{mutex_};
  apply_changes(step);
  ++counters_.status_changes;
}

std::string mock_state::flip_random_provider() {
  std::lock_guard lock{mutex_};
  if (providers_.empty()) {
    return {};
  }
  auto& [name, status] = providers_[random_() % providers_.size()];
  status = status == "ok" ? "error" : "ok";
  snapshot_.reset();
  ++counters_.status_changes;
  return name;
}

std::optional<planned_response> mock_state::take_status_step(header_list& headers) {
  if (status_script_.empty()) {
    return std::nullopt;
  }
  const auto step = std::move(status_script_.front());
  status_script_.pop_front();
  apply_changes(step);
  ++counters_.status_changes;
  const auto* failure = failure_for(step.fail_with);
  if (failure == nullptr) {
    return std::nullopt;
  }
  ++counters_.health_requests; // a valid, in-scope health request, answered with an error
  if (failure->status == 429) {
    headers.emplace_back("Retry-After", "1");
  }
  return error(failure->status, failure->code, failure->message, std::move(headers));
}

void mock_state::apply_changes(const status_step& step) {
  const auto apply = [this](const std::string& provider, const std::optional<std::string>& status) {
    auto found = std::ranges::find(providers_, provider, &provider_list::value_type::first);
    if (!status) {
      if (found != providers_.end()) {
        providers_.erase(found);
      }
    } else if (found == providers_.end()) {
      providers_.emplace_back(provider, *status);
    } else {
      found->second = *status;
    }
  };
  if (!step.provider.empty()) {
    apply(step.provider, step.status);
  }
  for (const auto& change : step.changes) {
    apply(change.provider, change.status);
  }
  if (!step.provider.empty() || !step.changes.empty()) {
    snapshot_.reset();
  }
}

} // namespace talkory::testing::detail
