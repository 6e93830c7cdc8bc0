# What current BuildKit gives (see note): docker 20.10's BuildKit ignores
# --ulimit and --shm-size for RUN steps.
FROM busybox
RUN echo 1024 > /nofile && echo 2048 >> /nofile
RUN echo 131072 > /shm-kib
