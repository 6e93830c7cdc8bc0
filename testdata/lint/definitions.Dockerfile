# check=experimental=InvalidDefinitionDescription
FROM scratch AS base

# the version of Go to build with
ARG GO_VERSION=1.22

# GO_VERSION2 is described properly here
ARG GO_VERSION2=1.23
# build stage for the binary
FROM alpine AS build
# this comment is separated by a blank line

FROM alpine AS final
