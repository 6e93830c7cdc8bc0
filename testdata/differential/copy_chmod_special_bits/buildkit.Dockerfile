FROM busybox
COPY a.txt /suid
COPY a.txt /sgid
COPY a.txt /sticky
RUN chmod 4755 /suid && chmod 2755 /sgid && chmod 1777 /sticky
