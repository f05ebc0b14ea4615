#pragma once
// SecurityProfile (secprov.io/v1alpha1, namespaced): the security intent of one NF instance.
// Field names follow the CRD (crds/secprov.io_securityprofiles.yaml) in snake_case.
//
//   parse_security_profile(json) -> Result<SecurityProfile>
//       type checks, required fields, enums, unknown fields (as --validate=strict), and the
//       CRD defaults applied exactly as the apiserver would.
//   validate(profile) -> FieldErrors
//       every pattern, length/count limit and x-kubernetes-validations rule of the CRD,
//       with the CRD's messages.
//   check_security_profile(json) -> FieldErrors   (parse errors, else validate errors)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/boxed.h"
#include "api/condition.h"
#include "api/constants.h"
#include "api/enum_list.h"
#include "api/enums.h"
#include "api/errors.h"
#include "api/meta.h"
#include "api/time.h"

namespace secprov::api {

// ---- admission bounds: what the CRD (and validate()) refuse so that every admitted profile
// can be rendered. Each has its mirror in crds/secprov.io_securityprofiles.yaml.

// metadata.name is the default Service name in the certificate's DNS SANs, so it must be a
// DNS-1035 label (as a Service name). With the namespace (a label too) the service FQDN
// <name>.<namespace>.svc.cluster.local is then at most 145 characters, within 253.
inline constexpr std::size_t kMaxProfileNameLength = 63;
inline constexpr std::string_view kDns1035LabelPattern = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
// extraDnsNames: a DNS name (optionally "*."), every label at most 63 characters.
inline constexpr std::string_view kSanDnsNamePattern =
    R"(^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$)";
// IPsec lifetimes (strongSwan rekey_time): a Go duration whose numbers have at most 5 digits,
// so no value of at most 32 characters can overflow int64 nanoseconds (CEL's duration()) nor
// anything derived from it. Bounds: at least 5m (no rekey storms; IKE vendors' minima are
// 2-3m); at most the defaults, 24h for the IKE SA (the usual vendor maximum) and 8h for the
// CHILD_SA that carries the traffic.
inline constexpr std::string_view kIpsecLifetimePattern =
    R"(^([0-9]{1,5}(\.[0-9]+)?(ns|us|ms|s|m|h))+$)";
inline constexpr std::chrono::minutes kMinIpsecLifetime{5};
inline constexpr std::chrono::hours kMaxIkeLifetime{24};
inline constexpr std::chrono::hours kMaxEspLifetime{8};
// IKE identities (peers' remoteId): printable ASCII without double quote and backslash, so
// swanctl.conf quoting never needs an escape and strongSwan's identity parser sees the value
// as written; no control character (a newline would end the value), not empty, and no
// leading or trailing space (invisible in a DN or FQDN).
inline constexpr std::string_view kIkeIdentityPattern =
    R"(^[!#-\[\]-~]([ !#-\[\]-~]*[!#-\[\]-~])?$)";

struct LabelSelector {
  Labels match_labels;
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

struct TrustDomainRef {
  std::string name;
  friend bool operator==(const TrustDomainRef&, const TrustDomainRef&) = default;
};

struct CertificateSpec {
  KeyAlgorithm key_algorithm = kDefaultKeyAlgorithm;
  std::string duration{kDefaultCertificateDuration};  // Go duration
  std::string renew_before{kDefaultRenewBefore};      // Go duration
  std::optional<std::string> service_name;            // see effective_service_name()
  std::vector<std::string> extra_dns_names;
  RotationPolicy rotation_policy = kDefaultRotationPolicy;
  friend bool operator==(const CertificateSpec&, const CertificateSpec&) = default;
};

// The CRD's maxItems of tls12CipherSuites, tls13CipherSuites and groups (a set each).
inline constexpr std::size_t kMaxTls12CipherSuites = 8;
inline constexpr std::size_t kMaxTls13CipherSuites = 3;
inline constexpr std::size_t kMaxTlsGroups = 5;
using Tls12CipherSuites = EnumList<Tls12CipherSuite, kMaxTls12CipherSuites>;
using Tls13CipherSuites = EnumList<Tls13CipherSuite, kMaxTls13CipherSuites>;
using TlsGroups = EnumList<TlsGroup, kMaxTlsGroups>;

struct TlsSpec {
  TlsMode mode = kDefaultTlsMode;
  TlsVersion min_version = kDefaultMinTlsVersion;
  TlsVersion max_version = kDefaultMaxTlsVersion;
  Tls12CipherSuites tls12_cipher_suites{kDefaultTls12CipherSuites.begin(),
                                        kDefaultTls12CipherSuites.end()};
  Tls13CipherSuites tls13_cipher_suites{kDefaultTls13CipherSuites.begin(),
                                        kDefaultTls13CipherSuites.end()};
  TlsGroups groups{kDefaultTlsGroups.begin(), kDefaultTlsGroups.end()};
  CertificateSpec certificate;
  friend bool operator==(const TlsSpec&, const TlsSpec&) = default;
};

struct OAuth2Spec {
  bool enabled = false;
  std::optional<std::string> nrf_api_root;
  std::optional<std::string> nrf_instance_id;
  OAuth2Role role = kDefaultOAuth2Role;
  std::vector<std::string> scopes;
  std::vector<JwsAlgorithm> accepted_algorithms{kDefaultAcceptedAlgorithms.begin(),
                                                kDefaultAcceptedAlgorithms.end()};
  friend bool operator==(const OAuth2Spec&, const OAuth2Spec&) = default;
};

struct SbiSpec {
  TlsSpec tls;
  Boxed<OAuth2Spec> oauth2;  // absent: OAuth2 not configured
  friend bool operator==(const SbiSpec&, const SbiSpec&) = default;
};

// A peer that is another SecurityProfile of the same namespace is named after that profile:
// its remote ID then defaults to that profile's certificate name (render::effective_remote_id:
// "<name>.<namespace>.svc", its IKE identity when it keeps the default serviceName and has no
// extraDnsNames), and a PreSharedKey link derives one PSK both profiles share (same trust
// domain; a CA rotation changes it on both ends together). Other peers need remote_id.
struct IpsecPeer {
  std::string name;
  std::string address;                   // IP or FQDN
  std::optional<std::string> remote_id;  // absent: see above (never the address)
  friend bool operator==(const IpsecPeer&, const IpsecPeer&) = default;
};

struct IkeSpec {
  std::vector<std::string> proposals{kDefaultIkeProposals.begin(), kDefaultIkeProposals.end()};
  std::string lifetime{kDefaultIkeLifetime};
  friend bool operator==(const IkeSpec&, const IkeSpec&) = default;
};

struct EspSpec {
  std::vector<std::string> proposals{kDefaultEspProposals.begin(), kDefaultEspProposals.end()};
  std::string lifetime{kDefaultEspLifetime};
  friend bool operator==(const EspSpec&, const EspSpec&) = default;
};

struct TrafficSelectors {
  std::vector<std::string> local;   // CIDRs
  std::vector<std::string> remote;  // CIDRs
  friend bool operator==(const TrafficSelectors&, const TrafficSelectors&) = default;
};

struct IpsecInterfaceSpec {
  IpsecInterface name = IpsecInterface::N2;
  std::optional<std::string> local_address;
  std::vector<IpsecPeer> peers;
  IpsecMode mode = kDefaultIpsecMode;
  IkeSpec ike;
  EspSpec esp;
  IpsecAuthentication authentication = kDefaultIpsecAuthentication;
  // PreSharedKey on N2/N3 (kCertificateAuthenticationInterfaces) only when true: TS 33.501
  // 9.2/9.3 ask for certificates there. Ignored elsewhere.
  bool allow_pre_shared_key = false;
  std::optional<TrafficSelectors> traffic_selectors;
  friend bool operator==(const IpsecInterfaceSpec&, const IpsecInterfaceSpec&) = default;
};

struct IpsecSpec {
  std::vector<IpsecInterfaceSpec> interfaces;
  friend bool operator==(const IpsecSpec&, const IpsecSpec&) = default;
};

struct PlmnId {
  std::string mcc;  // 3 digits
  std::string mnc;  // 2 or 3 digits
  friend bool operator==(const PlmnId&, const PlmnId&) = default;
};

// The partner's root certificates (TS 33.501 13.1.2: trust anchors per partner, bound to its
// PLMN IDs), in an object of the profile's namespace that the NF's pod mounts.
struct TrustAnchorRef {
  TrustAnchorKind kind = TrustAnchorKind::ConfigMap;
  std::string name;
  std::string key = "ca.crt";
  friend bool operator==(const TrustAnchorRef&, const TrustAnchorRef&) = default;
};

struct N32Peer {
  std::string name;  // DNS label: names the mounted roots directory
  std::string fqdn;  // the partner SEPP (its N32 sender)
  std::vector<PlmnId> plmns;
  TrustAnchorRef trust_anchor_ref;
  friend bool operator==(const N32Peer&, const N32Peer&) = default;
};

struct N32Spec {
  N32Capability capability = kDefaultN32Capability;
  std::vector<N32Peer> peers;
  std::optional<std::vector<JweCipherSuite>> jwe_cipher_suites;  // PRINS only
  // The interconnect TrustDomain (TS 33.310 InterconnectionCA) whose CA issues the SEPP's N32
  // certificate (Secret "<profile>-n32"); unset: N32 uses the SBI certificate of the home one.
  std::optional<TrustDomainRef> trust_domain_ref;
  friend bool operator==(const N32Spec&, const N32Spec&) = default;
};

struct OutputsSpec {
  bool open5gs = false;
  bool free5gc = false;
  friend bool operator==(const OutputsSpec&, const OutputsSpec&) = default;
};

// ---- spec.enabler: a TLS sidecar (HAProxy) in front of and behind an NF that cannot
// provide the profile's TLS itself (issue 9). Native: no sidecar.
enum class EnablerMode { Native, Sidecar };
enum class EnablerRollout { Restart, None };
enum class ImagePullPolicy { Always, IfNotPresent, Never };
template <>
struct EnumTraits<EnablerMode> {
  static constexpr auto entries = std::to_array<std::pair<EnablerMode, std::string_view>>(
      {{EnablerMode::Native, "Native"}, {EnablerMode::Sidecar, "Sidecar"}});
};
template <>
struct EnumTraits<EnablerRollout> {
  static constexpr auto entries = std::to_array<std::pair<EnablerRollout, std::string_view>>(
      {{EnablerRollout::Restart, "Restart"}, {EnablerRollout::None, "None"}});
};
template <>
struct EnumTraits<ImagePullPolicy> {
  static constexpr auto entries = std::to_array<std::pair<ImagePullPolicy, std::string_view>>(
      {{ImagePullPolicy::Always, "Always"},
       {ImagePullPolicy::IfNotPresent, "IfNotPresent"},
       {ImagePullPolicy::Never, "Never"}});
};
inline constexpr EnablerMode kDefaultEnablerMode = EnablerMode::Native;
inline constexpr EnablerRollout kDefaultEnablerRollout = EnablerRollout::None;
inline constexpr ImagePullPolicy kDefaultImagePullPolicy = ImagePullPolicy::IfNotPresent;
// Bounds (mirrored in the CRD as OpenAPI limits, not CEL: the CEL cost budget is spent).
inline constexpr std::size_t kMaxEnablerAllowedClients = 32;
inline constexpr std::size_t kMaxEnablerOutbound = 16;
// A Kubernetes quantity, restricted to plain decimal numbers with a common suffix.
inline constexpr std::string_view kQuantityPattern =
    "^[0-9]{1,9}(\\.[0-9]{1,3})?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$";
inline constexpr std::size_t kMaxQuantityLength = 16;
// An image reference: registry/path[:tag][@sha256:digest], no whitespace.
inline constexpr std::string_view kImageReferencePattern = "^[a-z0-9][a-zA-Z0-9._/:@-]*$";
inline constexpr std::size_t kMaxImageReferenceLength = 512;
inline constexpr std::string_view kImageRepositoryPattern = "^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$";
inline constexpr std::size_t kMaxImageRepositoryLength = 255;
inline constexpr std::string_view kImageTagPattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";

// The NF's plaintext port (h2c on 127.0.0.1) and the TLS port the enabler exposes.
struct EnablerInbound {
  int port = 0;
  int tls_port = 0;
  // nfInstanceIds whose certificates (SAN URI urn:uuid:<id>) may connect; empty: any
  // certificate of the trust domain.
  std::vector<std::string> allowed_clients;
  friend bool operator==(const EnablerInbound&, const EnablerInbound&) = default;
};

// The NF dials 127.0.0.1:<local_port> in h2c; the enabler dials host:port over mutual TLS
// and verifies server_name (default: host).
struct EnablerOutbound {
  std::string name;  // DNS label
  int local_port = 0;
  std::string host;
  int port = 0;
  std::optional<std::string> server_name;
  friend bool operator==(const EnablerOutbound&, const EnablerOutbound&) = default;
};

struct ResourceQuantities {
  std::optional<std::string> cpu;
  std::optional<std::string> memory;
  friend bool operator==(const ResourceQuantities&, const ResourceQuantities&) = default;
};

struct EnablerResources {
  std::optional<ResourceQuantities> requests;
  std::optional<ResourceQuantities> limits;
  friend bool operator==(const EnablerResources&, const EnablerResources&) = default;
};

// Either reference (a full image string) or repository[/tag]; absent: the operator's default.
struct EnablerImage {
  std::optional<std::string> reference;
  std::optional<std::string> repository;
  std::optional<std::string> tag;
  ImagePullPolicy pull_policy = kDefaultImagePullPolicy;
  friend bool operator==(const EnablerImage&, const EnablerImage&) = default;
};

struct EnablerSpec {
  EnablerMode mode = kDefaultEnablerMode;
  std::optional<EnablerInbound> inbound;
  std::vector<EnablerOutbound> outbound;
  std::optional<EnablerResources> resources;
  std::optional<EnablerImage> image;
  EnablerRollout rollout = kDefaultEnablerRollout;
  friend bool operator==(const EnablerSpec&, const EnablerSpec&) = default;
};

// ---- spec.consistency (issue 11): how the profile takes part in the consistency checks
// with its peers (operator/check/). Bounds are OpenAPI limits in the CRD, not CEL.
enum class ConsistencyMode { Warn, Enforce };
// The NF software an external peer runs natively, and the one a native output (spec.outputs)
// renders for: render/native_limits.h knows its limits.
enum class NfImplementation { Open5GS, Free5GC };
template <>
struct EnumTraits<ConsistencyMode> {
  static constexpr auto entries = std::to_array<std::pair<ConsistencyMode, std::string_view>>(
      {{ConsistencyMode::Warn, "Warn"}, {ConsistencyMode::Enforce, "Enforce"}});
};
template <>
struct EnumTraits<NfImplementation> {
  static constexpr auto entries = std::to_array<std::pair<NfImplementation, std::string_view>>(
      {{NfImplementation::Open5GS, "Open5GS"}, {NfImplementation::Free5GC, "free5GC"}});
};
inline constexpr ConsistencyMode kDefaultConsistencyMode = ConsistencyMode::Warn;
inline constexpr std::size_t kMaxExternalPeers = 16;
inline constexpr std::size_t kMaxExternalDnsNames = 16;
inline constexpr std::size_t kMaxTrustedFingerprints = 8;
inline constexpr std::size_t kMaxCertificateIds = 8;
// An external peer's type: a gNB, or an NF type (SEPP: a remote PLMN's SEPP).
inline constexpr std::string_view kExternalGnbType = "gNB";
// A SHA-256 fingerprint in hex, with or without ':' between the bytes.
inline constexpr std::string_view kFingerprintPattern = "^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2}){31}$";
inline constexpr std::size_t kMaxFingerprintLength = 95;

// The TLS an external peer does (the API's defaults for what is not given).
struct ExternalTlsSpec {
  TlsMode mode = kDefaultTlsMode;
  TlsVersion min_version = kDefaultMinTlsVersion;
  TlsVersion max_version = kDefaultMaxTlsVersion;
  Tls12CipherSuites tls12_cipher_suites{kDefaultTls12CipherSuites.begin(),
                                        kDefaultTls12CipherSuites.end()};
  Tls13CipherSuites tls13_cipher_suites{kDefaultTls13CipherSuites.begin(),
                                        kDefaultTls13CipherSuites.end()};
  TlsGroups groups{kDefaultTlsGroups.begin(), kDefaultTlsGroups.end()};
  KeyAlgorithm key_algorithm = kDefaultKeyAlgorithm;
  friend bool operator==(const ExternalTlsSpec&, const ExternalTlsSpec&) = default;
};

// A remote SEPP's N32 parameters.
struct ExternalN32Spec {
  N32Capability capability = kDefaultN32Capability;
  std::optional<std::string> sender;  // its N32 sender FQDN
  std::vector<PlmnId> plmns;
  std::vector<JweCipherSuite> jwe_cipher_suites;  // PRINS
  std::optional<bool> separate_n32f;              // absent: not known
  friend bool operator==(const ExternalN32Spec&, const ExternalN32Spec&) = default;
};

// The IPsec interface as the external peer configures it (peers[] name profiles), plus the
// identity it presents and those its certificate carries.
struct ExternalIpsecSpec {
  IpsecInterfaceSpec interface;
  std::optional<std::string> local_id;
  std::vector<std::string> certificate_ids;
  bool shares_pre_shared_key = false;  // PreSharedKey: it was given the profile's PSK
  friend bool operator==(const ExternalIpsecSpec&, const ExternalIpsecSpec&) = default;
};

struct ExternalPeerSpec {
  std::string name;  // DNS label: what peers[].name of the profiles say
  std::string type;  // kExternalGnbType or an NfType name
  std::optional<NfImplementation> implementation;
  std::optional<ExternalTlsSpec> tls;  // absent: the API's TLS defaults
  std::vector<std::string> dns_names;
  std::optional<std::string> dials;
  std::optional<std::string> issuer_fingerprint;
  std::vector<std::string> trusted_fingerprints;
  std::optional<ExternalN32Spec> n32;
  std::optional<ExternalIpsecSpec> ipsec;
  friend bool operator==(const ExternalPeerSpec&, const ExternalPeerSpec&) = default;
};

struct ConsistencySpec {
  ConsistencyMode mode = kDefaultConsistencyMode;
  // Peers only among the profiles of the namespace whose labels match; absent: all of them.
  std::optional<LabelSelector> scope;
  std::vector<ExternalPeerSpec> external_peers;  // at most kMaxExternalPeers
  friend bool operator==(const ConsistencySpec&, const ConsistencySpec&) = default;
};

struct SecurityProfile;
// The name an outbound peer's certificate must carry: server_name, else host.
std::string effective_server_name(const EnablerOutbound& outbound);
// Whether the profile asks for the sidecar.
bool enabler_sidecar(const SecurityProfile& profile);

struct SecurityProfileSpec {
  NfType nf_type = NfType::AMF;
  std::optional<std::string> nf_instance_id;
  LabelSelector selector;
  TrustDomainRef trust_domain_ref;
  SbiSpec sbi;
  std::optional<IpsecSpec> ipsec;
  Boxed<N32Spec> n32;
  OutputsSpec outputs;
  Boxed<EnablerSpec> enabler;          // absent: Native
  Boxed<ConsistencySpec> consistency;  // absent: Warn, the whole namespace
  DriftPolicy drift_policy = kDefaultDriftPolicy;
  DeletionPolicy deletion_policy = kDefaultDeletionPolicy;
  friend bool operator==(const SecurityProfileSpec&, const SecurityProfileSpec&) = default;
};

// ---- status ----

struct CertificateStatus {
  HexText serial_number;       // hex
  HexText sha256_fingerprint;  // hex of SHA-256 over the DER certificate
  std::optional<Timestamp> not_before;
  std::optional<Timestamp> not_after;
  std::optional<Timestamp> renewal_time;
  friend bool operator==(const CertificateStatus&, const CertificateStatus&) = default;
};

struct GeneratedObject {
  SharedText kind;  // Secret, ConfigMap: the same two in every profile, interned by a cache
  std::string name;
  HexText digest;  // "sha256:<hex>"
  std::optional<ObjectState> state;
  friend bool operator==(const GeneratedObject&, const GeneratedObject&) = default;
};

struct DriftFinding {
  std::string kind;
  std::string name;
  std::string field;   // data key or field path, never the value
  std::string reason;  // Modified, Removed, Added, ...
  Timestamp detected_at{};
  DriftAction action = DriftAction::Repaired;
  friend bool operator==(const DriftFinding&, const DriftFinding&) = default;
};

// status.pods (spec.enabler.mode Sidecar): the Pods the profile's selector matches, as the
// operator's Pod cache sees them. hostNetwork and opted-out Pods are not counted (the webhook
// never injects them). selected = injected + withoutEnabler; staleDigest counts injected Pods
// whose secprov.io/enabler-digest is not the current configuration digest.
inline constexpr std::size_t kMaxStatusPodNames = 10;
struct PodsStatus {
  std::int64_t selected = 0;
  std::int64_t injected = 0;
  std::int64_t without_enabler = 0;
  std::int64_t stale_digest = 0;
  std::vector<std::string> without_enabler_names;  // sorted, at most kMaxStatusPodNames
  std::vector<std::string> stale_digest_names;     // sorted, at most kMaxStatusPodNames
  friend bool operator==(const PodsStatus&, const PodsStatus&) = default;
};

// status.consistency: one entry per (peer, interface), inconsistent ones first, at most
// kMaxConsistencyResults (the Consistent condition counts them all).
inline constexpr std::size_t kMaxConsistencyResults = 16;
struct ConsistencyResult {
  std::string peer;       // "<name>" of a profile of the namespace, "external/<name>"
  std::string interface;  // "SBI", "N2", ..., "N32"
  bool consistent = true;
  std::string reason;   // CamelCase
  std::string message;  // the first finding's message (or a summary)
  friend bool operator==(const ConsistencyResult&, const ConsistencyResult&) = default;
};

struct SecurityProfileStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> nf_instance_id;
  std::optional<CertificateStatus> certificate;
  std::vector<GeneratedObject> objects;        // at most kMaxStatusObjects
  std::vector<DriftFinding> drift_findings;    // newest first, at most kMaxDriftFindings
  Boxed<PodsStatus> pods;                      // Sidecar profiles only
  std::vector<ConsistencyResult> consistency;  // the consistency controller's
  friend bool operator==(const SecurityProfileStatus&, const SecurityProfileStatus&) = default;
};

struct SecurityProfile {
  ObjectMeta metadata;
  SecurityProfileSpec spec;
  SecurityProfileStatus status;
  friend bool operator==(const SecurityProfile&, const SecurityProfile&) = default;
};

// ---- parse / validate ----

Result<SecurityProfile> parse_security_profile(const nlohmann::json& resource);
FieldErrors validate(const SecurityProfile& profile);
FieldErrors check_security_profile(const nlohmann::json& resource);

// Status alone (e.g. from a watch event); unknown status fields are ignored.
Result<SecurityProfileStatus> parse_security_profile_status(const nlohmann::json& status);
// omitempty-style: absent optionals and empty lists are left out.
nlohmann::json to_json(const SecurityProfileStatus& status);
// The spec as the apiserver would store it after defaulting (absent optionals and empty
// lists without a default are left out).
nlohmann::json to_json(const SecurityProfileSpec& spec);
nlohmann::json to_json(const CertificateStatus& c);
nlohmann::json to_json(const GeneratedObject& o);
nlohmann::json to_json(const DriftFinding& f);
nlohmann::json to_json(const PodsStatus& p);

// ---- helpers ----

// spec.consistency.mode, Warn when absent.
ConsistencyMode consistency_mode(const SecurityProfile& profile);
nlohmann::json to_json(const ConsistencyResult& r);

// spec.sbi.tls.certificate.serviceName, or the profile's name when absent.
std::string effective_service_name(const SecurityProfile& profile);
// spec.nfInstanceId, else status.nfInstanceId, else nullopt (the controller generates one).
std::optional<std::string> effective_nf_instance_id(const SecurityProfile& profile);
// Certificate duration / renewBefore as seconds (valid profiles only; nullopt otherwise).
std::optional<std::chrono::seconds> certificate_duration(const SecurityProfile& profile);
std::optional<std::chrono::seconds> certificate_renew_before(const SecurityProfile& profile);
// Prepends a finding and keeps the newest kMaxDriftFindings.
void add_drift_finding(SecurityProfileStatus& status, DriftFinding finding);

// The traffic selectors of one peer's CHILD_SA (strongSwan local_ts / remote_ts). Each peer
// needs its own pair: two peers with one pair install one kernel policy, and the second
// overwrites the first. local: the interface's trafficSelectors.local (empty: strongSwan's
// "dynamic", the local address). remote: the interface's trafficSelectors.remote, else the
// peer's own address as a host prefix (/32, /128), else (an FQDN peer) empty: "dynamic", the
// address the name resolves to. validate() refuses two peers of one interface with one pair.
struct PeerTrafficSelectors {
  std::vector<std::string> local;
  std::vector<std::string> remote;
  friend bool operator==(const PeerTrafficSelectors&, const PeerTrafficSelectors&) = default;
};
PeerTrafficSelectors peer_traffic_selectors(const IpsecInterfaceSpec& interface,
                                            const IpsecPeer& peer);
// The part of validate() that keeps the kernel policies of one interface apart:
// `path` is the interface's ("spec.ipsec.interfaces[i]"). An error on peers[j] when peer j
// has the pair of an earlier peer, and on peers[j].address when the peer's IP family is not
// localAddress's (an FQDN peer's family is known only once resolved). Render checks it too:
// the reconciler renders without validate().
FieldErrors check_peer_traffic_selectors(const IpsecInterfaceSpec& interface,
                                         const std::string& path);

}  // namespace secprov::api
