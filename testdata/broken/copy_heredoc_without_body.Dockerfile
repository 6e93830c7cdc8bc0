FROM alpine
COPY <<EOF <<EOF
