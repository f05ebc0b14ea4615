#include "crypto/key.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/errors.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::corrupt_pem;

// Reads the key of a PKCS#8 PEM with OpenSSL directly and returns what `write(bio, key)` writes
// ("" when either fails): formats our API does not write, and OpenSSL's own encodings.
template <class Write>
std::string rewritten(const std::string& pkcs8_pem, const Write& write) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> in(
      BIO_new_mem_buf(pkcs8_pem.data(), static_cast<int>(pkcs8_pem.size())), BIO_free_all);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free_all)> out(BIO_new(BIO_s_mem()), BIO_free_all);
  if (!key || !out || !write(out.get(), key.get())) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Re-encodes a PKCS#8 PEM, to feed formats our API does not write.
std::string reencode(const std::string& pkcs8_pem, bool traditional, const char* passphrase) {
  return rewritten(pkcs8_pem, [&](BIO* out, EVP_PKEY* key) {
    if (traditional) {
      return PEM_write_bio_PrivateKey_traditional(out, key, nullptr, nullptr, 0, nullptr,
                                                  nullptr) == 1;
    }
    return PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), passphrase,
                                         static_cast<int>(std::string(passphrase).size()), nullptr,
                                         nullptr) == 1;
  });
}

// What OpenSSL's own encoder writes for the key a PKCS#8 PEM holds, optionally with its point
// conversion form changed first.
std::string openssl_pkcs8(const std::string& pkcs8_pem, const char* point_form = nullptr) {
  return rewritten(pkcs8_pem, [point_form](BIO* out, EVP_PKEY* key) {
    if (point_form != nullptr &&
        EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       point_form) != 1) {
      return false;
    }
    return PEM_write_bio_PKCS8PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

TEST(KeyAlgorithm, StringRoundTrip) {
  for (const auto algorithm :
       {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072, KeyAlgorithm::Rsa4096}) {
    EXPECT_EQ(parse_key_algorithm(to_string(algorithm)), algorithm);
  }
  EXPECT_EQ(to_string(KeyAlgorithm::EcdsaP256), "ECDSA-P256");
  EXPECT_EQ(to_string(KeyAlgorithm::Rsa3072), "RSA-3072");
  EXPECT_EQ(parse_key_algorithm("rsa-2048"), std::nullopt);
  EXPECT_EQ(parse_key_algorithm("ECDSA-P521"), std::nullopt);
  EXPECT_EQ(parse_key_algorithm(""), std::nullopt);
}

class GeneratedKey : public ::testing::TestWithParam<KeyAlgorithm> {};

TEST_P(GeneratedKey, HasAlgorithmAndRoundTripsThroughPkcs8) {
  const PrivateKey key = PrivateKey::generate(GetParam());
  EXPECT_EQ(key.algorithm(), GetParam());

  const std::string pem = key.to_pkcs8_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN "
                      "PRIVATE KEY-----\n",
                      0),
            0u);
  const PrivateKey parsed = PrivateKey::from_pem(pem);
  EXPECT_EQ(parsed.algorithm(), GetParam());
  EXPECT_EQ(parsed.public_key_sha256(), key.public_key_sha256());
  EXPECT_EQ(parsed.to_pkcs8_pem(), pem);
  EXPECT_EQ(key.public_key_sha256().size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(ProfileAlgorithms, GeneratedKey,
                         ::testing::Values(KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384,
                                           KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa3072),
                         [](const auto& param_info) {
                           std::string name(to_string(param_info.param));
                           std::erase(name, '-');
                           return name;
                         });

// EC keys are written without OpenSSL's encoder (detail::ec_pkcs8_pem): byte for byte what the
// encoder writes, for keys generated here (the scalar's leading zero bytes included: 64 keys
// make one likely) and for keys read back, whatever their point's form.
TEST(PrivateKey, EcPkcs8IsWhatOpenSSLWrites) {
  for (const auto algorithm : {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384}) {
    for (int i = 0; i < 64; ++i) {
      const auto pem = PrivateKey::generate(algorithm).to_pkcs8_pem();
      ASSERT_EQ(pem, openssl_pkcs8(pem)) << to_string(algorithm);
    }
    for (const char* form : {"compressed", "uncompressed"}) {
      const auto expected = openssl_pkcs8(PrivateKey::generate(algorithm).to_pkcs8_pem(), form);
      ASSERT_FALSE(expected.empty());
      EXPECT_EQ(PrivateKey::from_pem(expected).to_pkcs8_pem(), expected) << form;
    }
  }
}

// The only RSA-4096 generation in the suite (slow).
TEST(PrivateKey, GeneratesRsa4096) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::Rsa4096);
  EXPECT_EQ(key.algorithm(), KeyAlgorithm::Rsa4096);
  EXPECT_EQ(PrivateKey::from_pem(key.to_pkcs8_pem()).algorithm(), KeyAlgorithm::Rsa4096);
}

