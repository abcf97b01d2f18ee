# syntax=docker/dockerfile:1
# Switchyard: multi-stage image. The builder compiles the built-in adapters to
# wasm32-wasip2 (host/build.rs) and embeds them in the release binary; the runtime
# stage is Debian slim with that one binary, run as an unprivileged user.
#
#   docker build -t switchyard .
#   docker run --rm -p 8080:8080 -e OPENAI_API_KEY=sk-... -v switchyard-data:/data switchyard

# Same Debian release in both stages, so the binary finds the glibc it was linked to.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# rust-toolchain.toml pins 1.95.0 (rustup installs it if the image's 1.95 differs);
# the wasm32-wasip2 target is added to that toolchain explicitly.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    rustup show active-toolchain \
    && rustup target add wasm32-wasip2 \
    && cargo build --release --locked -p switchyard \
    && cp target/release/switchyard /usr/local/bin/switchyard

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 switchyard \
    && useradd --system --uid 10001 --gid switchyard --home-dir /data --shell /usr/sbin/nologin switchyard \
    && mkdir -p /data/plugins /app \
    && chown -R switchyard:switchyard /data
COPY --from=builder /usr/local/bin/switchyard /usr/local/bin/switchyard
# ./config.toml is read from the working directory; mount another over it, or point
# SWITCHYARD_CONFIG elsewhere. Any key: SWITCHYARD_<SECTION>__<KEY> (see .env.example).
COPY config.toml /app/config.toml
WORKDIR /app

ENV HOST=0.0.0.0 \
    PORT=8080 \
    LOG_LEVEL=info \
    DATABASE_URL=sqlite:///data/switchyard.db \
    SWITCHYARD_PLUGINS__DIR=/data/plugins

# /data holds the database; /data/plugins is watched for <name>.wasm adapters
# (hot reload), overriding or adding to the built-ins.
VOLUME ["/data", "/data/plugins"]
EXPOSE 8080
USER switchyard:switchyard

# Liveness without extra packages: bash's /dev/tcp speaks one HTTP request.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8080} && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && timeout 3 head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/usr/local/bin/switchyard"]
