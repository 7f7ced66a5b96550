// Keeps the API key out of everything the server sends back: the one place server text enters.
#include "secret_scrubber.hpp"

#include <utility>
#include <vector>

namespace talkory::detail {

namespace {

template <class String>
bool scrub_in(String& text, std::string_view secret) {
  if (secret.empty())
    return false;
  auto at = text.find(secret);
  if (at == String::npos)
    return false;
  String out(text.get_allocator());
  out.reserve(text.size());
  std::size_t from = 0;
  for (; at != String::npos; at = text.find(secret, from)) {
    out.append(text, from, at - from);
    out.append(redacted_secret);
    from = at + secret.size();
  }
  out.append(text, from, String::npos);
  text = std::move(out);
  return true;
}

} // namespace

bool scrub_secret(std::string& text, std::string_view secret) { return scrub_in(text, secret); }

bool scrub_secret(http_body::value_type& text, std::string_view secret) {
  return scrub_in(text, secret);
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
