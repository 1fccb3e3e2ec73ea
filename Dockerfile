# syntax=docker/dockerfile:1
#
# A small static image of the server that runs as an unprivileged user.
#   docker build -t open-notebook .
#   docker run -p 5055:5055 -v onb-data:/data \
#     -e OPEN_NOTEBOOK_PASSWORD=... -e OPEN_NOTEBOOK_ENCRYPTION_KEY=... open-notebook
# See docs/deployment.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a change of the sources reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: the SQLite driver (modernc.org/sqlite) and everything else is
# pure Go, so the binary is static and needs no libc in the image.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/open-notebook ./cmd/open-notebook \
 && /out/open-notebook version \
 && mkdir -p /out/data

# distroless/static holds CA certificates (for HTTPS to providers), time
# zone data, /tmp and a "nonroot" user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/open-notebook /usr/local/bin/open-notebook
COPY --from=build --chown=65532:65532 /out/data /data
# In a container the server must listen beyond loopback; it then refuses to
# start without OPEN_NOTEBOOK_PASSWORD[_FILE] (or an explicit
# OPEN_NOTEBOOK_ALLOW_NO_PASSWORD=true).
ENV OPEN_NOTEBOOK_LISTEN=0.0.0.0:5055 \
    OPEN_NOTEBOOK_DATA_DIR=/data
USER 65532:65532
EXPOSE 5055
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/open-notebook"]
CMD ["serve"]
