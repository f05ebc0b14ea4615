#pragma once
// The built-in catalogue of 3GPP interfaces: who talks to whom, and which mechanisms protect
// it. Service-based relations are consumer -> producer (TS 23.501 7.2, the services a
// consumer calls); every NF -> NRF; indirect communication through an SCP as two hops
// (consumer -> SCP, SCP -> producer: each hop its own TLS connection, TS 33.501 13.1.0);
// the non-SBI reference points N2 (gNB-AMF), N3 (gNB-UPF), N4 (SMF-UPF), N9 (UPF-UPF)
// (TS 33.501 9.2, 9.3, 9.9) and N32 (SEPP-SEPP, 13.2). Pure and constant.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/enums.h"

namespace secprov::check {

enum class Interface { Sbi, N2, N3, N4, N9, N32 };
std::string_view to_string(Interface interface);  // "SBI", "N2", ...
// The IPsec interface of the API for N2/N3/N4/N9; nullopt for SBI and N32.
std::optional<api::IpsecInterface> ipsec_interface(Interface interface);

enum class Mechanism { Tls, OAuth2, Ipsec, N32 };
std::string_view to_string(Mechanism mechanism);  // "TLS", "OAuth2", "IPsec", "N32"

// Nodes that are never a SecurityProfile: a gNB, and a SEPP of another PLMN.
enum class ExternalKind { Gnb, RemoteSepp };
std::string_view to_string(ExternalKind kind);  // "gNB", "RemoteSEPP"

// One end of a relation: an NF type or an external node.
using EndType = std::variant<api::NfType, ExternalKind>;
std::string to_string(const EndType& type);

struct Relation {
  Interface interface = Interface::Sbi;
  // SBI: a is the consumer (TLS client), b the producer. Non-SBI: the two ends, a listed
  // first (either may initiate).
  EndType a;
  EndType b;
  std::vector<Mechanism> mechanisms;
  bool via_scp = false;  // one hop of indirect communication (consumer->SCP or SCP->producer)
  friend bool operator==(const Relation&, const Relation&) = default;
};

// Every relation, in a fixed order: direct SBI relations, NF->NRF, the SCP hops, then the
// non-SBI interfaces.
std::span<const Relation> catalogue();

// The relations of the catalogue with ends (a, b) in that order, for the interface (any
// interface when nullopt). Non-SBI relations also match (b, a): their ends are symmetric.
std::vector<const Relation*> relations(const EndType& a, const EndType& b,
                                       std::optional<Interface> interface = std::nullopt);

// The prefix of the OAuth2 scopes (NF service names, TS 29.510 ServiceName) a producer of
// this NF type offers: "n" + the type in lower case + "-", e.g. "nausf-" for AUSF.
std::string service_prefix(api::NfType producer);

}  // namespace secprov::check
