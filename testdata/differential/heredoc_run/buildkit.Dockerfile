FROM busybox
ENV GREETING=hi
RUN mkdir -p /h && echo "greeting is $GREETING" > /h/one && echo two >> /h/one
