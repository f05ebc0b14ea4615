#include "check/catalogue.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace secprov::check {
namespace {

using api::NfType;

// The NFs with a service-based interface that register with the NRF. The UPFs of Open5GS
// and free5GC have no SBI (render/native_limits.h), so UPF is not among them.
constexpr std::array kSbiNfs{NfType::AMF,  NfType::SMF, NfType::AUSF, NfType::UDM, NfType::PCF,
                             NfType::NSSF, NfType::UDR, NfType::NEF,  NfType::SCP, NfType::SEPP};

// Direct consumer -> producer relations (issue 11, section 1).
constexpr std::array<std::pair<NfType, NfType>, 10> kSbiRelations{{
    {NfType::AMF, NfType::AUSF},
    {NfType::AMF, NfType::UDM},
    {NfType::AMF, NfType::SMF},
    {NfType::AMF, NfType::PCF},
    {NfType::AMF, NfType::NSSF},
    {NfType::SMF, NfType::UDM},
    {NfType::SMF, NfType::PCF},
    {NfType::AUSF, NfType::UDM},
    {NfType::PCF, NfType::UDR},
    {NfType::NEF, NfType::UDR},
}};

std::vector<Relation> build() {
  std::vector<Relation> out;
  const std::vector<Mechanism> sbi{Mechanism::Tls, Mechanism::OAuth2};
  for (const auto& [consumer, producer] : kSbiRelations) {
    out.push_back({Interface::Sbi, consumer, producer, sbi, false});
  }
  for (const auto nf : kSbiNfs) out.push_back({Interface::Sbi, nf, NfType::NRF, sbi, false});
  // Indirect communication: the consumer's TLS ends at the SCP, which opens its own to the
  // producer; the access token travels end to end (checked on the direct relation).
  for (const auto nf : kSbiNfs) {
    if (nf != NfType::SCP) out.push_back({Interface::Sbi, nf, NfType::SCP, {Mechanism::Tls}, true});
  }
  std::vector<NfType> producers;
  for (const auto& relation : kSbiRelations) producers.push_back(relation.second);
  producers.push_back(NfType::NRF);
  std::sort(producers.begin(), producers.end());
  producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
  for (const auto producer : producers) {
    out.push_back({Interface::Sbi, NfType::SCP, producer, {Mechanism::Tls}, true});
  }
  const std::vector<Mechanism> ipsec{Mechanism::Ipsec};
  out.push_back({Interface::N2, ExternalKind::Gnb, NfType::AMF, ipsec, false});
  out.push_back({Interface::N3, ExternalKind::Gnb, NfType::UPF, ipsec, false});
  out.push_back({Interface::N4, NfType::SMF, NfType::UPF, ipsec, false});
  out.push_back({Interface::N9, NfType::UPF, NfType::UPF, ipsec, false});
  // N32-c is mutual TLS; N32-f is TLS or PRINS (JWE), as the capability negotiated says.
  const std::vector<Mechanism> n32{Mechanism::Tls, Mechanism::N32};
  out.push_back({Interface::N32, NfType::SEPP, NfType::SEPP, n32, false});
  out.push_back({Interface::N32, NfType::SEPP, ExternalKind::RemoteSepp, n32, false});
  return out;
}

}  // namespace

std::string_view to_string(Interface interface) {
  switch (interface) {
    case Interface::Sbi:
      return "SBI";
    case Interface::N2:
      return "N2";
    case Interface::N3:
      return "N3";
    case Interface::N4:
      return "N4";
    case Interface::N9:
      return "N9";
    case Interface::N32:
      return "N32";
  }
  return "";
}

std::optional<api::IpsecInterface> ipsec_interface(Interface interface) {
  switch (interface) {
    case Interface::N2:
      return api::IpsecInterface::N2;
    case Interface::N3:
      return api::IpsecInterface::N3;
    case Interface::N4:
      return api::IpsecInterface::N4;
    case Interface::N9:
      return api::IpsecInterface::N9;
    case Interface::Sbi:
    case Interface::N32:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view to_string(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::Tls:
      return "TLS";
    case Mechanism::OAuth2:
      return "OAuth2";
    case Mechanism::Ipsec:
      return "IPsec";
    case Mechanism::N32:
      return "N32";
  }
  return "";
}

std::string_view to_string(ExternalKind kind) {
  return kind == ExternalKind::Gnb ? "gNB" : "RemoteSEPP";
}

std::string to_string(const EndType& type) {
  if (const auto* nf = std::get_if<api::NfType>(&type)) return std::string(api::to_string(*nf));
  return std::string(to_string(std::get<ExternalKind>(type)));
}

std::span<const Relation> catalogue() {
  static const std::vector<Relation> relations = build();  // immutable once built
  return relations;
}

std::vector<const Relation*> relations(const EndType& a, const EndType& b,
                                       std::optional<Interface> interface) {
  std::vector<const Relation*> out;
  for (const auto& relation : catalogue()) {
    if (interface && relation.interface != *interface) continue;
    const bool forward = relation.a == a && relation.b == b;
    const bool backward =
        relation.interface != Interface::Sbi && relation.a == b && relation.b == a;
    if (forward || backward) out.push_back(&relation);
  }
  return out;
}

std::string service_prefix(api::NfType producer) {
  std::string out = "n";
  for (const char c : api::to_string(producer)) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out + "-";
}

}  // namespace secprov::check
