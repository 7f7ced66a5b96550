// Hysteresis and the event rules of health_watcher (see watch_state.hpp).
#include "watch_state.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace talkory::detail {
namespace {

std::optional<std::string> optional_of(const std::string* status) {
  return status ? std::optional<std::string>(*status) : std::nullopt;
}

} // namespace

watch_state::watch_state(std::size_t confirmations)
    : confirmations_(std::max<std::size_t>(confirmations, 1)) {}

bool watch_state::confirm(candidate& c, const std::optional<std::string>& observed) const {
  if (c.polls == 0 || c.status != observed) {
    c = candidate{observed, 1};
  } else {
    ++c.polls;
  }
  return c.polls >= confirmations_;
}

std::optional<health_event> watch_state::on_report(health_report report,
                                                   observed_time observed_at) {
  auto view = view_of(report);
  if (!confirmed_) {
    confirmed_ = std::move(view);
    failing_ = false;
    health_event event;
    event.kind = health_event::kind::snapshot;
    event.observed_at = observed_at;
    event.report = std::move(report);
    return event;
  }

  // Every name either side knows: the new report's order, then the confirmed ones it lacks.
  std::vector<std::string> names;
  names.reserve(view.providers.size() + confirmed_->providers.size());
  for (const auto& entry : view.providers) {
    names.push_back(entry.first);
  }
  for (const auto& entry : confirmed_->providers) {
    if (view.find(entry.first) == nullptr) {
      names.push_back(entry.first);
    }
  }
  // A candidate neither side lists any more (it appeared once, then vanished) has lost its run.
  std::erase_if(providers_pending_, [&](const auto& entry) {
    return std::ranges::find(names, entry.first) == names.end();
  });

  std::vector<provider_transition> changes;
  for (const auto& name : names) {
    const auto observed = optional_of(view.find(name));
    const auto current = optional_of(confirmed_->find(name));
    if (observed == current) {
      providers_pending_.erase(name);
      continue;
    }
    if (confirm(providers_pending_[name], observed)) {
      providers_pending_.erase(name);
      changes.push_back({name, current, observed});
    }
  }

  std::optional<std::string> status_from;
  if (view.overall == confirmed_->overall) {
    overall_pending_ = {};
  } else if (confirm(overall_pending_, view.overall)) {
    overall_pending_ = {};
    status_from = confirmed_->overall;
  }

  // The new confirmed state, in the new report's order; providers whose disappearance is not
  // yet confirmed stay at the end.
  status_view next;
  next.overall = status_from ? view.overall : confirmed_->overall;
  const auto transition_of = [&](const std::string& name) {
    return std::ranges::find(changes, name, &provider_transition::provider);
  };
  for (const auto& name : names) {
    const auto t = transition_of(name);
    if (t != changes.end()) {
      if (t->to) {
        next.providers.emplace_back(name, *t->to);
      }
    } else if (const auto* status = confirmed_->find(name)) {
      next.providers.emplace_back(name, *status);
    }
  }
  confirmed_ = std::move(next);

  const bool recovered = std::exchange(failing_, false);
  if (!recovered && changes.empty() && !status_from) {
    return std::nullopt;
  }
  health_event event;
  event.kind = recovered ? health_event::kind::recovered : health_event::kind::change;
  event.observed_at = observed_at;
  event.report = std::move(report);
  event.changes = std::move(changes);
  event.status_from = std::move(status_from);
  return event;
}

health_event watch_state::on_error(api_error error, observed_time observed_at) {
  if (confirmed_) {
    failing_ = true;
  }
  health_event event;
  event.kind = health_event::kind::error;
  event.observed_at = observed_at;
  event.error = std::move(error);
  return event;
}

} // namespace talkory::detail
