ARG VERSION
FROM alpine:${VERSION} AS Base
MAINTAINER someone@example.com
ENV API_TOKEN=abc
ENV LEGACY value with spaces
WORKDIR app
EXPOSE 80/TCP 127.0.0.1:8080:80
CMD echo one
CMD echo two

from --platform=linux/amd64 base as builder
Run echo hi

FROM base as base
FROM busybox:$TAG AS other
FROM --platform=$TARGETPLATFORM ${UNDECLARED:-alpine} AS scratch
FROM scratch AS tail
ENV PATH=$PAHT:/bin
COPY $MISSING /dest/
RUN apk add \

    curl
