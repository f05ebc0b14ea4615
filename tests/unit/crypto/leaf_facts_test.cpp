#include "crypto/leaf_facts.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/authority.h"
#include "crypto/detail/ossl.h"
#include "crypto/errors.h"
#include "crypto/key.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::corrupt_pem;
using test_support::fixed_now;
using test_support::make_ca;
using test_support::nf_template;

Certificate leaf_of(const CertificateAuthority& ca, bool oauth_signing = false) {
  auto request = nf_template(fixed_now());
  request.oauth_access_token_signing = oauth_signing;
  // Each spelling the encoding has for a URI: a urn:uuid kept as its bytes, others as text.
  request.uris.push_back("urn:uuid:0B7F8A4E-3C1D-4A57-9A2E-5F0D6C1B2A39");
  request.uris.push_back("https://nrf.5gc.example/oauth2/token");
  return ca.issue(PrivateKey::generate(KeyAlgorithm::EcdsaP256), request, fixed_now());
}

// A version 1 certificate (no extensions at all), self-signed by key: the CA never makes one,
// but a Secret may hold anything.
Certificate version_1_certificate(const PrivateKey& key) {
  detail::X509Ptr x509(X509_new());
  EVP_PKEY* pkey = detail::Access::pkey(key);
  const auto name = detail::NamePtr(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("v1"), -1, -1, 0);
  const bool built = X509_set_version(x509.get(), X509_VERSION_1) == 1 &&
                     ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 0x1234) == 1 &&
                     X509_set_subject_name(x509.get(), name.get()) == 1 &&
                     X509_set_issuer_name(x509.get(), name.get()) == 1 &&
                     X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0) != nullptr &&
                     X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600) != nullptr &&
                     X509_set_pubkey(x509.get(), pkey) == 1 &&
                     X509_sign(x509.get(), pkey, EVP_sha256()) > 0;
  if (!built) detail::throw_openssl("test certificate");
  return detail::Access::wrap(std::move(x509));
}

// DER pieces for certificates altered and signed again by a CA (the byte-change test cannot
// reach these: any change there breaks the signature, whatever the reader makes of it).
std::string der_length(std::size_t size) {
  if (size < 0x80) return std::string(1, static_cast<char>(size));
  std::string octets;
  for (; size != 0; size >>= 8U) octets.insert(octets.begin(), static_cast<char>(size & 0xffU));
  return static_cast<char>(0x80 | octets.size()) + octets;
}
std::string tlv(unsigned char tag, const std::string& contents) {
  return static_cast<char>(tag) + der_length(contents.size()) + contents;
}
// The elements of a DER contents octets, each whole (this test's own inputs: well formed).
std::vector<std::string> elements(const std::string& contents) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < contents.size();) {
    std::size_t header = 2;
    std::size_t size = static_cast<unsigned char>(contents[at + 1]);
    if (size >= 0x80) {
      const std::size_t octets = size & 0x7fU;
      size = 0;
      for (std::size_t i = 0; i < octets; ++i) {
        size = (size << 8U) | static_cast<unsigned char>(contents[at + 2 + i]);
      }
      header += octets;
    }
    out.push_back(contents.substr(at, header + size));
    at += header + size;
  }
  return out;
}
std::string contents_of(const std::string& element) {
  const auto first = static_cast<unsigned char>(element[1]);
  return element.substr(first < 0x80 ? 2 : 2 + (first & 0x7fU));
}

// ca's key under another subject name, as a CA that issues.
CertificateAuthority renamed_ca(const CertificateAuthority& ca, const std::string& name) {
  auto request = nf_template(fixed_now());
  request.subject = test_support::ca_subject(name);
  request.is_ca = true;
  request.dns_names.clear();
  request.uris.clear();
  request.ip_addresses.clear();
  request.server_auth = request.client_auth = false;
  request.nf_types.clear();
  return CertificateAuthority::load(ca.issue(ca.key(), request, fixed_now()).to_pem(),
                                    ca.key().to_pkcs8_pem(), fixed_now());
}

