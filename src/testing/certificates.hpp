// In-memory X.509 material for the mock server: a throwaway CA and the leaf it presents.
#pragma once

#include <talkory/testing/mock_server.hpp>

#include <string>

namespace talkory::testing::detail {

/// A PEM certificate and the PEM of its private key.
struct pem_identity {
  std::string certificate;
  std::string private_key;
};

/// A fresh CA (EC P-256, SHA-256, random serial, CA:TRUE) valid from a day ago to two days ahead.
pem_identity make_certificate_authority();

/// A leaf of the given kind: `valid`, `expired` and `wrong_host` are signed by `ca`,
/// `self_signed` by its own key. Throws std::runtime_error when OpenSSL fails.
pem_identity make_leaf_certificate(certificate_kind kind, const pem_identity& ca);

} // namespace talkory::testing::detail
