# Builds the two images from Debian 12 packages only (no vendored or downloaded code):
#   default target (last stage) secprov-operator:  docker build -t secprov/operator .
#   --target enabler            secprov-enabler:   docker build --target enabler -t secprov/enabler .
# BASE is the Debian 12 base image (a local one where no registry is reachable: scripts/image.sh
# builds one with mmdebstrap and builds this file with buildah, no Docker engine needed).
# Both runtime images run as UID/GID 65532 with a read-only root filesystem: the operator
# writes only under --webhook-cert-dir, the enabler only under /run/secprov-enabler (each an
# emptyDir in its Pod).
ARG BASE=debian:12-slim

FROM ${BASE} AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ make cmake ninja-build pkg-config libcpprest-dev libssl-dev \
      libyaml-cpp-dev libsimdjson-dev \
      nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libcli11-dev \
    && rm -rf /var/lib/apt/lists/*
# One layer for the sources and one for the build (each layer is a full copy of the file system
# in buildah's vfs storage, so fewer layers keep CI's disk in bounds). The context holds only
# CMakeLists.txt and operator/ (.dockerignore); the tests are not configured
# (SECPROV_BUILD_TESTS=OFF), and the object files go in the same step, so the layer keeps only
# the two stripped binaries under /out.
COPY . /src/
RUN cmake -S /src -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSECPROV_BUILD_TESTS=OFF \
    && ninja -C /tmp/build secprov-operator secprov-enabler-agent \
    && install -D -s -m 0755 -t /out /tmp/build/operator/cmd/secprov-operator \
         /tmp/build/operator/cmd/secprov-enabler-agent \
    && rm -rf /tmp/build

# The security enabler injected next to NFs: Debian's HAProxy 2.6 supervised by the agent,
# which reloads it (master-worker) when the kubelet swaps the mounted certificate, trust
# bundle, CRL or configuration. UID/GID 65532 = render::kEnablerUid (the Pod's fsGroup makes
# the 0400 key readable); its only writable path is the /run/secprov-enabler emptyDir (the
# directory exists in the image, owned by 65532, so it also works without the emptyDir on a
# writable root). The agent links spdlog and fmt (shared) and libstdc++.
FROM ${BASE} AS enabler
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      haproxy libspdlog1.10 libfmt9 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
    && install -d -o 65532 -g 65532 -m 0700 /run/secprov-enabler
COPY --from=build /out/secprov-enabler-agent /usr/local/bin/secprov-enabler-agent
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secprov-enabler-agent"]

# The operator: OpenSSL (its API client's TLS, and its CA), simdjson (reads the API server's
# answers), cpprest (the webhook and probe servers; it pulls in Boost), yaml-cpp, spdlog/fmt and prometheus-cpp's core
# library. No ca-certificates (it would bring the openssl program): in a Pod the API server's CA
# is the ServiceAccount's ca.crt. The webhook serving key and
# certificate go to --webhook-cert-dir (an emptyDir).
FROM ${BASE} AS operator
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsimdjson14 libcpprest2.10 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      libprometheus-cpp-core1.0 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
COPY --from=build /out/secprov-operator /usr/local/bin/secprov-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secprov-operator"]
