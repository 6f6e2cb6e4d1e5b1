# integritybot — multi-stage build. Runtime: libvpx, ffmpeg (H.264 calls, MP4/WebM/MPEG
# analysis), CA certificates, tzdata, a non-root user. Configuration: configs/docker.yaml at
# /etc/integritybot/integritybot.yaml (mount your own over it); data in the /data volume.
# How to build and run it: docs/running.md. cmd/integritybot/docker_test.go checks that the
# ports, the UDP range and the config path here agree with configs/docker.yaml and the docs.
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" -t integritybot .
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libvpx-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# pigo's face cascades are not embedded in its module: copy them (as `make cascades` does) for //go:embed.
RUN cp -R "$(go list -m -f '{{.Dir}}' github.com/esimov/pigo)/cascade/." media/face/cascade/
# .git is not in the build context (.dockerignore): `integritybot version` takes these instead.
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=1 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
    -o /out/integritybot ./cmd/integritybot
# Free GeoIP data for the network check (docs/checks/network.md): the pinned npm packages,
# checked by sha512, fetched with npm (build stage only) into the image.
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/* \
    && /out/integritybot geo update --dir /out/geoip

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libvpx7 ffmpeg ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin integritybot \
    && mkdir -p /data && chown integritybot /data
COPY --from=build /out/integritybot /usr/local/bin/integritybot
COPY --from=build /out/geoip /usr/share/integritybot/geoip
COPY configs/docker.yaml /etc/integritybot/integritybot.yaml
COPY configs/integritybot.example.yaml /etc/integritybot/integritybot.example.yaml
USER integritybot
WORKDIR /data
VOLUME /data
# Container invariants; they win over the config file. INTEGRITYBOT_PUBLIC_URL and
# INTEGRITYBOT_API_TOKEN are for `docker run -e`.
ENV INTEGRITYBOT_ADDR=0.0.0.0:8080 INTEGRITYBOT_DATA_DIR=/data INTEGRITYBOT_GEO_DIR=/usr/share/integritybot/geoip
EXPOSE 8080/tcp
# ICE media: webrtc.udp_port_min..udp_port_max of /etc/integritybot/integritybot.yaml.
EXPOSE 50000-50100/udp
# The binary probes GET /healthz itself (no curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["integritybot", "healthcheck"]
ENTRYPOINT ["integritybot"]
CMD ["serve", "--config", "/etc/integritybot/integritybot.yaml"]
