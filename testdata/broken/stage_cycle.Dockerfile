FROM alpine AS x
COPY --from=y /a /a

FROM alpine AS y
COPY --from=x /b /b

FROM y
