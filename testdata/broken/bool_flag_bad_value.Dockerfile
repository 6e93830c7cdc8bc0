FROM alpine
COPY --link=yes a /b
