#include "api/constants.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace secprov::api {
namespace {

template <ApiEnum E>
void expect_round_trip() {
  for (const auto& [value, name] : EnumTraits<E>::entries) {
    EXPECT_EQ(to_string(value), name);
    EXPECT_EQ(parse_enum<E>(name), value) << name;
  }
  EXPECT_FALSE(parse_enum<E>("no-such-value").has_value());
  EXPECT_FALSE(parse_enum<E>("").has_value());
}

TEST(Enums, EveryEnumRoundTrips) {
  expect_round_trip<NfType>();
  expect_round_trip<TlsMode>();
  expect_round_trip<TlsVersion>();
  expect_round_trip<Tls12CipherSuite>();
  expect_round_trip<Tls13CipherSuite>();
  expect_round_trip<TlsGroup>();
  expect_round_trip<KeyAlgorithm>();
  expect_round_trip<RotationPolicy>();
  expect_round_trip<OAuth2Role>();
  expect_round_trip<JwsAlgorithm>();
  expect_round_trip<IpsecInterface>();
  expect_round_trip<IpsecMode>();
  expect_round_trip<IpsecAuthentication>();
  expect_round_trip<N32Capability>();
  expect_round_trip<JweCipherSuite>();
  expect_round_trip<DriftPolicy>();
  expect_round_trip<DeletionPolicy>();
  expect_round_trip<ConditionStatus>();
  expect_round_trip<ObjectState>();
  expect_round_trip<DriftAction>();
}

TEST(Enums, ParsingIsCaseSensitive) {
  EXPECT_FALSE(parse_enum<NfType>("amf").has_value());
  EXPECT_FALSE(parse_enum<TlsMode>("mutualtls").has_value());
}

TEST(NfTypes, AreTheTs29510List) {
  const auto all = all_nf_types();
  EXPECT_EQ(all.size(), 64u);
  for (const char* name : {"AMF", "SMF", "UPF", "NRF", "AUSF", "UDM", "UDR", "PCF", "NEF", "NSSF",
                           "SCP", "SEPP", "5G_EIR", "5G_DDNMF", "NWDAF", "CHF", "BSF"}) {
    EXPECT_TRUE(parse_enum<NfType>(name).has_value()) << name;
  }
  EXPECT_EQ(to_string(NfType::FIVEG_EIR), "5G_EIR");
}

TEST(AllowLists, ContainOnlyEcdheAeadSuites) {
  for (auto s : tls12_allow_list()) {
    const std::string n(to_string(s));
    EXPECT_TRUE(n.starts_with("TLS_ECDHE_")) << n;
    EXPECT_TRUE(n.find("_GCM_") != std::string::npos ||
                n.find("CHACHA20_POLY1305") != std::string::npos)
        << n;
    for (const char* weak : {"NULL", "EXPORT", "RC4", "3DES", "DES", "CBC", "MD5"}) {
      EXPECT_EQ(n.find(weak), std::string::npos) << n;
    }
  }
  for (const char* bad :
       {"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_NULL_SHA256", "TLS_RSA_EXPORT_WITH_RC4_40_MD5"}) {
    EXPECT_FALSE(parse_enum<Tls12CipherSuite>(bad).has_value()) << bad;
  }
  EXPECT_EQ(tls13_allow_list().size(), 3u);
  EXPECT_FALSE(parse_enum<Tls13CipherSuite>("TLS_AES_128_CCM_8_SHA256").has_value());
}

TEST(AllowLists, DefaultsAreInsideTheAllowLists) {
  for (auto s : kDefaultTls12CipherSuites) {
    EXPECT_NE(std::find(tls12_allow_list().begin(), tls12_allow_list().end(), s),
              tls12_allow_list().end());
  }
  EXPECT_EQ(kDefaultTls12CipherSuites.size(), 4u);
  EXPECT_EQ(kDefaultTls13CipherSuites.size(), 3u);
  EXPECT_EQ(kDefaultTlsGroups.size(), 3u);
}

TEST(OpenSsl, MapsSuitesAndGroups) {
  EXPECT_EQ(openssl_name(Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(openssl_name(Tls12CipherSuite::ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(openssl_name(Tls12CipherSuite::ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
            "ECDHE-RSA-CHACHA20-POLY1305");
  EXPECT_EQ(openssl_name(Tls13CipherSuite::AES_256_GCM_SHA384), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(openssl_name(TlsGroup::secp256r1), "P-256");
  EXPECT_EQ(openssl_name(TlsGroup::X25519), "X25519");
  for (auto s : tls12_allow_list()) EXPECT_FALSE(openssl_name(s).empty());
  for (auto g : tls_group_allow_list()) EXPECT_FALSE(openssl_name(g).empty());
  EXPECT_EQ(openssl_list(std::span<const Tls12CipherSuite>(kDefaultTls12CipherSuites)),
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(openssl_list(std::span<const TlsGroup>(kDefaultTlsGroups)), "X25519:P-256:P-384");
  EXPECT_EQ(openssl_list(std::span<const Tls13CipherSuite>(kDefaultTls13CipherSuites)),
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
}

TEST(KeyAlgorithms, Facts) {
  EXPECT_TRUE(is_rsa(KeyAlgorithm::Rsa3072));
  EXPECT_FALSE(is_rsa(KeyAlgorithm::EcdsaP384));
  EXPECT_EQ(key_bits(KeyAlgorithm::Rsa2048), 2048);
  EXPECT_EQ(key_bits(KeyAlgorithm::EcdsaP256), 256);
  EXPECT_FALSE(parse_enum<KeyAlgorithm>("RSA-1024").has_value());
}

}  // namespace
}  // namespace secprov::api
