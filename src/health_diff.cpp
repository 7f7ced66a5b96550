// Transitions between two reports, keyed by provider name; absent providers are nullopt.
#include "health_diff.hpp"

#include <algorithm>

namespace talkory::detail {

const std::string* status_view::find(std::string_view name) const noexcept {
  const auto it = std::ranges::find(providers, name, &std::pair<std::string, std::string>::first);
  return it == providers.end() ? nullptr : &it->second;
}

std::string status_text(const provider_health& provider) {
  return provider.raw_status.empty() ? std::string(to_string(provider.status))
                                     : provider.raw_status;
}

std::string status_text(const health_report& report) {
  return report.raw_status.empty() ? std::string(to_string(report.status)) : report.raw_status;
}

status_view view_of(const health_report& report) {
  status_view view;
  view.overall = status_text(report);
  view.providers.reserve(report.providers.size());
  for (const auto& provider : report.providers) {
    if (view.find(provider.name) == nullptr) {
      view.providers.emplace_back(provider.name, status_text(provider));
    }
  }
  return view;
}

namespace {

std::optional<std::string> optional_of(const std::string* status) {
  return status ? std::optional<std::string>(*status) : std::nullopt;
}

} // namespace

std::vector<provider_transition> diff_providers(const status_view& before,
                                                const status_view& after) {
  std::vector<provider_transition> changes;
  for (const auto& [name, status] : after.providers) {
    const auto* old = before.find(name);
    if (old == nullptr || *old != status) {
      changes.push_back({name, optional_of(old), status});
    }
  }
  for (const auto& [name, status] : before.providers) {
    if (after.find(name) == nullptr) {
      changes.push_back({name, status, std::nullopt});
    }
  }
  return changes;
}

std::optional<std::string> overall_change(const status_view& before, const status_view& after) {
  if (before.overall == after.overall) {
    return std::nullopt;
  }
  return before.overall;
}

} // namespace talkory::detail