TEST(LeafFacts, ReadBackWhatTheCertificateSays) {
  const auto ca = make_ca();
  // Random serials: about one in sixteen has an odd number of hex digits.
  for (int i = 0; i < 40; ++i) {
    const bool signing = i % 2 == 1;
    const auto leaf = leaf_of(ca, signing);
    const auto facts = LeafFacts::decode(LeafFacts::of(leaf).encode()).value();
    EXPECT_EQ(facts.sha256_fingerprint(), leaf.sha256_fingerprint());
    EXPECT_EQ(facts.serial_hex(), leaf.serial_hex());
    EXPECT_EQ(facts.not_before(), leaf.not_before());
    EXPECT_EQ(facts.not_after(), leaf.not_after());
    EXPECT_EQ(facts.uris(), leaf.uris());
    EXPECT_EQ(facts.oauth_access_token_signing(), signing);
  }
}

// Times before 1970 are negative seconds: kept as such, and read back as the certificate's.
TEST(LeafFacts, TimesBefore1970ReadBackAsTheCertificatesOwn) {
  using namespace std::chrono;
  const system_clock::time_point epoch{};
  const auto now = epoch - 1500ms;
  const auto ca = make_ca(KeyAlgorithm::EcdsaP256, "secprov test CA", epoch - 3s);
  const auto leaf = ca.issue(PrivateKey::generate(KeyAlgorithm::EcdsaP256), nf_template(now), now);
  ASSERT_EQ(leaf.not_before(), epoch - 2s);
  const auto facts = LeafFacts::decode(LeafFacts::of(leaf).encode()).value();
  EXPECT_EQ(facts.not_before(), leaf.not_before());
  EXPECT_EQ(facts.not_after(), leaf.not_after());
}

TEST(LeafFacts, EncodingIsExactlyInvertibleAndUnderHalfTheDer) {
  const auto leaf = leaf_of(make_ca());
  const auto facts = LeafFacts::of(leaf);
  const auto bytes = facts.encode();
  EXPECT_EQ(LeafFacts::decode(bytes), facts);
  EXPECT_LT(bytes.size() * 2, leaf.to_der().size()) << bytes.size();
  // Truncated anywhere, extended, or of another version: refused, never misread.
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(LeafFacts::decode(bytes.substr(0, size))) << size;
  }
  EXPECT_FALSE(LeafFacts::decode(bytes + '\0'));
  auto other_version = bytes;
  other_version[0] = static_cast<char>(other_version[0] + 1);
  EXPECT_FALSE(LeafFacts::decode(other_version));
}

// From a certificate's DER as a PEM block stores it, the facts of the parsed certificate;
// bytes that are not exactly one certificate are refused.
TEST(LeafFacts, ReadFromTheStoredDerAsFromTheCertificate) {
  for (const auto algorithm :
       {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048}) {
    const auto ca = make_ca(algorithm, "issuing CA");
    const auto leaf = leaf_of(ca, /*oauth_signing=*/true);
    const auto blocks = certificate_der_blocks(leaf.to_pem() + ca.certificate().to_pem());
    ASSERT_EQ(blocks.size(), 2U);
    const auto facts = LeafFacts::of_der(blocks.front());
    EXPECT_EQ(facts, LeafFacts::of(leaf)) << to_string(algorithm);
    EXPECT_TRUE(facts.issued_by(ca.certificate())) << to_string(algorithm);
  }
  const auto der = leaf_of(make_ca()).to_der();
  EXPECT_THROW(LeafFacts::of_der(der + '\0'), CryptoError);
  EXPECT_THROW(LeafFacts::of_der(der.substr(0, der.size() - 1)), CryptoError);
  EXPECT_THROW(LeafFacts::of_der("not a certificate"), CryptoError);
}

// A certificate without extensions (version 1): no URIs, no usage, its own issuer.
TEST(LeafFacts, AVersion1CertificateHasNoUrisAndNoUsage) {
  const auto key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const auto certificate = version_1_certificate(key);
  const auto facts = LeafFacts::of_der(certificate.to_der());
  EXPECT_EQ(facts.serial_hex(), "1234");
  EXPECT_EQ(facts.not_after(), certificate.not_after());
  EXPECT_TRUE(facts.uris().empty());
  EXPECT_FALSE(facts.oauth_access_token_signing());
  EXPECT_TRUE(facts.issued_by(certificate));
  EXPECT_FALSE(facts.issued_by(make_ca().certificate()));
}

