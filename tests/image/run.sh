#!/usr/bin/env bash
# The built images, run as a kubelet would run them (as far as one machine without a kubelet
# allows). Needs the images of scripts/image.sh. Steps:
#  1. ldd of every binary inside each image's own filesystem: every library resolves.
#  2. The OPERATOR image's own binary, chrooted into the image filesystem (bind-mounted
#     read-only in a private mount namespace), as UID/GID 65532, against a local control plane
#     through the in-cluster configuration a Pod gets: KUBERNETES_SERVICE_HOST/PORT and a
#     ServiceAccount token (kubectl create token, bound by deploy/operator's RBAC) + ca.crt
#     at /var/run/secrets/kubernetes.io/serviceaccount. Writable: only --webhook-cert-dir
#     (the Deployment's emptyDir). The CRDs, the sample TrustDomain and profiles are applied and
#     must reach Ready.
#  3. The ENABLER image's agent and HAProxy, the same way, in a private network namespace,
#     with the files the operator wrote for the AUSF sample (haproxy.cfg, the ausf-tls Secret,
#     the trust bundle) at the paths the injected sidecar mounts them. A client from the host
#     (openssl s_client) gets TLS from it with the AMF's certificate, and is refused without one.
# Skips (exit 0, with a message) when not root or when buildah is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

skip() { echo "SKIP: image test: $*"; exit 0; }
[[ "$(id -u)" -eq 0 ]] || skip "needs root (mount namespaces, chroot)"
command -v buildah >/dev/null || skip "buildah missing (scripts/install-deps.sh installs it)"
for tool in unshare nsenter chroot setsid openssl curl ip ss python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing" >&2; exit 1; }
done

# shellcheck source=lib.sh
source "$root/tests/image/lib.sh"
kubectl_bin="$root/build/bin/kubectl"
operator_image=secprov/operator:dev
enabler_image=secprov/enabler:dev
uid=65532
for image in "$operator_image" "$enabler_image"; do
  image_buildah inspect --type image "$image" >/dev/null 2>&1 ||
    { echo "FAIL: image $image not built: run scripts/image.sh first" >&2; exit 1; }
done

t="$image_work/test"
rm -rf "$t"
mkdir -p "$t"
controlplane="$t/controlplane"
containers=()
pids=()
failures=0
passes=0

