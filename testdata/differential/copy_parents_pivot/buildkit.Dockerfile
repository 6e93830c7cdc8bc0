FROM busybox
COPY x/ /dst/
COPY p/q/f.txt /single/q/f.txt