// The facts are read without d2i_X509, so each byte of a leaf is changed in turn: the result is
// refused, or its facts are not issued by the CA. Where OpenSSL parses the changed bytes too,
// its own check (X509_verify) says the same.
TEST(LeafFacts, EveryChangedByteIsRefusedOrNotIssuedByTheCa) {
  for (const auto algorithm : {KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048}) {
    SCOPED_TRACE(to_string(algorithm));
    const auto ca = make_ca(algorithm, "issuing CA");
    const LeafFacts::Issuer issuer(ca.certificate());
    const auto der = leaf_of(ca, /*oauth_signing=*/true).to_der();
    ASSERT_TRUE(LeafFacts::of_der(der).issued_by(issuer));
    int read = 0;
    for (std::size_t at = 0; at < der.size(); ++at) {
      for (const unsigned char bit : {0x01, 0x80}) {
        auto changed = der;
        changed[at] = static_cast<char>(changed[at] ^ bit);
        std::optional<LeafFacts> facts;
        try {
          facts = LeafFacts::of_der(changed);
        } catch (const CryptoError&) {
        }
        if (!facts) continue;
        ++read;
        EXPECT_FALSE(facts->issued_by(issuer)) << "byte " << at << " ^ " << int{bit};
        try {
          EXPECT_FALSE(Certificate::from_der(changed).issued_by(ca.certificate())) << at;
        } catch (const CryptoError&) {
        }
      }
    }
    // Most changes fall in names, keys, extensions and the signature, which still read.
    EXPECT_GT(read, static_cast<int>(der.size()));
  }
}

// A signature BIT STRING that claims an unused bit is refused as X509_verify refuses it, even
// where the bits it drops are zero and the octets left still verify.
TEST(LeafFacts, ASignatureWithUnusedBitsIsNotIssuedByTheCa) {
  const auto ca = make_ca(KeyAlgorithm::Rsa2048, "issuing CA");
  std::string der;
  for (int i = 0; i < 64 && (der.empty() || (der.back() & 1) != 0); ++i) {
    der = leaf_of(ca).to_der();
  }
  ASSERT_EQ(der.back() & 1, 0);
  // An RSA-2048 signature: 03 82 01 01, the unused-bits octet, 256 octets.
  const auto unused_bits = der.size() - 257;
  ASSERT_EQ(der.substr(unused_bits - 4, 5), std::string("\x03\x82\x01\x01\x00", 5));
  auto changed = der;
  changed[unused_bits] = '\x01';
  EXPECT_FALSE(Certificate::from_der(changed).issued_by(ca.certificate()));
  EXPECT_FALSE(LeafFacts::of_der(changed).issued_by(ca.certificate()));
  EXPECT_TRUE(LeafFacts::of_der(der).issued_by(ca.certificate()));
}

