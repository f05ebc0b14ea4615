#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "crypto/detail/ossl.h"

namespace secprov::crypto {
namespace {

using KdfPtr = detail::Ptr<EVP_KDF, EVP_KDF_free>;
using KdfCtxPtr = detail::Ptr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using Pkcs8Ptr = detail::Ptr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

constexpr std::size_t kMaxHkdfSha256Length = 255 * 32;  // RFC 5869 2.3: 255 * HashLen

// OSSL_PARAM wants non-const pointers; OpenSSL only reads these buffers.
void* bytes(std::string_view data) noexcept {
  return const_cast<char*>(data.data());
}

// Cleansed when it goes out of scope: holds key material.
class SecretBuffer {
 public:
  explicit SecretBuffer(std::size_t size) : data_(size, '\0') {}
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() { OPENSSL_cleanse(data_.data(), data_.size()); }
  std::string& data() noexcept { return data_; }

 private:
  std::string data_;
};

}  // namespace

std::string derive_key(std::string_view ikm, std::string_view salt, std::string_view info,
                       std::size_t length) {
  if (length == 0 || length > kMaxHkdfSha256Length) {
    throw std::invalid_argument("derive_key: length must be 1.." +
                                std::to_string(kMaxHkdfSha256Length));
  }
  const KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) detail::throw_openssl("fetching HKDF");
  const KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) detail::throw_openssl("creating the HKDF context");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, bytes(ikm), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, bytes(salt), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, bytes(info), info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) !=
      1) {
    OPENSSL_cleanse(out.data(), out.size());
    detail::throw_openssl("deriving a key (HKDF-SHA256)");
  }
  return out;
}

std::string derive_key(const PrivateKey& ikm, std::string_view salt, std::string_view info,
                       std::size_t length) {
  const Pkcs8Ptr pkcs8(EVP_PKEY2PKCS8(detail::Access::pkey(ikm)));
  if (!pkcs8) detail::throw_openssl("encoding the private key as PKCS#8");
  const int size = i2d_PKCS8_PRIV_KEY_INFO(pkcs8.get(), nullptr);
  if (size <= 0) detail::throw_openssl("encoding the private key as PKCS#8");
  SecretBuffer der(static_cast<std::size_t>(size));
  auto* cursor = reinterpret_cast<unsigned char*>(der.data().data());
  if (i2d_PKCS8_PRIV_KEY_INFO(pkcs8.get(), &cursor) != size) {
    detail::throw_openssl("encoding the private key as PKCS#8");
  }
  return derive_key(der.data(), salt, info, length);
}

}  // namespace secprov::crypto
