FROM alpine
ARG SRC=build
COPY --from=$SRC /a /b
