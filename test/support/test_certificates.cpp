// Certificates for the fault server's TLS identities, all in memory (OpenSSL 3 API).
#include "support/test_certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace talkory::test {
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

void require(bool ok, const char* what) {
  if (ok)
    return;
  std::array<char, 256> reason{};
  ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
  ERR_clear_error();
  throw std::runtime_error(std::string("test certificates: ") + what + ": " + reason.data());
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

void set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  require(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1, "RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x01); // positive, never zero
  bignum_ptr serial{BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr)};
  require(serial != nullptr, "BN_bin2bn");
  require(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr,
          "BN_to_ASN1_INTEGER");
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  extension_ptr extension{X509V3_EXT_nconf_nid(nullptr, &context, nid, value.c_str())};
  require(extension != nullptr, "X509V3_EXT_nconf_nid");
  require(X509_add_ext(cert, extension.get(), -1) == 1, "X509_add_ext");
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  require(size > 0 && data != nullptr, "BIO_get_mem_data");
  return {data, static_cast<std::size_t>(size)};
}

} // namespace

pem_identity make_certificate(const certificate_request& request, const pem_identity* issuer) {
  key_ptr key{request.rsa_bits > 0 ? EVP_RSA_gen(static_cast<unsigned>(request.rsa_bits))
                                   : EVP_EC_gen("P-256")};
  require(key != nullptr, "EVP_RSA_gen / EVP_EC_gen");
  x509_ptr cert{X509_new()};
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  set_random_serial(cert.get());
  require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), request.not_before) != nullptr,
          "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), request.not_after) != nullptr,
          "notAfter");
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  require(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("talkory fault server"),
                                     -1, -1, 0) == 1 &&
              X509_NAME_add_entry_by_txt(
                  name, "CN", MBSTRING_ASC,
                  reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1,
                  0) == 1,
          "X509_NAME_add_entry_by_txt");

  x509_ptr issuer_cert;
  key_ptr issuer_key;
  X509* signer = cert.get();
  EVP_PKEY* signer_key = key.get();
  if (issuer != nullptr) {
    issuer_cert = parse_certificate(issuer->certificate);
    issuer_key = parse_key(issuer->private_key);
    signer = issuer_cert.get();
    signer_key = issuer_key.get();
  }

  if (request.certificate_authority) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  if (!request.alt_names.empty())
    add_extension(cert.get(), signer, NID_subject_alt_name, request.alt_names);
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr)
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  require(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1,
          "X509_set_issuer_name");
  require(X509_sign(cert.get(), signer_key, request.sha1_signed ? EVP_sha1() : EVP_sha256()) > 0,
          "X509_sign");

  bio_ptr cert_bio{BIO_new(BIO_s_mem())};
  bio_ptr key_bio{BIO_new(BIO_s_mem())};
  require(cert_bio != nullptr && key_bio != nullptr, "BIO_new");
  require(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  require(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  return {bio_contents(cert_bio.get()), bio_contents(key_bio.get())};
}

} // namespace talkory::test
