// Fleet key names from a SHA-256 of the API key and the origin (OpenSSL EVP).
#include "fleet/fleet_keys.hpp"

#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

namespace talkory::detail {

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest is the one-shot EVP interface: no context to leak on an early return.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

fleet_keys make_fleet_keys(std::string_view prefix, std::string_view api_key,
                           std::string_view origin) {
  std::string material(api_key);
  material += '\n';
  material += origin;
  const std::string base = std::string(prefix) + "{" + sha256_hex(material) + "}:";
  return {base + "limit", base + "pause", base};
}

} // namespace talkory::detail
