#include "cmd/secprovctl/explain.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "api/enums.h"

namespace secprov::ctl {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::optional<check::Interface> interface_named(std::string_view name) {
  for (const auto i : {check::Interface::Sbi, check::Interface::N2, check::Interface::N3,
                       check::Interface::N4, check::Interface::N9, check::Interface::N32}) {
    if (upper(check::to_string(i)) == name) return i;
  }
  return std::nullopt;
}

std::optional<check::EndType> end_named(std::string_view name) {
  if (name == "GNB") return check::ExternalKind::Gnb;
  if (const auto type = api::parse_enum<api::NfType>(name)) return *type;
  return std::nullopt;
}

void describe_mechanisms(std::ostringstream& out, const std::vector<check::Mechanism>& mechanisms,
                         bool sbi) {
  for (const auto mechanism : mechanisms) {
    out << "\n" << check::to_string(mechanism) << " checks:\n";
    for (const auto& c : checks_of(mechanism)) {
      out << "  " << c.name << " (" << c.reasons << ")\n      " << c.needs << "\n";
    }
  }
  if (sbi) {
    out << "\nSBI ends: the consumer is the TLS client, the producer the TLS server and the "
           "OAuth2 resource server; each end's capability is its EFFECTIVE one (native limits "
           "of Open5GS/free5GC without the enabler replace what the profile lists).\n";
  }
}

std::string relation_line(const check::Relation& r) {
  const bool sbi = r.interface == check::Interface::Sbi;
  std::string line = "  " + std::string(check::to_string(r.interface)) + " " +
                     check::to_string(r.a) + (sbi ? " -> " : " <-> ") + check::to_string(r.b);
  if (r.via_scp) line += " (one hop of indirect communication via SCP)";
  line += ": ";
  for (std::size_t i = 0; i < r.mechanisms.size(); ++i) {
    line += (i ? ", " : "") + std::string(check::to_string(r.mechanisms[i]));
  }
  return line + "\n";
}

}  // namespace

std::vector<CheckDescription> checks_of(check::Mechanism mechanism) {
  switch (mechanism) {
    case check::Mechanism::Tls:
      return {
          {"same_scheme", "SchemeMismatch", "both https (TLS on) or both http (TLS off)"},
          {"common_tls_version", "NoCommonTlsVersion",
           "a TLS version between both ends' minVersion and maxVersion"},
          {"common_tls_suite", "NoCommonTlsSuite",
           "for a common version, a cipher suite both offer that the server's key can use "
           "(TLS 1.2: ECDHE_ECDSA for ECDSA keys, ECDHE_RSA for RSA keys)"},
          {"common_tls_group", "NoCommonTlsGroup", "a key-exchange group both offer"},
          {"mutual_tls_compatible", "ClientCertificateMissing",
           "a server in MutualTLS mode faces a client that presents a certificate"},
          {"client_trusts_server_issuer",
           "ServerIssuerNotTrusted, ServerNotVerified, ServerIssuerUnknown",
           "the client trusts the CA that issued the server's certificate (same trust domain, "
           "or its CA in the client's bundle)"},
          {"server_trusts_client_issuer", "ClientIssuerNotTrusted, ClientIssuerUnknown",
           "with MutualTLS, the server trusts the CA that issued the client's certificate"},
          {"dialled_name_in_san", "DialledNameNotInSan",
           "the name the client dials is a dNSName SAN of the server's certificate"},
      };
    case check::Mechanism::OAuth2:
      return {
          {"oauth2_on_both", "OAuth2ConsumerWithoutToken, OAuth2NotChecked",
           "OAuth2 on both: a producer that verifies tokens faces a consumer that asks for "
           "them, and a consumer's tokens are checked"},
          {"oauth2_requires_tls", "OAuth2WithoutTls", "TLS on the SBI of every end with OAuth2"},
          {"oauth2_same_nrf", "OAuth2DifferentNrf", "the same nrfInstanceId and nrfApiRoot"},
          {"oauth2_nrf_name_in_san", "NrfApiRootNotInSan",
           "the host of nrfApiRoot is in the NRF's certificate"},
          {"oauth2_producer_holds_nrf_certificate",
           "OAuth2NrfNotFound, OAuth2NrfNotAuthorizationServer, OAuth2NrfNotInScope",
           "the producer's NRF is a profile of the scope that issues tokens (its signing "
           "certificate becomes the producer's nrf.crt)"},
          {"oauth2_algorithm_in_common", "OAuth2AlgorithmNotAccepted",
           "the producer accepts the algorithm the NRF signs with"},
          {"oauth2_scopes_within_producer", "OAuth2NoScopeForProducer, OAuth2ScopeNotOffered",
           "the consumer asks for scopes of the producer's services (n<type>-*) that the "
           "producer offers"},
      };
    case check::Mechanism::Ipsec:
      return {
          {"ipsec_configured", "IpsecNotConfigured", "both ends have the interface"},
          {"ipsec_lists_each_other", "IpsecPeerNotListed", "each end lists the other as a peer"},
          {"ipsec_same_authentication", "IpsecAuthenticationMismatch",
           "the same authentication (Certificate or PreSharedKey)"},
          {"ipsec_identities_mirrored", "IpsecIdMismatch",
           "each end's remoteId is the other's local ID"},
          {"ipsec_id_in_certificate", "IpsecIdNotInCertificate",
           "with Certificate, each local ID is in that end's certificate"},
          {"ipsec_pre_shared_key_shared", "PskNotShared",
           "with PreSharedKey, one key: one trust domain and each naming the other"},
          {"ipsec_proposals_overlap", "NoCommonIkeProposal, NoCommonEspProposal",
           "an IKE and an ESP proposal in common (every transform type)"},
          {"ipsec_same_mode", "IpsecModeMismatch", "the same mode (Tunnel or Transport)"},
          {"ipsec_traffic_selectors_mirrored",
           "TrafficSelectorsNotMirrored, TrafficSelectorsNarrowed",
           "mirrored traffic selectors: A's local is B's remote and the reverse"},
          {"ipsec_same_family", "IpsecAddressFamilyMismatch", "the same IP address family"},
          {"ipsec_peer_address_matches", "IpsecPeerAddressMismatch",
           "the address each end dials is the other's localAddress"},
          {"ipsec_no_duplicate_selectors", "DuplicateTrafficSelectors",
           "no other peer of an end with the same selectors"},
          {"ipsec_peer_not_cluster_ip", "PeerAddressIsClusterIp",
           "the peer address is not a ClusterIP Service (ESP does not cross it)"},
      };
    case check::Mechanism::N32:
      return {
          {"n32_configured", "N32NotConfigured", "both SEPPs have spec.n32"},
          {"n32_lists_each_other", "N32PeerNotListed", "each SEPP lists the other as an N32 peer"},
          {"n32_same_capability", "N32CapabilityMismatch", "the same capability (TLS or PRINS)"},
          {"n32_tls_on", "N32WithoutTls", "TLS on both (N32-c is mutual TLS)"},
          {"n32_receiver_is_peer_sender", "N32ReceiverMismatch",
           "each peers[].fqdn is the other's N32 sender"},
          {"n32_plmns_match", "N32PlmnMismatch",
           "the PLMNs bound to a peer's roots are the peer's"},
          {"n32_peer_chains_to_plmn_anchor", "N32PeerRootNotTrusted, N32TrustAnchorUnknown",
           "each SEPP's certificate chains to the roots the other binds to its PLMN IDs"},
          {"n32_separate_n32f", "N32fNotSeparate, N32fSeparationNotModelled",
           "with TLS, N32-f on its own TLS connection"},
          {"n32_common_jwe_suite", "N32NoCommonJweSuite",
           "with PRINS, a JWE cipher suite in common"},
          {"n32_prins_policies", "N32PrinsPoliciesNotModelled",
           "PRINS protection policies (not modelled: reported, not checked)"},
      };
  }
  return {};
}

