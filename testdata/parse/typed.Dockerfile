# syntax=docker/dockerfile:1
ARG GO=1.22
FROM golang:${GO} AS build
RUN --mount=type=cache,target=/root/.cache,sharing=locked,id=gocache \
    --network=none \
    go build ./...
COPY --from=build --chown=10:10 --chmod=0755 --link --exclude=*.md src/ /app/
COPY <<-"EOF" /etc/motd
	hello $USER
	EOF
HEALTHCHECK --interval=30s --retries=3 CMD ["curl", "-f", "localhost"]
ENTRYPOINT ["/app/server"]
