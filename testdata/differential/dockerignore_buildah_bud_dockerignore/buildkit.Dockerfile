FROM busybox
COPY ./ /ctx/
