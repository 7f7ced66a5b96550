// Certificates the mock server's generator cannot make (not yet valid, a wrong IP, intermediate
// CAs), built in memory with OpenSSL for the fault server's TLS identities.
#pragma once

#include <string>

#include "testing/certificates.hpp"

namespace talkory::test {

using testing::detail::pem_identity;

/// What to put in a certificate. Validity is in seconds relative to now.
struct certificate_request {
  std::string common_name = "localhost";
  std::string alt_names = "DNS:localhost,IP:127.0.0.1"; // empty: no subjectAltName at all
  long not_before = -24L * 60 * 60;
  long not_after = 24L * 60 * 60;
  bool certificate_authority = false; // CA:TRUE, pathlen:0, keyCertSign (an intermediate)
  int rsa_bits = 0;                   // 0: an EC P-256 key; otherwise an RSA key of this many bits
  bool sha1_signed = false;           // signed with SHA-1 instead of SHA-256
};

/// A fresh key (EC P-256 unless `rsa_bits`) and its certificate, signed by `issuer` (SHA-256
/// unless `sha1_signed`), or by itself when
/// `issuer` is null. Throws std::runtime_error when OpenSSL fails.
pem_identity make_certificate(const certificate_request& request, const pem_identity* issuer);

} // namespace talkory::test
