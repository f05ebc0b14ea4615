#include "crypto/detail/ossl.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <ctime>
#include <new>

#include "api/text.h"
#include "crypto/errors.h"

namespace secprov::crypto::detail {

// ---- Handle reference counting (declared in crypto/handle.h) ----

void release(evp_pkey_st* p) noexcept {
  EVP_PKEY_free(p);
}
evp_pkey_st* retain(evp_pkey_st* p) {
  if (EVP_PKEY_up_ref(p) != 1) throw std::bad_alloc();
  return p;
}
void release(x509_st* p) noexcept {
  X509_free(p);
}
x509_st* retain(x509_st* p) {
  if (X509_up_ref(p) != 1) throw std::bad_alloc();
  return p;
}
void release(X509_req_st* p) noexcept {
  X509_REQ_free(p);
}
X509_req_st* retain(X509_req_st* p) {
  X509_REQ* copy = X509_REQ_dup(p);  // X509_REQ has no reference count
  if (copy == nullptr) throw std::bad_alloc();
  return copy;
}

// ---- deleters ----

void openssl_free(void* p) noexcept {
  OPENSSL_free(p);
}
void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
void free_asn1_type_stack(STACK_OF(ASN1_TYPE) * s) noexcept {
  sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
}
void free_x509_stack_shallow(STACK_OF(X509) * s) noexcept {
  sk_X509_free(s);
}

// ---- errors ----

std::string drain_errors() {
  std::string out;
  unsigned long code = 0;
  // Library and reason strings only: the optional error data is left out on purpose.
  while ((code = ERR_get_error()) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out;
}

void throw_openssl(const std::string& context) {
  throw CryptoError(context, drain_errors());
}

// ---- bytes, BIOs ----

std::string serial_hex(const ASN1_INTEGER* serial) {
  const BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) throw_openssl("serial number");
  const OpensslCharPtr hex(BN_bn2hex(bn.get()));
  if (!hex) throw_openssl("serial number");
  std::string out(hex.get());
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  return api::hex(std::string_view(reinterpret_cast<const char*>(data), size));
}

BioPtr memory_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) throw CryptoError("PEM input too large");
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw_openssl("BIO_new_mem_buf");
  return bio;
}

BioPtr new_memory_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_openssl("BIO_new");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(size));
}

// ---- time ----

std::chrono::system_clock::time_point from_asn1_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) throw_openssl("invalid ASN.1 time");
  using namespace std::chrono;
  const sys_days day{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                     static_cast<unsigned>(tm.tm_mday)};
  return time_point_cast<system_clock::duration>(day + hours{tm.tm_hour} + minutes{tm.tm_min} +
                                                 seconds{tm.tm_sec});
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point at) {
  return std::chrono::floor<std::chrono::seconds>(at).time_since_epoch().count();
}

Asn1TimePtr to_asn1_time(std::chrono::system_clock::time_point time) {
  // UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
  Asn1TimePtr out(ASN1_TIME_set(nullptr, static_cast<time_t>(epoch_seconds(time))));
  if (!out) throw_openssl("ASN1_TIME_set");
  return out;
}

// ---- names ----

std::string asn1_string_bytes(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

namespace {

std::string name_entry_utf8(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    ERR_clear_error();
    return {};
  }
  OpensslBytePtr owned(utf8);
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

}  // namespace

DistinguishedName to_distinguished_name(const X509_NAME* name) {
  DistinguishedName dn;
  if (name == nullptr) return dn;
  dn.country = name_entry_utf8(name, NID_countryName);
  dn.organization = name_entry_utf8(name, NID_organizationName);
  dn.organizational_unit = name_entry_utf8(name, NID_organizationalUnitName);
  dn.common_name = name_entry_utf8(name, NID_commonName);
  return dn;
}

// ---- digests ----

const EVP_MD* sha256_md() {
  // Never freed: one immutable handle, shared by every thread until the process ends.
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) throw_openssl("EVP_MD_fetch(SHA2-256)");
    return fetched;
  }();
  return md;
}

std::array<std::uint8_t, 32> sha256_of(const void* data, std::size_t size) {
  std::array<std::uint8_t, 32> md{};
  unsigned int length = 0;
  if (EVP_Digest(data, size, md.data(), &length, sha256_md(), nullptr) != 1) {
    throw_openssl("SHA-256");
  }
  return md;
}

