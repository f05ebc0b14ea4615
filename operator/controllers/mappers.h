#pragma once
// The typed caches' indexes, and the map functions that turn one watch event into the keys
// to reconcile (controller-runtime's FieldIndexer + EnqueueRequestsFromMapFunc). Each map
// function is a lookup in an index or reads the event's own object, never a scan of every
// profile. Pure over the stores: tested without a cluster.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "runtime/controller.h"
#include "runtime/object.h"
#include "runtime/typed_store.h"

namespace secprov::controllers {

using ProfileStore = runtime::TypedStore<api::SecurityProfile>;
using TrustDomainStore = runtime::TypedStore<api::TrustDomain>;

namespace index {
// SecurityProfiles by spec.trustDomainRef.name, and a SEPP by spec.n32.trustDomainRef.name.
inline constexpr std::string_view kProfileTrustDomain = "spec.trustDomainRef.name";
// SecurityProfiles by metadata.namespace.
inline constexpr std::string_view kProfileNamespace = "metadata.namespace";
// SecurityProfiles by namespace_trust_domain(ns, domain): the users of one trust bundle.
inline constexpr std::string_view kProfileNamespaceTrustDomain = "namespace/trustDomainRef.name";
// SecurityProfiles by spec.ipsec.interfaces[].peers[].address (for joins across NFs).
inline constexpr std::string_view kProfileIpsecPeerAddress =
    "spec.ipsec.interfaces[].peers[].address";
// OAuth2 producers (render::is_oauth2_producer) by "<ns>/<spec.sbi.oauth2.nrfInstanceId>"
// (lower case), and authorization servers (render::is_authorization_server) by
// "<ns>/<effective nfInstanceId>": the join of a producer and its NRF.
inline constexpr std::string_view kProfileOAuth2Nrf = "namespace/spec.sbi.oauth2.nrfInstanceId";
inline constexpr std::string_view kProfileAuthorizationServer = "namespace/nrf.nfInstanceId";
// TrustDomains by the name of their CA key-pair Secret (ca_secret_name).
inline constexpr std::string_view kTrustDomainCaSecret = "caSecretName";
// TrustDomains by the value of the secprov.io/trust-domain label their objects carry.
inline constexpr std::string_view kTrustDomainLabelValue = "trustDomainLabelValue";

// "<ns>/<domain>": a namespace is a DNS label, so the pair is unambiguous.
std::string namespace_trust_domain(std::string_view ns, std::string_view domain);
}  // namespace index

// Typed caches with the indexes above (parse: api::parse_security_profile /
// api::parse_trust_domain; an object that does not parse is absent).
std::shared_ptr<ProfileStore> make_profile_store();
std::shared_ptr<TrustDomainStore> make_trust_domain_store();

// Event object -> keys to enqueue. Costs: P profiles, D trust domains, k the matches,
// u the profiles that do not parse.
using MapFn = runtime::Controller::MapFn;

// TrustDomain -> the SecurityProfiles that reference it. O(log P + k).
std::vector<runtime::ObjectKey> profiles_of_trust_domain(const ProfileStore& profiles,
                                                         const runtime::Json& domain);
// TrustDomain -> its trust bundles {ns, domain}, one per namespace that uses it
// (namespaces_using). O(log P + k log k + u).
std::vector<runtime::ObjectKey> bundles_of_trust_domain(const ProfileStore& profiles,
                                                        const runtime::Json& domain);
// Whether a TrustDomain update can change what its profiles, trust bundles, consistency
// evaluations and its own pass read: anything but a rotation's progress report
// (status.rotation's waitingCount, waitingFor and message, and the Rotating condition's
// message that repeats it) and the version bookkeeping. A rotation rewrites that report as the
// profiles it waits for catch up; each write used to wake every profile of the domain (O(N^2)
// passes for N profiles, issue 12) and the domain itself, whose next pass counted again and
// wrote again: a pass per write for the whole rotation. The domain's own progress comes from
// its objects' events and its recheck. A re-delivery of the same version (a resync) passes.
bool trust_domain_changed_beyond_progress(const runtime::Json& old_domain,
                                          const runtime::Json& new_domain);
// CA key-pair Secret -> the TrustDomains whose ca_secret_name it is. O(log D + k).
std::vector<runtime::ObjectKey> trust_domains_of_ca_secret(const TrustDomainStore& domains,
                                                           const runtime::Json& secret);
// SecurityProfile -> its trust bundles {ns, spec.trustDomainRef.name} and, for a SEPP,
// {ns, spec.n32.trustDomainRef.name}. O(1).
std::vector<runtime::ObjectKey> bundle_of_profile(const runtime::Json& profile);
// ConfigMap -> the trust bundle it is (trust_bundle_key), if any. O(1).
std::vector<runtime::ObjectKey> bundle_of_config_map(const runtime::Json& config_map);
// Leaf Secret -> the TrustDomain of its secprov.io/trust-domain label (a long name's label is
// shortened: matched by label value). O(log D).
std::vector<runtime::ObjectKey> trust_domain_of_leaf_secret(const TrustDomainStore& domains,
                                                            const runtime::Json& secret);

// The NRF's own profile event or its signing Secret's (<nrf>-oauth2-signing, found by its
// controller ownerReference) -> the OAuth2 producers that name that NRF. O(log P + k).
std::vector<runtime::ObjectKey> producers_of_nrf(const ProfileStore& profiles,
                                                 const runtime::Json& nrf_profile);
std::vector<runtime::ObjectKey> producers_of_signing_secret(const ProfileStore& profiles,
                                                            const runtime::Json& secret);

// A certificate Secret held by render::kRevocationFinalizer that no profile controls (orphaned)
// -> the profile of its secprov.io/profile label, whose pass lets it go once that profile is
// gone: no owner reference brings that pass after a restart. Names over 63 characters have a
// shortened label and are not matched. O(1).
std::vector<runtime::ObjectKey> profile_of_orphaned_certificate_secret(const runtime::Json& secret);

// ---- Pods of Sidecar profiles (issue 9) ----

// The Pod cache's transform: only what status.pods and rollout read is kept (metadata name,
// namespace, uid, resourceVersion, labels, annotations, ownerReferences, deletionTimestamp;
// spec.hostNetwork; the container and init container names; status.phase).
runtime::Json strip_pod(runtime::Json pod);

// Pod -> the Sidecar profiles of its namespace whose selector selects it, and the profile its
// secprov.io/profile annotation names (so a Pod relabelled away still reaches it).
// O(P_ns + k), P_ns the profiles of the Pod's namespace.
std::vector<runtime::ObjectKey> profiles_of_pod(const ProfileStore& profiles,
                                                const runtime::Json& pod);

}  // namespace secprov::controllers