std::optional<std::string> explain(std::string_view topic) {
  auto name = upper(topic);
  std::ostringstream out;
  if (const auto interface = interface_named(name)) {
    std::vector<const check::Relation*> relations;
    std::vector<check::Mechanism> mechanisms;
    for (const auto& r : check::catalogue()) {
      if (r.interface != *interface) continue;
      relations.push_back(&r);
      for (const auto m : r.mechanisms) {
        if (std::find(mechanisms.begin(), mechanisms.end(), m) == mechanisms.end()) {
          mechanisms.push_back(m);
        }
      }
    }
    out << check::to_string(*interface) << ": " << relations.size()
        << " relation(s) in the catalogue\n";
    for (const auto* r : relations) out << relation_line(*r);
    describe_mechanisms(out, mechanisms, *interface == check::Interface::Sbi);
    return out.str();
  }
  // An SBI relation "A-B" / "A->B".
  for (const std::string_view separator : {"->", "-", "→"}) {
    const auto at = name.find(separator);
    if (at == std::string::npos) continue;
    const auto a = end_named(name.substr(0, at));
    const auto b = end_named(name.substr(at + separator.size()));
    if (!a || !b) continue;
    const auto relations = check::relations(*a, *b);
    if (relations.empty()) return std::nullopt;
    std::vector<check::Mechanism> mechanisms;
    for (const auto* r : relations) {
      for (const auto m : r->mechanisms) {
        if (std::find(mechanisms.begin(), mechanisms.end(), m) == mechanisms.end()) {
          mechanisms.push_back(m);
        }
      }
    }
    out << check::to_string(*a) << " and " << check::to_string(*b) << ":\n";
    bool sbi = false;
    for (const auto* r : relations) {
      out << relation_line(*r);
      sbi = sbi || r->interface == check::Interface::Sbi;
    }
    if (const auto* producer = std::get_if<api::NfType>(&*b); producer && sbi) {
      out << "  OAuth2 scopes of the producer's services start with \""
          << check::service_prefix(*producer) << "\"\n";
    }
    describe_mechanisms(out, mechanisms, sbi);
    return out.str();
  }
  return std::nullopt;
}

std::string explain_topics() {
  std::set<std::string> sbi;
  for (const auto& r : check::catalogue()) {
    if (r.interface == check::Interface::Sbi && !r.via_scp) {
      sbi.insert(check::to_string(r.a) + "-" + check::to_string(r.b));
    }
  }
  std::string out = "N2, N3, N4, N9, N32, SBI, or an SBI relation (consumer-producer):";
  for (const auto& s : sbi) out += " " + s;
  return out;
}

}  // namespace secprov::ctl