std::string sha256_hex_of(const void* data, std::size_t size) {
  const auto md = sha256_of(data, size);
  return to_hex(md.data(), md.size());
}

// ---- keys ----

std::string public_key_sha256(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) throw_openssl("i2d_PUBKEY");
  OpensslBytePtr owned(der);
  return sha256_hex_of(der, static_cast<std::size_t>(length));
}

int ec_curve_nid(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return NID_undef;
  std::array<char, 80> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) != 1) {
    ERR_clear_error();
    return NID_undef;
  }
  return OBJ_txt2nid(group.data());
}

std::string ec_public_point(const EVP_PKEY* key) {
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &length) != 1 ||
      length == 0) {
    throw_openssl("EC public key length");
  }
  std::string point(length, '\0');
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(point.data()), length,
                                      &length) != 1) {
    throw_openssl("EC public key");
  }
  point.resize(length);
  return point;
}

namespace {

// DER: the size of a tag, its length and `content` bytes; writing a tag and its length.
std::size_t der_size(std::size_t content) {
  std::size_t length_bytes = 1;
  if (content >= 0x80) {
    for (std::size_t rest = content; rest != 0; rest >>= 8U) ++length_bytes;
  }
  return 1 + length_bytes + content;
}

unsigned char* der_header(unsigned char* out, unsigned char tag, std::size_t content) {
  *out++ = tag;
  if (content < 0x80) {
    *out++ = static_cast<unsigned char>(content);
    return out;
  }
  const std::size_t length_bytes = der_size(content) - 2 - content;
  *out++ = static_cast<unsigned char>(0x80U | length_bytes);
  for (std::size_t i = length_bytes; i > 0; --i) {
    *out++ = static_cast<unsigned char>(content >> (8U * (i - 1)));
  }
  return out;
}

using Pkcs8Ptr = Ptr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
struct ClearFree {
  std::size_t size;
  void operator()(unsigned char* bytes) const noexcept { OPENSSL_clear_free(bytes, size); }
};
using SecretBignumPtr = Ptr<BIGNUM, BN_clear_free>;

}  // namespace

// OpenSSL 3.0's PEM_write_bio_PKCS8PrivateKey looks up the providers' encoders for every key
// (OSSL_ENCODER_CTX_new_for_pkey, most of the 3.9 % of the operator's CPU that writing a key
// took in a burst, perf). An EC key is written from its parameters instead, as that encoder
// writes it: an RFC 5915 ECPrivateKey (version 1, the private scalar padded to the order's
// length, the public point; the curve left to the algorithm identifier) in a PrivateKeyInfo
// of id-ecPublicKey and the named curve. PrivateKey.EcPkcs8IsWhatOpenSSLWrites compares them.
std::string ec_pkcs8_pem(const EVP_PKEY* key, int curve) {
  BIGNUM* scalar = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) != 1) {
    throw_openssl("EC private key");
  }
  const SecretBignumPtr owned_scalar(scalar);
  const int order_bits = EVP_PKEY_get_bits(key);
  if (order_bits <= 0) throw_openssl("EC key size");
  const auto scalar_length = static_cast<std::size_t>((order_bits + 7) / 8);
  const std::string point = ec_public_point(key);

  const std::size_t version = der_size(1);
  const std::size_t private_key = der_size(scalar_length);
  const std::size_t bit_string = der_size(1 + point.size());
  const std::size_t public_key = der_size(bit_string);
  const std::size_t content = version + private_key + public_key;
  const std::size_t total = der_size(content);
  // Cleansed when freed: here on an error, else by the PrivateKeyInfo that takes it.
  const ClearFree clear_free{total};
  std::unique_ptr<unsigned char, ClearFree> der(static_cast<unsigned char*>(OPENSSL_zalloc(total)),
                                                clear_free);
  if (!der) throw_openssl("EC private key buffer");
  unsigned char* out = der_header(der.get(), V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, content);
  out = der_header(out, V_ASN1_INTEGER, 1);
  *out++ = 1;
  out = der_header(out, V_ASN1_OCTET_STRING, scalar_length);
  if (BN_bn2binpad(scalar, out, static_cast<int>(scalar_length)) < 0) {
    throw_openssl("EC private key scalar");
  }
  out += scalar_length;
  out = der_header(out, V_ASN1_CONTEXT_SPECIFIC | V_ASN1_CONSTRUCTED | 1, bit_string);
  out = der_header(out, V_ASN1_BIT_STRING, 1 + point.size());
  *out++ = 0;  // no unused bits
  std::copy(point.begin(), point.end(), out);

  const Pkcs8Ptr info(PKCS8_PRIV_KEY_INFO_new());
  if (!info || PKCS8_pkey_set0(info.get(), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0, V_ASN1_OBJECT,
                               OBJ_nid2obj(curve), der.get(), static_cast<int>(total)) != 1) {
    throw_openssl("PKCS8_pkey_set0");
  }
  (void)der.release();  // the PrivateKeyInfo's now
  // Secure-heap BIO: the buffer holding the PEM is cleansed when freed.
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), info.get()) != 1) {
    throw_openssl("writing PKCS#8 private key");
  }
  return bio_contents(bio.get());
}