// Certificates altered and signed again by the CA: the facts are read exactly when OpenSSL
// parses the certificate (a broken name, key info, version or unique ID is refused although
// the signature verifies), and then say what OpenSSL's reading says. Encodings only BER allows,
// which OpenSSL also reads, are refused: a stored leaf is the operator's own DER.
TEST(LeafFacts, ReadsWhatOpenSslReadsAndRefusesBrokenSignedParts) {
  const auto ca = make_ca(KeyAlgorithm::EcdsaP256, "issuing CA");
  const auto leaf = leaf_of(ca, /*oauth_signing=*/true).to_der();
  const auto parts = elements(contents_of(leaf));  // tbsCertificate, algorithm, signature
  const auto fields = elements(contents_of(parts[0]));
  ASSERT_EQ(fields.size(), 8U);  // version, serial, algorithm, issuer, validity, subject, key, [3]
  const auto sign = [&](const std::string& tbs) {
    const detail::Ptr<EVP_MD_CTX, EVP_MD_CTX_free> context(EVP_MD_CTX_new());
    std::size_t size = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(tbs.data());
    EXPECT_EQ(EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr,
                                 detail::Access::pkey(ca.key())),
              1);
    EXPECT_EQ(EVP_DigestSign(context.get(), nullptr, &size, data, tbs.size()), 1);
    std::string signature(size, '\0');
    EXPECT_EQ(EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()),
                             &size, data, tbs.size()),
              1);
    signature.resize(size);
    return signature;
  };
  const auto with = [&](const std::function<void(std::vector<std::string>&)>& change) {
    auto changed = fields;
    change(changed);
    std::string tbs;
    for (const auto& field : changed) tbs += field;
    tbs = tlv(0x30, tbs);
    return tlv(0x30, tbs + parts[1] + tlv(0x03, std::string(1, '\0') + sign(tbs)));
  };
  const auto name_of = [](const std::string& attribute) {
    return tlv(0x30, tlv(0x31, tlv(0x30, std::string("\x06\x03\x55\x04\x03", 5) + attribute)));
  };
  const std::vector<std::pair<std::string, std::string>> same = {
      {"as issued", with([](auto&) {})},
      {"subject not UTF-8", with([&](auto& f) { f[5] = name_of(tlv(0x0c, "\xff\xfe")); })},
      {"subject not a name", with([](auto& f) { f[5] = tlv(0x30, tlv(0x02, "\x05")); })},
      {"key info not one", with([](auto& f) { f[6] = tlv(0x30, tlv(0x02, "\x05")); })},
      {"key not a point", with([](auto& f) {
         f[6] = tlv(0x30, elements(contents_of(f[6]))[0] + tlv(0x03, std::string("\0\x04\x01", 3)));
       })},
      {"version not an INTEGER", with([](auto& f) { f[0] = tlv(0xa0, tlv(0x04, "\x02")); })},
      {"version 8", with([](auto& f) { f[0] = tlv(0xa0, tlv(0x02, "\x07")); })},
      {"version and more",
       with([](auto& f) { f[0] = tlv(0xa0, tlv(0x02, "\x02") + tlv(0x05, "")); })},
      {"issuer ID with 8 unused bits",
       with([](auto& f) { f.insert(f.begin() + 7, tlv(0x81, "\x08\xab")); })},
      {"issuer ID empty", with([](auto& f) { f.insert(f.begin() + 7, tlv(0x81, "")); })},
      {"issuer and subject IDs", with([](auto& f) {
         f.insert(f.begin() + 7,
                  {tlv(0x81, std::string("\0\xab", 2)), tlv(0x82, std::string("\0\xcd", 2))});
       })},
      {"no extension", with([](auto& f) { f[7] = tlv(0xa3, tlv(0x30, "")); })},
      {"extensions not a list", with([](auto& f) { f[7] = tlv(0xa3, ""); })},
      {"serial with a leading zero",
       with([](auto& f) { f[1] = tlv(0x02, std::string("\0\x12", 2)); })},
      {"serial empty", with([](auto& f) { f[1] = tlv(0x02, ""); })},
      {"notAfter as GeneralizedTime", with([](auto& f) {
         f[4] = tlv(0x30, elements(contents_of(f[4]))[0] + tlv(0x18, "20991231235959Z"));
       })},
  };
  for (const auto& [what, der] : same) {
    SCOPED_TRACE(what);
    std::optional<Certificate> parsed;
    try {
      parsed = Certificate::from_der(der);
    } catch (const CryptoError&) {
    }
    if (!parsed) {
      EXPECT_THROW(LeafFacts::of_der(der), CryptoError);
      continue;
    }
    const auto facts = LeafFacts::of_der(der);
    EXPECT_EQ(facts.issued_by(ca.certificate()), parsed->issued_by(ca.certificate()));
    EXPECT_EQ(facts.serial_hex(), parsed->serial_hex());
    EXPECT_EQ(facts.not_after(), parsed->not_after());
    EXPECT_EQ(facts.uris(), parsed->uris());
  }
  EXPECT_TRUE(LeafFacts::of_der(same.front().second).issued_by(ca.certificate()));

  const std::string inner = contents_of(with([](auto&) {}));
  const auto tbs = elements(inner)[0];
  const std::vector<std::pair<std::string, std::string>> ber_only = {
      {"indefinite length", std::string("\x30\x80", 2) + inner + std::string(2, '\0')},
      {"length in four octets",
       std::string("\x30\x84\0\0", 4) + der_length(inner.size()).substr(1) + inner},
      {"signature as a constructed BIT STRING",
       tlv(0x30, tbs + parts[1] + tlv(0x23, tlv(0x03, std::string(1, '\0') + sign(tbs))))},
      {"issuer ID constructed", with([](auto& f) {
         f.insert(f.begin() + 7, tlv(0xa1, tlv(0x03, std::string("\0\xab", 2))));
       })},
  };
  for (const auto& [what, der] : ber_only) {
    SCOPED_TRACE(what);
    EXPECT_TRUE(Certificate::from_der(der).issued_by(ca.certificate()));
    EXPECT_THROW(LeafFacts::of_der(der), CryptoError);
  }
}

