# mugai container image: a static binary on scratch, run as a non-root user,
# with a read-only root file system and one writable volume for its data.
#
#   docker build -t mugai .
#   docker run -d --name mugai --read-only -p 2525:2525 \
#     -v mugai-data:/var/lib/mugai \
#     -v /etc/mugai/mugai.toml:/etc/mugai/mugai.toml:ro mugai
#
# The variant with poppler-utils (pdftoppm, for rasterizing PDFs) and qpdf:
#
#   docker build --target tools -t mugai:tools .
#
# No Docker engine runs in our CI: .ci/build-static runs the build stage's
# command, and a test keeps the two identical (docs/install.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ENV OUT=/out/mugai
# build-command (identical in .ci/build-static)
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$OUT" ./cmd/mugai
# The runtime image has no shell: prepare its user, directories and CA roots here.
RUN mkdir -p /rootfs/etc/mugai /rootfs/var/lib/mugai/tmp /rootfs/etc/ssl/certs \
 && echo 'mugai:x:10001:10001:mugai:/var/lib/mugai:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'mugai:x:10001:' > /rootfs/etc/group \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && cp deploy/docker/mugai.toml /rootfs/etc/mugai/mugai.toml \
 && chown -R 10001:10001 /rootfs/var/lib/mugai

FROM scratch AS runtime
COPY --from=build /rootfs/ /
COPY --from=build /out/mugai /usr/local/bin/mugai
USER 10001:10001
WORKDIR /var/lib/mugai
# Everything mugai writes: quarantine, outbox, hold file, spool files.
VOLUME ["/var/lib/mugai"]
# SMTP from the Internet-side MTA; /metrics, /healthz and /readyz.
EXPOSE 2525 9225
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mugai", "health", "--config", "/etc/mugai/mugai.toml"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mugai"]
CMD ["serve", "--config", "/etc/mugai/mugai.toml"]

# Variant with the external tools: pdftoppm (poppler-utils) rasterizes PDFs,
# qpdf checks them. Same user, volume and health check.
FROM debian:bookworm-slim AS tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends poppler-utils qpdf ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd -g 10001 mugai && useradd -u 10001 -g 10001 -d /var/lib/mugai -s /usr/sbin/nologin mugai \
 && mkdir -p /etc/mugai /var/lib/mugai/tmp && chown -R 10001:10001 /var/lib/mugai
COPY --from=build /out/mugai /usr/local/bin/mugai
COPY deploy/docker/mugai.toml /etc/mugai/mugai.toml
USER 10001:10001
WORKDIR /var/lib/mugai
VOLUME ["/var/lib/mugai"]
EXPOSE 2525 9225
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mugai", "health", "--config", "/etc/mugai/mugai.toml"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mugai"]
CMD ["serve", "--config", "/etc/mugai/mugai.toml"]

# The default target is the scratch image.
FROM runtime
