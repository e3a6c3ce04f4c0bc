# Majordomo: one static-ish binary in a slim image.
#   docker build -t majordomo .
#   docker run -p 8080:8080 -v $PWD/majordomo.toml:/etc/majordomo/majordomo.toml:ro \
#              -e CI_PROD_TOKEN=... majordomo
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p majordomo \
 && cp target/release/majordomo /usr/local/bin/majordomo

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 majordomo
COPY --from=build /usr/local/bin/majordomo /usr/local/bin/majordomo
USER majordomo
# Inside a container the gateway must listen beyond loopback.
ENV MAJORDOMO_LISTEN=0.0.0.0:8080 \
    MAJORDOMO_CONFIG=/etc/majordomo/majordomo.toml
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["majordomo", "--version"]
ENTRYPOINT ["majordomo"]
CMD ["serve"]
