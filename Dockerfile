# integritybot — multi-stage build. Runtime: libvpx, CA certificates, tzdata, a non-root user.
# Same defaults as `make run`, except that it listens on all interfaces inside the container.
#   docker build -t integritybot .
#   docker run -p 8080:8080 -p 50000-50100:50000-50100/udp -v ibdata:/data \
#     -e INTEGRITYBOT_PUBLIC_URL=https://bot.example.com integritybot
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libvpx-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# pigo's face cascades are not embedded in its module: copy them (as `make cascades` does) for //go:embed.
RUN cp -R "$(go list -m -f '{{.Dir}}' github.com/esimov/pigo)/cascade/." media/face/cascade/
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/integritybot ./cmd/integritybot

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libvpx7 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin integritybot \
    && mkdir -p /data && chown integritybot /data
COPY --from=build /out/integritybot /usr/local/bin/integritybot
COPY configs/integritybot.example.yaml /etc/integritybot/integritybot.example.yaml
USER integritybot
WORKDIR /data
ENV INTEGRITYBOT_ADDR=0.0.0.0:8080 INTEGRITYBOT_DATA_DIR=/data
EXPOSE 8080/tcp
# ICE media: set webrtc.udp_port_min/udp_port_max to this range and webrtc.public_ips to the host's address.
EXPOSE 50000-50100/udp
ENTRYPOINT ["integritybot"]
CMD ["serve"]
