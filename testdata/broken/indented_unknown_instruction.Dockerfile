FROM alpine
  WORKDIRR /app