TEST(PrivateKey, TwoKeysDiffer) {
  EXPECT_NE(PrivateKey::generate(KeyAlgorithm::EcdsaP256).public_key_sha256(),
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).public_key_sha256());
}

// EC keys come from curve parameters shared by the whole process: keys generated on several
// threads at once are all distinct, on the right curve, and each still its own.
TEST(PrivateKey, EcKeysGeneratedOnManyThreadsAtOnceAreDistinct) {
  for (const auto algorithm : {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384}) {
    constexpr int kThreads = 4;
    constexpr int kKeysEach = 25;
    std::vector<std::vector<std::string>> fingerprints(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kKeysEach; ++i) {
          const auto key = PrivateKey::generate(algorithm);
          const auto parsed = PrivateKey::from_pem(key.to_pkcs8_pem());
          fingerprints[t].push_back(parsed.algorithm() == algorithm ? key.public_key_sha256()
                                                                    : "wrong curve");
        }
      });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> distinct;
    for (const auto& list : fingerprints) distinct.insert(list.begin(), list.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kKeysEach))
        << to_string(algorithm);
    EXPECT_FALSE(distinct.contains("wrong curve")) << to_string(algorithm);
  }
}

TEST(PrivateKey, CopySharesTheKeyAndOutlivesTheOriginal) {
  std::optional<PrivateKey> original = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const std::string digest = original->public_key_sha256();
  PrivateKey copy = *original;
  original.reset();
  EXPECT_EQ(copy.public_key_sha256(), digest);
  PrivateKey assigned = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  assigned = copy;
  EXPECT_EQ(assigned.public_key_sha256(), digest);
}

TEST(PrivateKey, ReadsTraditionalFormat) {
  const PrivateKey ec = PrivateKey::generate(KeyAlgorithm::EcdsaP384);
  const std::string ec_pem = reencode(ec.to_pkcs8_pem(), true, nullptr);
  ASSERT_NE(ec_pem.find("-----BEGIN "
                        "EC PRIVATE KEY-----"),
            std::string::npos);
  EXPECT_EQ(PrivateKey::from_pem(ec_pem).public_key_sha256(), ec.public_key_sha256());

  const PrivateKey rsa = PrivateKey::generate(KeyAlgorithm::Rsa2048);
  const std::string rsa_pem = reencode(rsa.to_pkcs8_pem(), true, nullptr);
  ASSERT_NE(rsa_pem.find("-----BEGIN "
                         "RSA PRIVATE KEY-----"),
            std::string::npos);
  const PrivateKey parsed = PrivateKey::from_pem(rsa_pem);
  EXPECT_EQ(parsed.public_key_sha256(), rsa.public_key_sha256());
  EXPECT_EQ(parsed.algorithm(), KeyAlgorithm::Rsa2048);
}

TEST(PrivateKey, RejectsEncryptedKeyWithoutPrompting) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const std::string encrypted = reencode(key.to_pkcs8_pem(), false, "correct horse");
  ASSERT_NE(encrypted.find("-----BEGIN "
                           "ENCRYPTED PRIVATE KEY-----"),
            std::string::npos);
  EXPECT_THROW(PrivateKey::from_pem(encrypted), CryptoError);
}

TEST(PrivateKey, FromPemRejectsGarbage) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const std::string pem = key.to_pkcs8_pem();
  const std::string truncated = pem.substr(0, pem.size() / 2);
  const std::string bad_tag = corrupt_pem(pem, 0);  // outer SEQUENCE tag 0x30 -> 0x31
  for (const std::string& bad : {std::string(), std::string("not a key"), truncated, bad_tag,
                                 std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                             "-----END CERTIFICATE-----\n")}) {
    EXPECT_THROW(PrivateKey::from_pem(bad), CryptoError) << bad.size();
  }
}

TEST(PrivateKey, ErrorTextCarriesOpenSslReasonButNoKeyMaterial) {
  const std::string pem = PrivateKey::generate(KeyAlgorithm::EcdsaP256).to_pkcs8_pem();
  const std::string body_line = pem.substr(pem.find('\n') + 1, 40);
  try {
    PrivateKey::from_pem(pem.substr(0, pem.size() - 40));
    FAIL() << "expected CryptoError";
  } catch (const CryptoError& e) {
    EXPECT_FALSE(e.openssl_errors().empty());
    EXPECT_EQ(std::string(e.what()).find(body_line), std::string::npos);
  }
}

}  // namespace
}  // namespace secprov::crypto
