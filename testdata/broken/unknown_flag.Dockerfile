FROM alpine AS build
FROM alpine
COPY --form=build /a /b
