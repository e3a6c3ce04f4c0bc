# Majordomo: one binary in a slim image, run as an unprivileged numeric user.
#   docker build -t majordomo .
#   docker run -p 8080:8080 -v $PWD/majordomo.toml:/etc/majordomo/majordomo.toml:ro \
#              -e CI_PROD_TOKEN=... majordomo
# The last stage (`gateway`) is the image; `--target jenkins-sim` builds the simulated
# controller used by deploy/compose for a try-out.
FROM rust:1-bookworm AS build
WORKDIR /src

# Dependencies in a layer of their own, rebuilt only when a manifest or the lock changes:
# the manifests of the three workspace crates (the root package depends on jenkins-sim,
# and cargo loads every member) with stub sources, built once, then the stubs removed.
COPY Cargo.toml Cargo.lock ./
COPY jenkins-sim/Cargo.toml jenkins-sim/
COPY bench/Cargo.toml bench/
RUN mkdir -p src jenkins-sim/src bench/src \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > jenkins-sim/src/main.rs \
 && echo 'fn main() {}' > bench/src/main.rs \
 && touch src/lib.rs jenkins-sim/src/lib.rs \
 && cargo build --release --locked -p majordomo -p jenkins-sim \
 && rm -rf src jenkins-sim/src bench/src

# The sources. Their copied timestamps may be older than the stubs' build, so touch the
# crate roots: cargo then rebuilds majordomo and jenkins-sim, and only them.
COPY . .
RUN touch src/main.rs src/lib.rs jenkins-sim/src/main.rs jenkins-sim/src/lib.rs \
 && cargo build --release --locked -p majordomo -p jenkins-sim \
 && cp target/release/majordomo target/release/jenkins-sim /usr/local/bin/

# A simulated Jenkins controller, for deploy/compose's try-out only.
FROM debian:bookworm-slim AS jenkins-sim
COPY --from=build /usr/local/bin/jenkins-sim /usr/local/bin/jenkins-sim
USER 10001:10001
EXPOSE 8081
ENTRYPOINT ["jenkins-sim"]
CMD ["--listen", "0.0.0.0:8081"]

FROM debian:bookworm-slim AS gateway
# ca-certificates is left unpinned on purpose: Debian replaces a point release's version
# when it ships a fix, so a pin would break the build instead of bringing the fix.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 majordomo \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin majordomo
COPY --from=build /usr/local/bin/majordomo /usr/local/bin/majordomo
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
# Inside a container the gateway must listen beyond loopback.
ENV MAJORDOMO_LISTEN=0.0.0.0:8080 \
    MAJORDOMO_CONFIG=/etc/majordomo/majordomo.toml
EXPOSE 8080
# `majordomo health` GETs /healthz on the configured port (the image has no curl) and
# exits 0 only on `200 ok`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["majordomo", "health"]
# SIGTERM (docker stop, Kubernetes) drains: requests in flight finish within
# server.shutdown_grace_ms; keep that below the orchestrator's own grace period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["majordomo"]
CMD ["serve"]
