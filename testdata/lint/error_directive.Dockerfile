# check=error=true
FROM alpine
MAINTAINER me
