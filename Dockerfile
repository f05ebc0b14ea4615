# Builds the two images from Debian 12 packages only (no vendored or downloaded code):
#   default target (last stage) secprov-operator:  docker build -t secprov/operator .
#   --target enabler            secprov-enabler:   docker build --target enabler -t secprov/enabler .
# BASE is the Debian 12 base image (a local one where no registry is reachable).
ARG BASE=debian:12-slim

FROM ${BASE} AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libcpprest-dev libssl-dev libyaml-cpp-dev \
      nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libcli11-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator ./operator
COPY tests ./tests
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSECPROV_BUILD_TESTS=OFF \
    && ninja -C /build secprov-operator secprov-enabler-agent

# The security enabler injected next to NFs: Debian's HAProxy 2.6 supervised by the agent,
# which reloads it (master-worker) when the kubelet swaps the mounted certificate, trust
# bundle, CRL or configuration. UID/GID 65532 = render::kEnablerUid (the Pod's fsGroup makes
# the 0400 key readable); its only writable path is the /run/secprov-enabler emptyDir.
FROM ${BASE} AS enabler
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      haproxy libssl3 libspdlog1.10 libfmt9 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/operator/cmd/secprov-enabler-agent /usr/local/bin/secprov-enabler-agent
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secprov-enabler-agent"]

FROM ${BASE} AS operator
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcpprest2.10 libssl3 libyaml-cpp0.7 libspdlog1.10 libprometheus-cpp-core1.0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/operator/cmd/secprov-operator /usr/local/bin/secprov-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secprov-operator"]
