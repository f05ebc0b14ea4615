# Builds the operator image from Debian 12 packages only (no vendored or downloaded code).
FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libcpprest-dev libssl-dev libyaml-cpp-dev \
      nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libcli11-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator ./operator
COPY tests ./tests
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSECPROV_BUILD_TESTS=OFF \
    && ninja -C /build secprov-operator

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcpprest2.10 libssl3 libyaml-cpp0.7 libspdlog1.10 libprometheus-cpp-core1.0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/operator/cmd/secprov-operator /usr/local/bin/secprov-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secprov-operator"]
