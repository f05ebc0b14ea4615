#include "crypto/detail/x509_build.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <string>
#include <string_view>

#include "crypto/errors.h"

namespace secprov::crypto::detail {
namespace {

using Ia5Ptr = Ptr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using OctetStringPtr = Ptr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;

constexpr std::size_t kMaxNfTypeLength = 32;  // RFC 9310: NFType ::= IA5String (SIZE (1..32))
constexpr std::size_t kSerialBytes = 16;

[[noreturn]] void invalid(const std::string& what) {
  throw IssuanceError(IssuanceError::Reason::InvalidTemplate, what, drain_errors());
}

int checked_length(std::string_view value) {
  if (value.size() > 4096) invalid("value longer than 4096 bytes");
  return static_cast<int>(value.size());
}

// Non-empty, printable ASCII without spaces (the IA5String subset names and URIs use).
bool is_graphic_ascii(std::string_view value) {
  if (value.empty()) return false;
  for (const char c : value) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// RFC 1034 preferred syntax (letters, digits, hyphens; labels of 1-63), optionally "*." first.
bool is_dns_name(std::string_view value) {
  if (value.starts_with("*.")) value.remove_prefix(2);
  if (value.empty() || value.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    const char c = i < value.size() ? value[i] : '.';
    if (c == '.') {
      if (label == 0 || label > 63 || value[i - 1] == '-' || value[i - label] == '-') return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

bool is_uri(std::string_view value) {
  const auto colon = value.find(':');
  return is_graphic_ascii(value) && colon != std::string_view::npos && colon > 0 &&
         colon + 1 < value.size();
}

Ia5Ptr make_ia5(std::string_view value) {
  Ia5Ptr s(ASN1_IA5STRING_new());
  if (!s || ASN1_STRING_set(s.get(), value.data(), checked_length(value)) != 1) {
    throw_openssl("ASN1_STRING_set");
  }
  return s;
}

GeneralNamePtr ia5_general_name(int type, std::string_view value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) throw_openssl("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(name.get(), type, make_ia5(value).release());
  return name;
}

GeneralNamePtr ip_general_name(const std::string& value) {
  if (value.find('\0') != std::string::npos) invalid("IP address with NUL byte");
  OctetStringPtr ip(a2i_IPADDRESS(value.c_str()));
  if (!ip) invalid("IP address \"" + value + "\"");
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) throw_openssl("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip.release());
  return name;
}

void push(GENERAL_NAMES* names, GeneralNamePtr name) {
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) throw_openssl("sk_GENERAL_NAME_push");
  (void)name.release();  // now owned by the stack
}

void add_name_entry(X509_NAME* name, int nid, const std::string& value) {
  if (value.empty()) return;
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 checked_length(value), -1, 0) != 1) {
    invalid(std::string("subject ") + OBJ_nid2sn(nid) + "=\"" + value + "\"");
  }
}

void add_extension(X509* cert, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl(std::string("adding extension ") + OBJ_nid2sn(nid));
  }
}

void set_random_serial(X509* cert) {
  std::array<unsigned char, kSerialBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw_openssl("RAND_bytes");
  // Positive (top bit clear) and always exactly 16 bytes long (next bit set): 126 random bits.
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) throw_openssl("BN_bin2bn");
  Ptr<ASN1_INTEGER, ASN1_INTEGER_free> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) throw_openssl("serial number");
}

OctetStringPtr key_identifier(const X509* cert) {
  // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (!id || X509_pubkey_digest(cert, EVP_sha1(), md.data(), &length) != 1 ||
      ASN1_OCTET_STRING_set(id.get(), md.data(), static_cast<int>(length)) != 1) {
    throw_openssl("key identifier");
  }
  return id;
}

void add_basic_constraints(X509* cert, const CertificateTemplate& request) {
  Ptr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(BASIC_CONSTRAINTS_new());
  if (!bc) throw_openssl("BASIC_CONSTRAINTS_new");
  bc->ca = request.is_ca ? 0xff : 0;
  if (request.is_ca && request.path_length) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *request.path_length) != 1) {
      throw_openssl("pathLenConstraint");
    }
  }
  add_extension(cert, NID_basic_constraints, bc.get(), true);
}

void add_key_usage(X509* cert, const CertificateTemplate& request) {
  // Bit numbers from RFC 5280 4.2.1.3.
  constexpr int kDigitalSignature = 0, kKeyCertSign = 5, kCrlSign = 6;
  Ptr<ASN1_BIT_STRING, ASN1_BIT_STRING_free> usage(ASN1_BIT_STRING_new());
  if (!usage) throw_openssl("ASN1_BIT_STRING_new");
  const bool ok = request.is_ca ? ASN1_BIT_STRING_set_bit(usage.get(), kKeyCertSign, 1) == 1 &&
                                      ASN1_BIT_STRING_set_bit(usage.get(), kCrlSign, 1) == 1
                                : ASN1_BIT_STRING_set_bit(usage.get(), kDigitalSignature, 1) == 1;
  if (!ok) throw_openssl("keyUsage");
  add_extension(cert, NID_key_usage, usage.get(), true);
}

