ARG V=1
FROM alpine:${V:1}