std::optional<KeyAlgorithm> key_algorithm_of(const EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      switch (EVP_PKEY_get_bits(key)) {
        case 2048:
          return KeyAlgorithm::Rsa2048;
        case 3072:
          return KeyAlgorithm::Rsa3072;
        case 4096:
          return KeyAlgorithm::Rsa4096;
        default:
          return std::nullopt;
      }
    case EVP_PKEY_EC:
      switch (ec_curve_nid(key)) {
        case NID_X9_62_prime256v1:
          return KeyAlgorithm::EcdsaP256;
        case NID_secp384r1:
          return KeyAlgorithm::EcdsaP384;
        default:
          return std::nullopt;
      }
    default:
      return std::nullopt;
  }
}

const EVP_MD* signature_digest_for(const EVP_PKEY* key) {
  if (key == nullptr) return nullptr;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return EVP_PKEY_get_bits(key) >= 2048 ? EVP_sha256() : nullptr;
    case EVP_PKEY_EC:
      switch (ec_curve_nid(key)) {
        case NID_X9_62_prime256v1:
          return EVP_sha256();
        case NID_secp384r1:
          return EVP_sha384();
        case NID_secp521r1:
          return EVP_sha512();
        default:
          return nullptr;
      }
    default:
      return nullptr;
  }
}

// ---- subjectAltName ----

namespace {

std::string ip_to_text(const ASN1_OCTET_STRING* ip) {
  const std::string raw = asn1_string_bytes(ip);
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int family = raw.size() == 4 ? AF_INET : raw.size() == 16 ? AF_INET6 : -1;
  if (family < 0 || inet_ntop(family, raw.data(), text.data(), text.size()) == nullptr) {
    return "invalid:" + to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  }
  return text.data();
}

}  // namespace

SubjectAltNames read_general_names(const GENERAL_NAMES* names) {
  SubjectAltNames out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    const void* value = GENERAL_NAME_get0_value(name, &type);
    switch (type) {
      case GEN_DNS:
        out.dns_names.push_back(asn1_string_bytes(static_cast<const ASN1_STRING*>(value)));
        break;
      case GEN_URI:
        out.uris.push_back(asn1_string_bytes(static_cast<const ASN1_STRING*>(value)));
        break;
      case GEN_IPADD:
        out.ip_addresses.push_back(ip_to_text(static_cast<const ASN1_OCTET_STRING*>(value)));
        break;
      default:
        break;
    }
  }
  return out;
}

SubjectAltNames subject_alt_names(const STACK_OF(X509_EXTENSION) * extensions) {
  const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(extensions, NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();
  if (!names) return {};
  return read_general_names(names.get());
}

bool lists_oauth_access_token_signing(const STACK_OF(X509_EXTENSION) * extensions) {
  using Usages = Ptr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
  const Usages usages(static_cast<EXTENDED_KEY_USAGE*>(
      X509V3_get_d2i(extensions, NID_ext_key_usage, nullptr, nullptr)));
  ERR_clear_error();
  if (!usages) return false;
  const Asn1ObjectPtr signing(OBJ_txt2obj(std::string(kOAuthAccessTokenSigningOid).c_str(), 1));
  if (!signing) throw_openssl("OBJ_txt2obj");
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    if (OBJ_cmp(sk_ASN1_OBJECT_value(usages.get(), i), signing.get()) == 0) return true;
  }
  return false;
}

}  // namespace secprov::crypto::detail