void add_extended_key_usage(X509* cert, const CertificateTemplate& request) {
  if (request.is_ca ||
      (!request.server_auth && !request.client_auth && !request.oauth_access_token_signing)) {
    return;
  }
  Ptr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free> usage(sk_ASN1_OBJECT_new_null());
  if (!usage) throw_openssl("sk_ASN1_OBJECT_new_null");
  for (const auto& [wanted, nid] : {std::pair{request.server_auth, NID_server_auth},
                                    std::pair{request.client_auth, NID_client_auth}}) {
    // OBJ_nid2obj returns a static object; freeing it with the stack is a no-op.
    if (wanted && sk_ASN1_OBJECT_push(usage.get(), OBJ_nid2obj(nid)) <= 0) {
      throw_openssl("extendedKeyUsage");
    }
  }
  if (request.oauth_access_token_signing) {
    // OpenSSL has no NID for RFC 9509's KeyPurposeIds: the object is built from its OID
    // (no_name = 1) and owned by the stack from the push on.
    ASN1_OBJECT* const oid = OBJ_txt2obj(std::string(kOAuthAccessTokenSigningOid).c_str(), 1);
    if (oid == nullptr) throw_openssl("extendedKeyUsage");
    if (sk_ASN1_OBJECT_push(usage.get(), oid) <= 0) {
      ASN1_OBJECT_free(oid);
      throw_openssl("extendedKeyUsage");
    }
  }
  add_extension(cert, NID_ext_key_usage, usage.get(), false);
}

void add_key_identifiers(X509* cert, const Issuer* issuer) {
  const OctetStringPtr own = key_identifier(cert);
  add_extension(cert, NID_subject_key_identifier, own.get(), false);

  Ptr<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(AUTHORITY_KEYID_new());
  if (!akid) throw_openssl("AUTHORITY_KEYID_new");
  if (issuer == nullptr) {
    akid->keyid = ASN1_OCTET_STRING_dup(own.get());
  } else if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer->certificate)) {
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
  } else {
    akid->keyid = key_identifier(issuer->certificate).release();
  }
  if (akid->keyid == nullptr) throw_openssl("authorityKeyIdentifier");
  add_extension(cert, NID_authority_key_identifier, akid.get(), false);
}

void add_crl_distribution_point(X509* cert, const std::optional<std::string>& uri) {
  if (!uri) return;
  if (!is_uri(*uri)) invalid("CRL distribution point \"" + *uri + "\" is not a URI");
  GeneralNamesPtr full_name(GENERAL_NAMES_new());
  if (!full_name) throw_openssl("GENERAL_NAMES_new");
  push(full_name.get(), ia5_general_name(GEN_URI, *uri));

  Ptr<DIST_POINT, DIST_POINT_free> point(DIST_POINT_new());
  if (!point || (point->distpoint = DIST_POINT_NAME_new()) == nullptr) {
    throw_openssl("DIST_POINT_new");
  }
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = full_name.release();

  Ptr<CRL_DIST_POINTS, CRL_DIST_POINTS_free> points(sk_DIST_POINT_new_null());
  if (!points || sk_DIST_POINT_push(points.get(), point.get()) <= 0) {
    throw_openssl("sk_DIST_POINT_push");
  }
  (void)point.release();
  add_extension(cert, NID_crl_distribution_points, points.get(), false);
}

// RFC 9310: id-pe-nftype, NFTypes ::= SEQUENCE SIZE (1..MAX) OF NFType (IA5String 1..32).
void add_nf_types(X509* cert, const std::vector<std::string>& nf_types) {
  if (nf_types.empty()) return;
  Asn1TypeStackPtr sequence(sk_ASN1_TYPE_new_null());
  if (!sequence) throw_openssl("sk_ASN1_TYPE_new_null");
  for (const auto& nf_type : nf_types) {
    if (!is_graphic_ascii(nf_type) || nf_type.size() > kMaxNfTypeLength) {
      invalid("nfType \"" + nf_type + "\" (1-32 printable ASCII characters)");
    }
    Ptr<ASN1_TYPE, ASN1_TYPE_free> item(ASN1_TYPE_new());
    if (!item) throw_openssl("ASN1_TYPE_new");
    ASN1_TYPE_set(item.get(), V_ASN1_IA5STRING, make_ia5(nf_type).release());
    if (sk_ASN1_TYPE_push(sequence.get(), item.get()) <= 0) throw_openssl("sk_ASN1_TYPE_push");
    (void)item.release();
  }
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_SEQUENCE_ANY(sequence.get(), &der);
  if (length <= 0) throw_openssl("encoding nfTypes");
  const OpensslBytePtr owned_der(der);

  OctetStringPtr value(ASN1_OCTET_STRING_new());
  const Asn1ObjectPtr oid(OBJ_txt2obj(std::string(kNfTypesOid).c_str(), 1));
  if (!value || !oid || ASN1_OCTET_STRING_set(value.get(), der, length) != 1) {
    throw_openssl("nfTypes");
  }
  const ExtensionPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) throw_openssl("nfTypes");
}

