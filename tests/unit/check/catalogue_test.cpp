// The built-in interface catalogue.

#include "check/catalogue.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace secprov::check {
namespace {

using api::NfType;

bool has_mechanism(const Relation& r, Mechanism m) {
  return std::find(r.mechanisms.begin(), r.mechanisms.end(), m) != r.mechanisms.end();
}

const Relation* direct(EndType a, EndType b, Interface i) {
  for (const auto* r : relations(a, b, i)) {
    if (!r->via_scp) return r;
  }
  return nullptr;
}

TEST(Catalogue, ServiceBasedRelationsOfTheIssue) {
  const std::pair<NfType, NfType> expected[] = {
      {NfType::AMF, NfType::AUSF}, {NfType::AMF, NfType::UDM},  {NfType::AMF, NfType::SMF},
      {NfType::AMF, NfType::PCF},  {NfType::AMF, NfType::NSSF}, {NfType::SMF, NfType::UDM},
      {NfType::SMF, NfType::PCF},  {NfType::AUSF, NfType::UDM}, {NfType::PCF, NfType::UDR},
      {NfType::NEF, NfType::UDR}};
  for (const auto& [consumer, producer] : expected) {
    const auto* r = direct(consumer, producer, Interface::Sbi);
    ASSERT_NE(r, nullptr) << api::to_string(consumer) << "->" << api::to_string(producer);
    EXPECT_TRUE(has_mechanism(*r, Mechanism::Tls));
    EXPECT_TRUE(has_mechanism(*r, Mechanism::OAuth2));
    // Consumer -> producer only: SBI relations are directed.
    EXPECT_EQ(direct(producer, consumer, Interface::Sbi), nullptr)
        << api::to_string(producer) << "->" << api::to_string(consumer);
  }
}

TEST(Catalogue, EveryNfToNrfAndThroughScp) {
  for (const auto nf : {NfType::AMF, NfType::SMF, NfType::AUSF, NfType::UDM, NfType::PCF,
                        NfType::NSSF, NfType::UDR, NfType::NEF, NfType::SEPP, NfType::SCP}) {
    EXPECT_NE(direct(nf, NfType::NRF, Interface::Sbi), nullptr) << api::to_string(nf);
  }
  // The UPFs of Open5GS and free5GC have no SBI.
  EXPECT_TRUE(relations(NfType::UPF, NfType::NRF, Interface::Sbi).empty());
  const auto hop1 = relations(NfType::AMF, NfType::SCP, Interface::Sbi);
  ASSERT_EQ(hop1.size(), 1u);
  EXPECT_TRUE(hop1.front()->via_scp);
  EXPECT_EQ(hop1.front()->mechanisms, std::vector{Mechanism::Tls});
  const auto hop2 = relations(NfType::SCP, NfType::AUSF, Interface::Sbi);
  ASSERT_EQ(hop2.size(), 1u);
  EXPECT_TRUE(hop2.front()->via_scp);
}

TEST(Catalogue, NonSbiInterfaces) {
  struct Expected {
    Interface interface;
    EndType a;
    EndType b;
    Mechanism mechanism;
  };
  const Expected expected[] = {
      {Interface::N2, ExternalKind::Gnb, NfType::AMF, Mechanism::Ipsec},
      {Interface::N3, ExternalKind::Gnb, NfType::UPF, Mechanism::Ipsec},
      {Interface::N4, NfType::SMF, NfType::UPF, Mechanism::Ipsec},
      {Interface::N9, NfType::UPF, NfType::UPF, Mechanism::Ipsec},
      {Interface::N32, NfType::SEPP, NfType::SEPP, Mechanism::N32},
      {Interface::N32, NfType::SEPP, ExternalKind::RemoteSepp, Mechanism::N32},
  };
  for (const auto& e : expected) {
    const auto found = relations(e.a, e.b, e.interface);
    ASSERT_EQ(found.size(), 1u) << to_string(e.interface);
    EXPECT_TRUE(has_mechanism(*found.front(), e.mechanism));
    // Non-SBI ends are symmetric.
    EXPECT_EQ(relations(e.b, e.a, e.interface), found) << to_string(e.interface);
  }
  EXPECT_TRUE(relations(NfType::AMF, NfType::UPF, Interface::N4).empty());
  EXPECT_TRUE(has_mechanism(*relations(NfType::SEPP, NfType::SEPP, Interface::N32).front(),
                            Mechanism::Tls));
}

TEST(Catalogue, ServicePrefixAndNames) {
  EXPECT_EQ(service_prefix(NfType::AUSF), "nausf-");
  EXPECT_EQ(service_prefix(NfType::NRF), "nnrf-");
  EXPECT_EQ(to_string(EndType{ExternalKind::Gnb}), "gNB");
  EXPECT_EQ(to_string(EndType{NfType::SMF}), "SMF");
  EXPECT_EQ(ipsec_interface(Interface::N4), api::IpsecInterface::N4);
  EXPECT_EQ(ipsec_interface(Interface::Sbi), std::nullopt);
}

}  // namespace
}  // namespace secprov::check
