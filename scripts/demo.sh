#!/usr/bin/env bash
# Runs secprov end to end on a local control plane: installs what it needs, builds, starts
# a real etcd + kube-apiserver + controller-manager (tests/controlplane), installs the CRDs,
# starts the operator, applies the samples in deploy/samples and shows the results.
# Safe to re-run. The control plane and operator keep running afterwards; stop them with
#   scripts/demo.sh stop
#
# The operator log (build/demo/operator.log) is appended to, each run after a dated
# separator line, so a re-run never loses the previous run's log.

# start_logged LOG PIDFILE COMMAND...: starts COMMAND in the background, its output
# appended to LOG after a dated separator line; writes its pid to PIDFILE.
start_logged() {
  local log="$1" pidfile="$2"
  shift 2
  mkdir -p "$(dirname "$log")"
  printf '===== %s demo run: %s =====\n' "$(date -u +%FT%TZ)" "$(basename "$1")" >>"$log"
  nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

main() {
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  root="$PWD"
  data="$root/build/demo/controlplane"
  operator_log="$root/build/demo/operator.log"
  operator_pid="$root/build/demo/operator.pid"

  if [[ "${1:-}" == "stop" ]]; then
    [[ -f "$operator_pid" ]] && kill "$(cat "$operator_pid")" 2>/dev/null || true
    tests/controlplane/stop.sh "$data" || true
    exit 0
  fi

  scripts/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSECPROV_WERROR=ON >/dev/null
  ninja -C build secprov-operator

  echo "==> starting the control plane"
  kubeconfig="$(tests/controlplane/start.sh "$data")"
  kubectl_bin="$root/build/bin/kubectl"
  k() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }

  echo "==> installing CRDs and the operator namespace"
  k apply --server-side -f crds/ >/dev/null
  k wait --for=condition=Established --timeout=60s crd/securityprofiles.secprov.io crd/trustdomains.secprov.io >/dev/null
  k apply -f deploy/operator/namespace.yaml >/dev/null

  echo "==> starting secprov-operator (log: $operator_log)"
  if [[ -f "$operator_pid" ]] && kill -0 "$(cat "$operator_pid")" 2>/dev/null; then
    old_pid="$(cat "$operator_pid")"
    kill "$old_pid"
    # It must let go of the probe port before the new one binds it.
    for _ in $(seq 1 100); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  start_logged "$operator_log" "$operator_pid" \
    build/operator/cmd/secprov-operator --kubeconfig "$kubeconfig" --namespace secprov-system \
    --leader-elect --identity demo --probe-address 127.0.0.1 --probe-port 18081
  for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:18081/readyz >/dev/null && break
    sleep 0.5
  done
  curl -s http://127.0.0.1:18081/readyz

  echo "==> applying the samples"
  k apply -f deploy/samples/namespace.yaml
  k apply -f deploy/samples/trustdomain.yaml
  k apply -f deploy/samples/
  k wait --for=condition=Ready --timeout=120s -n 5gc securityprofile --all

  echo; echo "==> results"
  k get trustdomains
  k get securityprofiles -n 5gc
  k get secrets,configmaps -n 5gc -l app.kubernetes.io/managed-by=secprov
  echo; echo "==> status of the AMF profile"
  k get securityprofile amf -n 5gc -o jsonpath='{.status}' | python3 -m json.tool
  echo; echo "==> the AMF certificate"
  k get secret amf-tls -n 5gc -o jsonpath='{.data.tls\.crt}' | base64 -d |
    openssl x509 -noout -subject -issuer -enddate -ext subjectAltName,extendedKeyUsage,keyUsage
  echo; echo "==> the SMF's effective settings (Open5GS rendering)"
  k get configmap smf-security -n 5gc -o jsonpath='{.data.open5gs\.yaml}'
  echo; echo "==> leader: $(k get lease -n secprov-system secprov-operator -o jsonpath='{.spec.holderIdentity}')"
  echo "==> metrics: $(curl -s http://127.0.0.1:18081/metrics | grep -c '^controller_runtime_reconcile_total') reconcile series"
  echo "control plane and operator keep running; stop them with: scripts/demo.sh stop"
}

# Sourced (by the tooling tests), it only defines the functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
