FROM busybox
COPY app /app
RUN chmod -R go-w /app
