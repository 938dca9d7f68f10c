# notify-gateway container image: build on Debian 12, run on Debian 12 slim as a non-root user.
#   docker build -t notify-gateway .
#   docker run -e NOTIFY_JWT_SECRET=... -e REDIS_URL=redis://redis:6379 -p 8080:8080 notify-gateway

# ---- build ------------------------------------------------------------------------------------
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libboost-system-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev libfmt-dev \
      libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include ./include
COPY src ./src
COPY config ./config
# Beast-heavy translation units need over 1 GiB each: keep parallelism modest.
ARG BUILD_JOBS=2
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOTIFY_BUILD_TESTS=OFF \
 && cmake --build build -j "${BUILD_JOBS}" \
 && strip build/notify-gateway build/bench/notify-bench

# ---- runtime ----------------------------------------------------------------------------------
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libhiredis0.14 libspdlog1.10 libfmt9 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system notify \
 && useradd --system --gid notify --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin notify
COPY --from=build /src/build/notify-gateway /usr/local/bin/notify-gateway
# The load generator ships too (docs/benchmarks.md); it needs nothing beyond the gateway's libraries.
COPY --from=build /src/build/bench/notify-bench /usr/local/bin/notify-bench
COPY config/gateway.json /etc/notify-gateway/gateway.json
# Fails the build here, not at start, if a shared library is missing.
RUN /usr/local/bin/notify-gateway --version && /usr/local/bin/notify-bench --help > /dev/null

# Settings: this file < NOTIFY_* / REDIS_* variables < flags (docs/configuration.md).
ENV NOTIFY_CONFIG=/etc/notify-gateway/gateway.json
USER notify
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${NOTIFY_SERVER_PORT:-${NOTIFY_PORT:-8080}}/healthz" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/notify-gateway"]
