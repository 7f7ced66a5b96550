// Keeps the API key out of everything the server sends back: the one place server text enters.
#include "secret_scrubber.hpp"

#include <utility>
#include <vector>

namespace talkory::detail {

bool scrub_secret(std::string& text, std::string_view secret) {
  if (secret.empty())
    return false;
  auto at = text.find(secret);
  if (at == std::string::npos)
    return false;
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  for (; at != std::string::npos; at = text.find(secret, from)) {
    out.append(text, from, at - from);
    out.append(redacted_secret);
    from = at + secret.size();
  }
  out.append(text, from, std::string::npos);
  text = std::move(out);
  return true;
}

void scrub_secret(http_response& response, std::string_view secret) {
  if (secret.empty())
    return;
  scrub_secret(response.body(), secret);
  bool in_headers = false;
  for (const auto& field : response.base())
    if (std::string_view(field.value()).find(secret) != std::string_view::npos)
      in_headers = true;
  if (!in_headers)
    return;
  // Fields cannot be edited in place: rebuild them in order, duplicates kept.
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& field : response.base())
    fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
  for (auto& [name, value] : fields) {
    scrub_secret(value, secret);
    response.base().erase(name);
  }
  for (const auto& [name, value] : fields)
    response.base().insert(name, value);
}

} // namespace talkory::detail
