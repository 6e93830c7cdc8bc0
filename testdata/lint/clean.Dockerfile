# syntax=docker/dockerfile:1
ARG BASE=alpine:3.20
FROM ${BASE} AS build
WORKDIR /src
ENV GOFLAGS=-mod=vendor
COPY --link . .
RUN --mount=type=cache,target=/root/.cache make
FROM scratch
COPY --from=build /src/out /out
ENTRYPOINT ["/out"]
