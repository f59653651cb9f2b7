# syntax=docker/dockerfile:1
# Paybot: a static binary (pure-Go SQLite and pgx, CGO off) on a distroless
# base, running as a non-root user with its data directory on a volume.
#
#   docker build --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t paybot .

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=""
ARG BUILD_TIME=""
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildTime=${BUILD_TIME}" \
      -o /out/paybot ./cmd/paybot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/paybot /paybot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PAYBOT_DATA=/data \
    PAYBOT_HTTP_ADDR=:8080 \
    PAYBOT_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# The image has no shell or curl: the binary checks its own /readyz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["/paybot", "healthcheck"]
ENTRYPOINT ["/paybot"]
CMD ["serve"]
