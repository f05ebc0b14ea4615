#!/usr/bin/env bash
# Runs secprov end to end on a local control plane: installs what it needs, builds, starts
# a real etcd + kube-apiserver + controller-manager (tests/controlplane), installs the Helm
# chart (helm/secprov), starts the operator as the chart's ServiceAccount, applies the samples
# in deploy/samples and shows the results.
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

  echo "==> installing secprov with its Helm chart (helm/secprov: CRDs, ServiceAccount, RBAC, Services)"
  helm_bin="$root/build/bin/helm"
  # CRDs applied by an earlier demo (before the chart) are handed to the release.
  for crd in securityprofiles.secprov.io trustdomains.secprov.io; do
    if k get crd "$crd" >/dev/null 2>&1 &&
       [[ -z "$(k get crd "$crd" -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}')" ]]; then
      k label --overwrite crd "$crd" app.kubernetes.io/managed-by=Helm >/dev/null
      k annotate --overwrite crd "$crd" meta.helm.sh/release-name=secprov \
        meta.helm.sh/release-namespace=secprov-system >/dev/null
    fi
  done
  # No kubelet runs here, so the chart's own Pods never start: the operator runs below as a
  # local process, with the token of the chart's ServiceAccount (so with the chart's RBAC).
  # Nothing could answer the chart's webhooks, so the demo installs it without them.
  "$helm_bin" --kubeconfig "$kubeconfig" upgrade --install secprov helm/secprov \
    --namespace secprov-system --create-namespace --set webhook.enabled=false >/dev/null
  "$helm_bin" --kubeconfig "$kubeconfig" list --namespace secprov-system
  k wait --for=condition=Established --timeout=60s crd/securityprofiles.secprov.io crd/trustdomains.secprov.io >/dev/null
  operator_kubeconfig="$root/build/demo/secprov-operator.kubeconfig"
  build/bin/secprov-controlplane sa-kubeconfig --kubeconfig "$kubeconfig" --namespace secprov-system \
    --service-account secprov-operator --out "$operator_kubeconfig" >/dev/null

  echo "==> starting secprov-operator as the chart's ServiceAccount (log: $operator_log)"
  if [[ -f "$operator_pid" ]] && kill -0 "$(cat "$operator_pid")" 2>/dev/null; then
    old_pid="$(cat "$operator_pid")"
    kill "$old_pid"
    # It must let go of the probe port before the new one binds it.
    for _ in $(seq 1 100); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  start_logged "$operator_log" "$operator_pid" \
    build/operator/cmd/secprov-operator --kubeconfig "$operator_kubeconfig" --namespace secprov-system \
    --leader-elect --identity demo --probe-address 127.0.0.1 --probe-port 18081 --webhook-port 0
  for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:18081/readyz >/dev/null && break
    sleep 0.5
  done
  curl -s http://127.0.0.1:18081/readyz

  echo "==> applying the samples"
  # The sample files, not `apply -k deploy/samples`: that overlay also holds the operator's
  # kustomize base, which the chart has installed here.
  k apply -f deploy/samples/namespace.yaml
  k apply -f deploy/samples/trustdomain.yaml
  for sample in amf ausf nrf sepp smf upf; do k apply -f "deploy/samples/$sample.yaml"; done
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