bool subject_is_empty(const CertificateTemplate& request) {
  return request.subject == DistinguishedName{};
}

void set_validity(X509* cert, const CertificateTemplate& request) {
  const Asn1TimePtr not_before = to_asn1_time(request.not_before);
  const Asn1TimePtr not_after = to_asn1_time(request.not_after);
  if (X509_set1_notBefore(cert, not_before.get()) != 1 ||
      X509_set1_notAfter(cert, not_after.get()) != 1) {
    throw_openssl("validity");
  }
}

}  // namespace

NamePtr make_name(const DistinguishedName& dn) {
  NamePtr name(X509_NAME_new());
  if (!name) throw_openssl("X509_NAME_new");
  add_name_entry(name.get(), NID_countryName, dn.country);
  add_name_entry(name.get(), NID_organizationName, dn.organization);
  add_name_entry(name.get(), NID_organizationalUnitName, dn.organizational_unit);
  add_name_entry(name.get(), NID_commonName, dn.common_name);
  return name;
}

GeneralNamesPtr make_subject_alt_names(const CertificateTemplate& request) {
  if (request.dns_names.empty() && request.uris.empty() && request.ip_addresses.empty()) {
    return nullptr;
  }
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) throw_openssl("GENERAL_NAMES_new");
  for (const auto& dns : request.dns_names) {
    if (!is_dns_name(dns)) invalid("DNS name \"" + dns + "\"");
    push(names.get(), ia5_general_name(GEN_DNS, dns));
  }
  for (const auto& uri : request.uris) {
    if (!is_uri(uri)) invalid("URI \"" + uri + "\"");
    push(names.get(), ia5_general_name(GEN_URI, uri));
  }
  for (const auto& ip : request.ip_addresses) push(names.get(), ip_general_name(ip));
  return names;
}

namespace {

// OpenSSL 3.0's X509_set_pubkey encodes a provider key to DER and decodes it again through the
// provider framework, only to cache in the X509 a key the caller holds: three quarters of an
// ECDSA issuance (about 8 % of the operator's CPU in a burst, perf). An end-entity EC key's
// SubjectPublicKeyInfo is set from its encoded point instead, as OpenSSL's own EC encoder
// writes it (id-ecPublicKey, the named curve, the point in the key's form). CA certificates
// keep the whole path: chain verification reads their key from the X509.
void set_public_key(X509* cert, EVP_PKEY* key, bool end_entity) {
  const int curve = end_entity ? ec_curve_nid(key) : NID_undef;
  if (curve == NID_undef) {
    if (X509_set_pubkey(cert, key) != 1) throw_openssl("X509_set_pubkey");
    return;
  }
  const std::string encoded = ec_public_point(key);
  OpensslBytePtr point(static_cast<unsigned char*>(OPENSSL_memdup(encoded.data(), encoded.size())));
  if (!point) throw_openssl("EC public key");
  // set0: the algorithm takes the (static) OIDs and the point.
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                             V_ASN1_OBJECT, OBJ_nid2obj(curve), point.get(),
                             static_cast<int>(encoded.size())) != 1) {
    throw_openssl("X509_PUBKEY_set0_param");
  }
  (void)point.release();
}

}  // namespace

X509Ptr build_certificate(const CertificateTemplate& request, EVP_PKEY* subject_key,
                          const Issuer* issuer) {
  if (request.path_length && (!request.is_ca || *request.path_length < 0)) {
    invalid("path_length needs is_ca and must be >= 0");
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key : subject_key;
  const EVP_MD* digest = signature_digest_for(signing_key);
  if (digest == nullptr) throw CryptoError("unsupported signing key type");

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl("X509_new");
  set_random_serial(cert.get());
  const NamePtr subject = make_name(request.subject);
  X509_NAME* issuer_name =
      issuer != nullptr ? X509_get_subject_name(issuer->certificate) : subject.get();
  if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name) != 1) {
    throw_openssl("names");
  }
  set_validity(cert.get(), request);
  set_public_key(cert.get(), subject_key, issuer != nullptr && !request.is_ca);

  add_basic_constraints(cert.get(), request);
  add_key_usage(cert.get(), request);
  add_extended_key_usage(cert.get(), request);
  add_key_identifiers(cert.get(), issuer);
  if (const GeneralNamesPtr names = make_subject_alt_names(request)) {
    // RFC 5280 4.2.1.6: critical only when the SAN is the sole identity (empty subject).
    add_extension(cert.get(), NID_subject_alt_name, names.get(), subject_is_empty(request));
  }
  add_crl_distribution_point(cert.get(), request.crl_distribution_point);
  add_nf_types(cert.get(), request.nf_types);

  if (X509_sign(cert.get(), signing_key, digest) <= 0) throw_openssl("X509_sign");
  return cert;
}

}  // namespace secprov::crypto::detail
