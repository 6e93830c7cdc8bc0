FROM busybox
RUN printf "hello world\n" > /greeting && mkdir /multi && printf 'raw ${WHO}\n' > /multi/RAW && printf "second\n" > /multi/TWO
