FROM alpine AS a
FROM alpine
COPY --from=a --from=a /x /y