cleanup() {
  local pid ctr
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  for ctr in "${containers[@]}"; do
    image_buildah umount "$ctr" >/dev/null 2>&1 || true
    image_buildah rm "$ctr" >/dev/null 2>&1 || true
  done
  "$root/tests/controlplane/stop.sh" "$controlplane" >/dev/null 2>&1 || true
  # Keys and tokens of this run are not left behind.
  rm -rf "$t/sa" "$t/enabler-etc" "$t/client" "$t/webhook-certs"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() {
  echo "FAIL: $*" >&2
  for log in "$t"/*.log; do
    [[ -f "$log" ]] || continue
    echo "--- last lines of $log" >&2
    tail -n 60 "$log" >&2
  done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Bounded polling: runs "$@" until it succeeds, at most $1 seconds.
eventually() {
  local seconds="$1"
  shift
  for ((i = 0; i < seconds * 4; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  "$@"
}

# A working container of IMAGE and its root filesystem in $rootfs (buildah's copy: the image
# itself is never written). Mount points a container runtime would create are made in that copy.
rootfs_of() { # IMAGE
  local ctr
  ctr="$(image_buildah from --pull-never "$1")"
  containers+=("$ctr")
  rootfs="$(image_buildah mount "$ctr")"
}

# --- 1. libraries --------------------------------------------------------------------------
rootfs_of "$operator_image"
op_root="$rootfs"
rootfs_of "$enabler_image"
en_root="$rootfs"
check_ldd() { # ROOTFS BINARY
  local out
  if ! out="$(chroot "$1" /usr/bin/ldd "$2" 2>&1)"; then
    fail "ldd $2 in its image: $out"
  elif grep -q "not found" <<<"$out"; then
    fail "ldd $2 in its image: $(grep "not found" <<<"$out" | tr -s ' \t\n' ' ')"
  else
    pass "every library of $2 resolves in its image ($(grep -c '=>' <<<"$out") libraries)"
  fi
}
check_ldd "$op_root" /usr/local/bin/secprov-operator
check_ldd "$en_root" /usr/local/bin/secprov-enabler-agent
check_ldd "$en_root" /usr/sbin/haproxy
[[ "$(image_buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$operator_image")" == "$uid:$uid" ]] &&
  [[ "$(image_buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$enabler_image")" == "$uid:$uid" ]] &&
  pass "both images run as $uid:$uid by default" || fail "image USER is not $uid:$uid"

# --- 2. the operator image against the control plane ----------------------------------------
echo "==> image test: control plane in $controlplane"
admin_kubeconfig="$("$root/tests/controlplane/start.sh" "$controlplane")"
kubectl() { "$kubectl_bin" --kubeconfig "$admin_kubeconfig" "$@"; }
api_port="$(cat "$controlplane/apiserver.port")"

kubectl apply -f crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s \
  crd/securityprofiles.secprov.io crd/trustdomains.secprov.io >/dev/null
# The Deployment's ServiceAccount and RBAC (--watch-namespaces=all, as in deployment.yaml).
kubectl apply -f deploy/operator/namespace.yaml -f deploy/operator/rbac.yaml \
  -f deploy/operator/rbac-all-namespaces.yaml >/dev/null

# What the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount (a projected
# token; here one TokenRequest of an hour).
mkdir -p "$t/sa"
kubectl create token secprov-operator -n secprov-system --duration=1h > "$t/sa/token"
cp "$controlplane/pki/ca.crt" "$t/sa/ca.crt"
echo -n secprov-system > "$t/sa/namespace"
chmod 0444 "$t/sa"/*
# The emptyDir of --webhook-cert-dir: a host directory here, so the test can look into it.
mkdir -p "$t/webhook-certs"
chown "$uid:$uid" "$t/webhook-certs"
chmod 0700 "$t/webhook-certs"

# /var/run is /run in Debian; mount targets are always resolved inside the rootfs by hand
# (never through an absolute symlink, which would point into the host).
[[ "$(readlink "$op_root/var/run")" == "/run" ]] || die "/var/run in the operator image is not -> /run"
mkdir -p "$op_root/run/secrets/kubernetes.io/serviceaccount" "$op_root/run/secprov/webhook"
for f in etc/hosts etc/resolv.conf; do [[ -e "$op_root/$f" ]] || touch "$op_root/$f"; done

probe_port="$(free_port)"
webhook_port="$(free_port)"
# Runs ROOTFS's COMMAND as $uid in a private mount namespace, the rootfs read-only, with a
# minimal /dev and /proc, plus the extra mounts of MOUNTS (bash lines run before chroot).
# Its own session, so the whole tree is stopped by the process group.
run_in_image() { # ROOTFS MOUNTS LOG UNSHARE_FLAGS ENV... -- COMMAND...
  local rootfs="$1" mounts="$2" log="$3" flags="$4"
  shift 4
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  # shellcheck disable=SC2016
  setsid unshare -m --propagation private $flags bash -euc '
    rootfs="$1"; mounts="$2"; shift 2
    mount --bind "$rootfs" "$rootfs"
    mount -o remount,bind,ro "$rootfs"
    mount -t proc proc "$rootfs/proc"
    mount -t tmpfs -o mode=0755,nosuid devtmp "$rootfs/dev"
    for d in null zero random urandom; do
      touch "$rootfs/dev/$d"; mount --bind "/dev/$d" "$rootfs/dev/$d"
    done
    mkdir -p "$rootfs/dev/shm"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$rootfs/dev/shm"
    eval "$mounts"
    exec chroot --userspec='"$uid:$uid"' --groups='"$uid"' "$rootfs" "$@"
  ' image-run "$rootfs" "$mounts" env -i "${envs[@]}" "$@" >"$log" 2>&1 < /dev/null &
  pids+=("$!")
  last_pid="$!"
}

op_mounts="
  mount --bind -o ro '$t/sa' \"\$rootfs/run/secrets/kubernetes.io/serviceaccount\"
  mount -o remount,bind,ro \"\$rootfs/run/secrets/kubernetes.io/serviceaccount\"
  mount --bind '$t/webhook-certs' \"\$rootfs/run/secprov/webhook\"
"
echo "==> image test: operator image's /usr/local/bin/secprov-operator (probes :$probe_port, webhooks :$webhook_port)"
# The Deployment's arguments (deploy/operator/deployment.yaml), ports free on this machine.
run_in_image "$op_root" "$op_mounts" "$t/operator.log" "" \
  KUBERNETES_SERVICE_HOST=127.0.0.1 "KUBERNETES_SERVICE_PORT=$api_port" POD_NAME=secprov-operator-image-test \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -- \
  /usr/local/bin/secprov-operator --leader-elect --namespace=secprov-system --watch-namespaces=all \
  --log-format=json --crl-base-url=http://secprov-operator.secprov-system.svc:8081 \
  "--probe-port=$probe_port" "--webhook-port=$webhook_port" --webhook-cert-dir=/run/secprov/webhook \
  --webhook-extra-ip-addresses=127.0.0.1 --enabler-image=$enabler_image
op_pid="$last_pid"

eventually 60 curl -fsS "http://127.0.0.1:$probe_port/healthz" ||
  die "the operator's /healthz did not answer within 60 s"
grep -q '"msg":"connecting to https://127.0.0.1:'"$api_port"' (in-cluster)"' "$t/operator.log" &&
  pass "the operator used the in-cluster configuration (ServiceAccount token, ca.crt)" ||
  fail "the operator did not log an in-cluster connection"
uids="$(awk '/^Uid:|^Gid:/ {print $2, $3, $4, $5}' "/proc/$op_pid/status" | tr '\n' ' ')"
[[ "$uids" == "$uid $uid $uid $uid $uid $uid $uid $uid " ]] &&
  pass "the operator runs as UID/GID $uid (real, effective, saved, fs)" || fail "operator ids: $uids"
# Seen from the host, the executable is the file in the mounted image filesystem.
[[ "$(readlink "/proc/$op_pid/exe")" == "$op_root/usr/local/bin/secprov-operator" ]] &&
  pass "the running binary is the image's /usr/local/bin/secprov-operator" ||
  fail "operator exe: $(readlink "/proc/$op_pid/exe")"
# In the operator's own namespaces and root: / is read-only, the cert dir is not.
in_op() { nsenter -t "$op_pid" -m -r -w -S "$uid" -G "$uid" "$@"; }
if in_op /bin/sh -c 'touch /probe-ro' 2>"$t/ro.err"; then
  fail "the operator's root filesystem is writable"
elif grep -qi "read-only" "$t/ro.err"; then
  pass "the operator's root filesystem is read-only"
else
  fail "writing / failed for another reason: $(cat "$t/ro.err")"
fi

eventually 60 curl -fsS "http://127.0.0.1:$probe_port/readyz" ||
  die "the operator's /readyz did not answer 200 within 60 s"
pass "the operator answers /healthz and /readyz (what the kubelet's probes ask)"
eventually 60 test -s "$t/webhook-certs/tls.crt" ||
  die "no webhook serving certificate in --webhook-cert-dir"
pass "the webhook serving certificate was written to --webhook-cert-dir ($(ls "$t/webhook-certs" | tr '\n' ' '))"
mkdir -p "$t/client"
kubectl get secret secprov-webhook-tls -n secprov-system -o 'jsonpath={.data.ca\.crt}' |
  base64 -d > "$t/client/webhook-ca.crt"
echo | openssl s_client -connect "127.0.0.1:$webhook_port" -CAfile "$t/client/webhook-ca.crt" \
  -verify_return_error -verify_ip 127.0.0.1 >"$t/webhook-sclient.out" 2>&1 &&
  pass "the webhook port serves TLS with that certificate" ||
  fail "webhook TLS: $(tail -n 5 "$t/webhook-sclient.out")"

echo "==> image test: samples"
# The SEPP sample names its partner's roots (ConfigMap sepp-mnc002-mcc002-roots); made here.
mkdir -p "$t/client"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=mnc002-mcc002 test root" -keyout "$t/client/partner.key" \
  -out "$t/client/partner.crt" >/dev/null 2>&1
kubectl apply -f deploy/samples/namespace.yaml -f deploy/samples/trustdomain.yaml >/dev/null
kubectl create configmap sepp-mnc002-mcc002-roots -n 5gc --from-file=ca.crt="$t/client/partner.crt" >/dev/null
for f in $(grep -l '^kind: SecurityProfile' deploy/samples/*.yaml); do kubectl apply -f "$f" >/dev/null; done
profiles="$(kubectl get securityprofiles -n 5gc -o name | tr '\n' ' ')"
if kubectl wait --for=condition=Ready --timeout=180s trustdomain/mnc001-mcc001 >/dev/null &&
  kubectl wait --for=condition=Ready --timeout=180s -n 5gc $profiles >/dev/null; then
  pass "TrustDomain mnc001-mcc001 and the profiles ${profiles}are Ready"
else
  kubectl get trustdomains,securityprofiles -A \
    -o custom-columns='KIND:.kind,NS:.metadata.namespace,NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].message' >&2 || true
  die "the samples did not reach Ready within 180 s"
fi

# --- 3. the enabler image: agent + HAProxy, with the operator's files for the AUSF ----------
echo "==> image test: enabler image (agent + HAProxy) with the AUSF sample's rendered files"
etc="$t/enabler-etc"
mkdir -p "$etc/tls" "$etc/ca" "$etc/config"
jp() { kubectl get -n 5gc "$1" -o "jsonpath={.data.$2}"; }
has_crl() { [[ -n "$(jp configmap/mnc001-mcc001-ca 'ca\.crl')" ]]; }
eventually 60 has_crl || die "the trust bundle mnc001-mcc001-ca has no ca.crl"
jp configmap/ausf-security 'haproxy\.cfg' > "$etc/config/haproxy.cfg"
jp secret/ausf-tls 'tls\.crt' | base64 -d > "$etc/tls/tls.pem"
jp secret/ausf-tls 'tls\.key' | base64 -d > "$etc/tls/tls.pem.key"
jp configmap/mnc001-mcc001-ca 'ca\.crt' > "$etc/ca/ca.crt"
jp configmap/mnc001-mcc001-ca 'ca\.crl' > "$etc/ca/ca.crl"
jp secret/amf-tls 'tls\.crt' | base64 -d > "$t/client/amf.crt"
jp secret/amf-tls 'tls\.key' | base64 -d > "$t/client/amf.key"
jp secret/smf-tls 'tls\.crt' | base64 -d > "$t/client/smf.crt"
jp secret/smf-tls 'tls\.key' | base64 -d > "$t/client/smf.key"
chmod 0600 "$t/client"/*.key
chown -R "$uid:$uid" "$etc"
chmod 0444 "$etc/tls/tls.pem" "$etc/ca"/* "$etc/config/haproxy.cfg"
chmod 0400 "$etc/tls/tls.pem.key"
for f in "$etc/config/haproxy.cfg" "$etc/tls/tls.pem" "$etc/tls/tls.pem.key" "$etc/ca/ca.crt" "$etc/ca/ca.crl"; do
  [[ -s "$f" ]] || die "the operator wrote no $(basename "$f") for the AUSF sample"
done
tls_port="$(awk '/^frontend secprov-inbound/ {f = 1} f && $1 == "bind" {sub(/^:/, "", $2); print $2; exit}' \
  "$etc/config/haproxy.cfg")"
[[ "$tls_port" =~ ^[0-9]+$ ]] || die "no inbound bind port in the rendered haproxy.cfg"

mkdir -p "$en_root/etc/secprov/enabler" "$en_root/run/secprov-enabler"
for f in etc/hosts etc/resolv.conf; do [[ -e "$en_root/$f" ]] || touch "$en_root/$f"; done
echo "nameserver 127.0.0.1" > "$t/resolv.conf"
en_mounts="
  ip link set lo up
  mount --bind -o ro '$etc' \"\$rootfs/etc/secprov/enabler\"
  mount -o remount,bind,ro \"\$rootfs/etc/secprov/enabler\"
  mount --bind -o ro '$t/resolv.conf' \"\$rootfs/etc/resolv.conf\"
  mount -o remount,bind,ro \"\$rootfs/etc/resolv.conf\"
  mount -t tmpfs -o uid=$uid,gid=$uid,mode=0700,nosuid,nodev run \"\$rootfs/run/secprov-enabler\"
"
# The injected container's command and args (render::enabler_injection) in its own network
# namespace (a Pod's), so the rendered fixed ports meet no other test's.
run_in_image "$en_root" "$en_mounts" "$t/enabler.log" "-n" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -- \
  secprov-enabler-agent --config /etc/secprov/enabler/config/haproxy.cfg \
  --watch /etc/secprov/enabler/tls --watch /etc/secprov/enabler/ca --watch /etc/secprov/enabler/config
en_pid="$last_pid"
in_pod_net() { nsenter -t "$en_pid" -n "$@"; }
listening() { in_pod_net ss -Hltn "sport = :$tls_port" | grep -q LISTEN; }
eventually 30 listening || die "the enabler's HAProxy does not listen on :$tls_port within 30 s"
pass "the enabler image's agent started its HAProxy, listening on :$tls_port"
haproxy_ids="$(ps -o uid=,gid=,comm= --ppid "$en_pid" | tr -s ' ' | sed 's/^ //' | sort -u | tr '\n' ';')"
[[ "$haproxy_ids" == "$uid $uid haproxy;" ]] && pass "HAProxy runs as $uid:$uid" ||
  fail "HAProxy processes under the agent: $haproxy_ids"

sclient() { # extra s_client args
  echo | in_pod_net openssl s_client -connect "127.0.0.1:$tls_port" -CAfile "$etc/ca/ca.crt" \
    -verify_return_error "$@" 2>&1
}
if out="$(sclient -cert "$t/client/amf.crt" -key "$t/client/amf.key")" &&
  grep -q "Verify return code: 0 (ok)" <<<"$out"; then
  served="$(openssl x509 -noout -fingerprint -sha256 <<<"$(sed -n '/BEGIN CERT/,/END CERT/p' <<<"$out")")"
  issued="$(openssl x509 -noout -fingerprint -sha256 -in "$etc/tls/tls.pem")"
  [[ "$served" == "$issued" ]] &&
    pass "a client with the AMF's certificate gets TLS ($(grep -m1 -o 'TLSv1\.[23]' <<<"$out")) from the enabler, with the ausf-tls certificate the operator issued" ||
    fail "the enabler served another certificate than ausf-tls"
else
  fail "TLS to the enabler with the AMF's certificate: $(tail -n 8 <<<"$out")"
fi
# HTTP/2 through the enabler: the AMF is in allowedClients (no NF listens behind it here, so
# HAProxy itself answers 503), the SMF, from the same CA, is not (403 from the rendered ACL).
name="$(openssl x509 -noout -ext subjectAltName -in "$etc/tls/tls.pem" | grep -o 'DNS:[^,]*' | head -n 1 | cut -c5-)"
status_of() { # CLIENT -> HTTP status
  in_pod_net curl -s -o /dev/null -w '%{http_code}' --http2 --max-time 10 --cacert "$etc/ca/ca.crt" \
    --cert "$t/client/$1.crt" --key "$t/client/$1.key" --connect-to "::127.0.0.1:$tls_port" \
    "https://$name:$tls_port/" || true
}
amf_status="$(status_of amf)"
smf_status="$(status_of smf)"
[[ "$amf_status" == 503 && "$smf_status" == 403 ]] &&
  pass "HTTP/2 over the enabler's TLS to $name: AMF (allowed client) reaches the backend (503: no NF here), SMF is denied (403)" ||
  fail "HTTP/2 through the enabler: AMF got ${amf_status:-nothing} (want 503), SMF got ${smf_status:-nothing} (want 403)"

# Mutual TLS: without a client certificate the enabler must not serve (TLS 1.3 reports the
# refusal after the handshake, so an HTTP request is what must fail).
if printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | in_pod_net openssl s_client -quiet \
  -connect "127.0.0.1:$tls_port" -CAfile "$etc/ca/ca.crt" >"$t/nocert.out" 2>&1 &&
  grep -q "HTTP/" "$t/nocert.out"; then
  fail "the enabler answered a client without a certificate: $(head -n 3 "$t/nocert.out")"
else
  pass "a client without a certificate is refused (mutual TLS)"
fi

echo "image: $passes passed, $failures failed"
((failures == 0))
