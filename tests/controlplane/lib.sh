# Sourced by build.sh and build-kubectl.sh: the Kubernetes release in go.mod, the
# version ldflags every Kubernetes binary needs, and a `go build` that shows progress.

# The release is whatever go.mod requires: the binaries report it (`kubectl version`).
k8s_version() {
  awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$1/go.mod"
}

# Without these, the binaries report v0.0.0-master+$Format:%H$, which `kubectl version`
# cannot parse. Set in both version packages: kubectl and the apiserver read
# component-base's, client-go's goes into the User-Agent. The upstream commit is not in
# the module, so gitCommit stays empty rather than made up.
k8s_version_ldflags() {
  local version="$1" minor date
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  minor="${version#v1.}"
  minor="${minor%%.*}"
  local pkg flags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  echo "${flags# }"
}

# go_build_with_progress LABEL GO-BUILD-ARGS...: runs `go build -v ARGS` and, instead of
# one line per package, prints a line every ${GO_PROGRESS_INTERVAL:-20} s with the
# elapsed time, modules downloaded and packages compiled (of those the build needs),
# so a cold build (many minutes on 2 cores) visibly moves. On failure prints go's errors.
go_build_with_progress() {
  local label="$1"
  shift
  local interval="${GO_PROGRESS_INTERVAL:-20}" log total_file start rc=0 pid lister
  log="$(mktemp)"
  total_file="$(mktemp)"
  start=$(date +%s)
  # The package total for the progress lines; listing loads (and may download) the modules.
  (go list -deps "${@: -1}" 2>/dev/null | wc -l >"$total_file") &
  lister=$!
  go build -v "$@" >"$log" 2>&1 &
  pid=$!
  local next=$((start + interval)) now
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if ((now >= next)); then
      next=$((now + interval))
      local downloads packages total
      downloads=$(grep -c '^go: downloading' "$log" || true)
      packages=$(grep -cE '^[A-Za-z0-9_.~/-]+$' "$log" || true)
      total="$(cat "$total_file")"
      echo "  $label: $((now - start))s, ${downloads} modules downloaded, ${packages}${total:+ of $total} packages compiled" >&2
    fi
  done
  wait "$pid" || rc=$?
  wait "$lister" 2>/dev/null || true
  if ((rc != 0)); then
    # Everything but the package names: go's own error output.
    grep -vE '^[A-Za-z0-9_.~/-]+$' "$log" | grep -v '^go: downloading' >&2 || true
  fi
  rm -f "$log" "$total_file"
  return "$rc"
}
