// Certificate generation with the OpenSSL 3 API, all in memory: nothing touches the disk.
#include "testing/certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace talkory::testing::detail {
namespace {

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;

constexpr long one_day = 24L * 60 * 60;

[[noreturn]] void fail(const char* what) {
  std::array<char, 256> reason{};
  ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
  ERR_clear_error();
  throw std::runtime_error(std::string("mock_server: cannot make certificates: ") + what + ": " +
                           reason.data());
}

void require(bool ok, const char* what) {
  if (!ok) {
    fail(what);
  }
}

key_ptr make_key() {
  // P-256 rather than RSA: key generation takes microseconds, and tests start many servers.
  key_ptr key{EVP_EC_gen("P-256")};
  require(key != nullptr, "EVP_EC_gen");
  return key;
}

void set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  require(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1, "RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x01); // positive, never zero
  bignum_ptr serial{BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr)};
  require(serial != nullptr, "BN_bin2bn");
  require(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr,
          "BN_to_ASN1_INTEGER");
}

void set_subject(X509* cert, const char* common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, const char* value) {
    require(X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(value), -1, -1,
                                       0) == 1,
            "X509_NAME_add_entry_by_txt");
  };
  add("O", "talkory mock server");
  add("CN", common_name);
}

/// A certificate with everything but issuer, extensions and signature; validity is relative to now.
x509_ptr new_certificate(EVP_PKEY* key, const char* common_name, long not_before, long not_after) {
  x509_ptr cert{X509_new()};
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  set_random_serial(cert.get());
  require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after) != nullptr, "notAfter");
  require(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  set_subject(cert.get(), common_name);
  return cert;
}

/// `issuer` may be `cert` itself; the key identifiers need the public keys of both.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  extension_ptr extension{X509V3_EXT_nconf_nid(nullptr, &context, nid, value)};
  require(extension != nullptr, "X509V3_EXT_nconf_nid");
  require(X509_add_ext(cert, extension.get(), -1) == 1, "X509_add_ext");
}

void sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key) {
  require(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1, "X509_set_issuer_name");
  require(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "X509_sign");
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  require(size > 0 && data != nullptr, "BIO_get_mem_data");
  return {data, static_cast<std::size_t>(size)};
}

pem_identity to_pem(X509* cert, EVP_PKEY* key) {
  bio_ptr cert_bio{BIO_new(BIO_s_mem())};
  bio_ptr key_bio{BIO_new(BIO_s_mem())};
  require(cert_bio != nullptr && key_bio != nullptr, "BIO_new");
  require(PEM_write_bio_X509(cert_bio.get(), cert) == 1, "PEM_write_bio_X509");
  require(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  return {bio_contents(cert_bio.get()), bio_contents(key_bio.get())};
}

bio_ptr read_only_bio(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  require(bio != nullptr, "BIO_new_mem_buf");
  return bio;
}

x509_ptr parse_certificate(const std::string& pem) {
  auto bio = read_only_bio(pem);
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  require(cert != nullptr, "PEM_read_bio_X509");
  return cert;
}

key_ptr parse_key(const std::string& pem) {
  auto bio = read_only_bio(pem);
  key_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
  require(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

} // namespace

pem_identity make_certificate_authority() {
  auto key = make_key();
  auto cert = new_certificate(key.get(), "talkory mock CA", -one_day, 2 * one_day);
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), cert.get(), key.get());
  return to_pem(cert.get(), key.get());
}

pem_identity make_leaf_certificate(certificate_kind kind, const pem_identity& ca) {
  const bool wrong_host = kind == certificate_kind::wrong_host;
  const bool expired = kind == certificate_kind::expired;
  const char* common_name = wrong_host ? "wrong-host.invalid" : "localhost";
  const char* alt_names = wrong_host ? "DNS:wrong-host.invalid" : "DNS:localhost,IP:127.0.0.1";

  auto key = make_key();
  auto cert = expired ? new_certificate(key.get(), common_name, -2 * one_day, -one_day)
                      : new_certificate(key.get(), common_name, -one_day, one_day);

  x509_ptr ca_cert;
  key_ptr ca_key;
  X509* issuer = cert.get();
  EVP_PKEY* issuer_key = key.get();
  if (kind != certificate_kind::self_signed) {
    ca_cert = parse_certificate(ca.certificate);
    ca_key = parse_key(ca.private_key);
    issuer = ca_cert.get();
    issuer_key = ca_key.get();
  }

  add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
  if (kind != certificate_kind::cn_only) // RFC 6125: the SAN, never the CN, names the host
    add_extension(cert.get(), issuer, NID_subject_alt_name, alt_names);
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  sign(cert.get(), issuer, issuer_key);
  return to_pem(cert.get(), key.get());
}

} // namespace talkory::testing::detail