// Cut anywhere or wrapped in another element: not a certificate.
TEST(LeafFacts, ATruncatedOrRewrappedCertificateIsRefused) {
  const auto der = leaf_of(make_ca()).to_der();
  for (std::size_t size = 0; size < der.size(); ++size) {
    EXPECT_THROW(LeafFacts::of_der(der.substr(0, size)), CryptoError) << size;
  }
  // The same bytes as a SET, and inside a second SEQUENCE.
  auto as_set = der;
  as_set[0] = '\x31';
  EXPECT_THROW(LeafFacts::of_der(as_set), CryptoError);
  const std::string wrapped = std::string("\x30\x82") +
                              static_cast<char>((der.size() >> 8U) & 0xffU) +
                              static_cast<char>(der.size() & 0xffU) + der;
  EXPECT_THROW(LeafFacts::of_der(wrapped), CryptoError);
}

// The issuer check answers as Certificate::issued_by for each CA key type the operator uses,
// from the encoded facts alone.
TEST(LeafFacts, IssuerCheckAgreesWithTheCertificatesOwn) {
  for (const auto algorithm :
       {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048}) {
    const auto ca = make_ca(algorithm, "issuing CA");
    const auto other = make_ca(algorithm, "other CA");
    const auto leaf = leaf_of(ca);
    const auto facts = LeafFacts::decode(LeafFacts::of(leaf).encode()).value();
    ASSERT_TRUE(leaf.issued_by(ca.certificate()));
    EXPECT_TRUE(facts.issued_by(ca.certificate())) << to_string(algorithm);
    EXPECT_FALSE(facts.issued_by(other.certificate())) << to_string(algorithm);
    EXPECT_FALSE(facts.issued_by(leaf)) << to_string(algorithm);
  }
}

TEST(LeafFacts, ABrokenSignatureOrAnotherIssuerNameIsNotIssuedByTheCa) {
  const auto ca = make_ca();
  const auto leaf = leaf_of(ca);
  // The last byte of the DER is the signature's.
  const auto tampered = Certificate::from_pem(corrupt_pem(leaf.to_pem(), -1));
  EXPECT_FALSE(tampered.issued_by(ca.certificate()));
  EXPECT_FALSE(LeafFacts::of(tampered).issued_by(ca.certificate()));

  // A CA certificate with the same key under another name: the signature verifies, the name
  // does not match.
  const auto renamed = renamed_ca(ca, "renamed CA");
  EXPECT_FALSE(leaf.issued_by(renamed.certificate()));
  EXPECT_FALSE(LeafFacts::of(leaf).issued_by(renamed.certificate()));
}

// A CA prepared once (LeafFacts::Issuer) answers as Certificate::issued_by for every leaf:
// its own, one of a CA of the same name with another key, one of a CA with the same key
// under another name.
TEST(LeafFacts, APreparedIssuerAnswersAsTheCertificatesOwnCheck) {
  for (const auto algorithm :
       {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048}) {
    SCOPED_TRACE(to_string(algorithm));
    const auto ca = make_ca(algorithm, "issuing CA");
    const auto same_name = make_ca(algorithm, "issuing CA");
    const auto same_key = renamed_ca(ca, "renamed CA");
    // Read back from PEM too: the key then comes from the X509, not from the issuing process.
    const auto parsed = Certificate::from_pem(ca.certificate().to_pem());
    const std::vector<Certificate> cas = {ca.certificate(), same_name.certificate(),
                                          same_key.certificate(), parsed};
    const std::vector<Certificate> leaves = {leaf_of(ca), leaf_of(ca, /*oauth_signing=*/true),
                                             leaf_of(same_name), leaf_of(same_key)};
    int issued = 0;
    for (std::size_t c = 0; c < cas.size(); ++c) {
      const LeafFacts::Issuer prepared(cas[c]);
      const auto copy = prepared;  // a value: copies share the key
      for (std::size_t l = 0; l < leaves.size(); ++l) {
        SCOPED_TRACE("CA " + std::to_string(c) + ", leaf " + std::to_string(l));
        const auto facts = LeafFacts::decode(LeafFacts::of(leaves[l]).encode()).value();
        const bool expected = leaves[l].issued_by(cas[c]);
        EXPECT_EQ(facts.issued_by(prepared), expected);
        EXPECT_EQ(facts.issued_by(copy), expected);
        EXPECT_EQ(facts.issued_by(cas[c]), expected);
        issued += expected ? 1 : 0;
      }
    }
    // ca and parsed issued the first two leaves, same_name and same_key one each.
    EXPECT_EQ(issued, 6);
  }
}

}  // namespace
}  // namespace secprov::crypto
